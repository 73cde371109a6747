"""Issue 12: the office's vocabulary is data that comes with the catalogue. A catalogue whose units
and roles are renamed (as another agency's would be) gives the same answers under the new names,
in every command, triage included."""

from __future__ import annotations

from pathlib import Path

import pytest

from approval_cli.answers.core import find, route, triage_record
from approval_cli.catalogue.store import load_store

ROOT = Path(__file__).resolve().parents[1]
# Longest first, so that 副處長 becomes 副局長 through 處長 → 局長 once, and unit names never
# overlap one another or a role.
RENAMES = [
    ("國際事務組", "國際交流科"), ("媒體事務組", "新聞聯繫科"), ("市民服務組", "民眾服務科"),
    ("總務組", "庶務科"), ("文書組", "公文科"), ("機要組", "機要科"),
    ("國際組", "國際科"), ("媒體組", "新聞科"), ("市服組", "民服科"),
    ("處長", "局長"), ("組長", "科長"),
]  # fmt: skip


def renamed(text: str) -> str:
    for old, new in RENAMES:
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    text = (ROOT / "data" / "tables.yaml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("renamed") / "catalogue.yaml"
    path.write_text(renamed(text), encoding="utf-8")
    return load_store(ROOT / "data" / "tables.yaml", use_cache=False), load_store(path, use_cache=False)


CASES = [
    ("文書組", "採購 30萬"),  # line 153, 副處長
    ("總務組", "用印 重大"),  # line 25, escalated from 組長 to 處長
    ("總務組", "公務車輛統一調派"),  # lines 47/48, a choice
    ("國際組", "姊妹市 事務性"),  # line 170
    ("人事室", "性平業務"),  # line 343
    ("媒體事務組", "一般同仁參加他機關辦理之教育訓練"),  # delegation → 組長
]


@pytest.mark.parametrize(("unit", "text"), CASES)
def test_route_gives_the_same_answer_under_new_names(stores, unit, text):
    original, other = stores
    before = route(original, text, unit)
    after = route(other, renamed(text), renamed(unit))
    assert (after["match"] or {}).get("source_line") == (before["match"] or {}).get("source_line")
    assert after["final_approver"] == (renamed(before["final_approver"]) if before["final_approver"] else None)
    assert [c["source_line"] for c in after["choices"]] == [c["source_line"] for c in before["choices"]]
    assert after["status"] == before["status"]


def test_find_with_the_unit_in_the_text_under_new_names(stores):
    original, other = stores
    before = find(original, "人事室 退文")
    after = find(other, renamed("人事室 退文"))
    assert [m["source_line"] for m in after["matches"]] == [m["source_line"] for m in before["matches"]]


def test_triage_follows_the_renamed_units(stores):
    original, other = stores
    seed = (ROOT / "tests" / "data" / "minutes_seed_108.txt").read_text(encoding="utf-8")
    before = triage_record(original, seed.encode()).to_dict()["items"]
    after = triage_record(other, renamed(seed).encode()).to_dict()["items"]
    assert [renamed("、".join(item["units"])) for item in before] == ["、".join(item["units"]) for item in after]
    assert [[m["source_line"] for m in item["matches"]] for item in before] == [
        [m["source_line"] for m in item["matches"]] for item in after
    ]


def test_role_aliases_come_from_the_catalogue(stores):
    """The renamed catalogue's vocabulary says 秘書長 = 局長: its answers show and accept that."""
    from approval_cli.answers.core import list_entries
    from approval_cli.catalogue.roles import role_display

    _, other = stores
    try:
        load_store(other.source, use_cache=False)
        assert role_display("局長") == "局長（秘書長）"
        assert list_entries(other, renamed("文書組"), approver="副秘書長")["approver"] == "副局長"
    finally:
        load_store(ROOT / "data" / "tables.yaml", use_cache=False)  # the built-in aliases again
    assert role_display("處長") == "處長（秘書長）"
