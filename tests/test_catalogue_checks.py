"""Issue 9, S4/S5/R2/R6/R13/R14: a catalogue is bounded, and checked for meaning, not just types."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from approval_cli.catalogue.checks import lint_checks
from approval_cli.catalogue.locate import MAX_CATALOGUE_BYTES
from approval_cli.catalogue.schema import load, load_plain
from approval_cli.catalogue.store import build_store
from approval_cli.errors import CatalogueError
from editing import BUILTIN, builtin_data, entry, write_catalogue


def compile_plain(path: Path):
    metadata, entries = load_plain(path)
    return build_store(entries, metadata, str(path))


def refused(path: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        compile_plain(path)
    with pytest.raises(CatalogueError) as again:
        load(path)  # export's path checks the same
    assert caught.value.message == again.value.message
    return caught.value.message


# ---------------------------------------------------------------- S4: YAML aliases


def test_alias_amplification_is_refused_fast(tmp_path):
    data = builtin_data()
    one = entry(data, "DOC-056")
    data["entries"] = [one] * 8000  # yaml.dump writes &id001 once and *id001 8,000 times
    text = yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False)
    assert text.count("*id001") == 7999 and len(text.encode()) < 200_000  # small file, 8,000 copies
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    message = refused(path)
    assert time.perf_counter() - started < 10  # was 99 s and 1.96 GB
    assert "別名" in message and str(path) in message


def test_billion_laughs_is_refused(tmp_path):
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\nmetadata: *l8\nentries: []\n", encoding="utf-8")
    started = time.perf_counter()
    assert "別名" in refused(path)
    assert time.perf_counter() - started < 10


def test_a_few_aliases_of_short_values_still_load(tmp_path):
    data = builtin_data()
    text = yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False, width=4096)
    # One anchored unit name reused by the next row: a hand-edited file may do this harmlessly.
    text = text.replace("  unit: 總務組\n", "  unit: &u 總務組\n", 1)
    second = text.index("  unit: 總務組\n", text.index("&u 總務組"))
    text = text[:second] + "  unit: *u\n" + text[second + len("  unit: 總務組\n") :]
    path = tmp_path / "few.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(compile_plain(path).entries) == len(data["entries"])


# ---------------------------------------------------------------- S5: sizes


def test_catalogue_size_is_limited_before_reading_all_of_it(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_CATALOGUE_BYTES + 1)  # sparse: costs no disk
    message = refused(big)
    assert "64 MB" in message


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not shutil.which("prlimit"), reason="needs /dev/zero, prlimit")
def test_dev_zero_as_catalogue_under_a_memory_limit(tmp_path):
    result = subprocess.run(
        ["prlimit", "--as=2000000000", sys.executable, "-m", "approval_cli", "--catalogue", "/dev/zero", "units"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "64 MB" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- R2/R6: meaning


def _edit(entry_id, change):
    def edit(data):
        change(entry(data, entry_id))

    return edit


HARD_ERRORS = [
    # (edit, words the message must hold besides the file, the entry id and the field)
    ("duplicate id", lambda d: entry(d, "GA-002").update(id="GA-001"), "GA-001", "id", "重複"),
    ("same id in other case", lambda d: entry(d, "GA-002").update(id="ga-001"), "ga-001", "id", "重複"),
    ("negative band max", _edit("DOC-056", lambda e: e["amount_range"].update(max=-1)), "DOC-056",
     "amount_range.max", "負數"),
    ("negative band min", _edit("DOC-056", lambda e: e["amount_range"].update(min=-5)), "DOC-056",
     "amount_range.min", "負數"),
    ("min above max", _edit("DOC-056", lambda e: e["amount_range"].update(min=600000)), "DOC-056",
     "amount_range", "大於上限"),
    ("band open at both ends", _edit("DOC-056", lambda e: e["amount_range"].update(min=None, max=None)),
     "DOC-056", "amount_range", "都是空的"),
    # 科長 and 局長 are titles of other agencies' tables (roles.py knows them); 董事長 is no title of
    # any 臺北市政府 agency's table.
    ("unknown role in chain", _edit("DOC-056", lambda e: e["chain"][1].update(role="董事長")), "DOC-056",
     "chain.1.role", "董事長"),
    ("unknown final approver", _edit("DOC-056", lambda e: e.update(final_approver="總經理")), "DOC-056",
     "final_approver", "總經理"),
    ("band beyond int64", _edit("DOC-056", lambda e: e["amount_range"].update(max=2**63)), "DOC-056",
     "amount_range.max", "1 兆"),
    ("source line beyond int64", _edit("DOC-056", lambda e: e.update(source_line=2**64)), "DOC-056",
     "source_line", "原表行號"),
    ("negative waiver threshold", _edit("DOC-056", lambda e: e["conditions"].append(
        {"kind": "waiver", "text": "x", "threshold": -1, "unit": "政風室", "role": None, "triggers": []})),
     "DOC-056", "conditions.", "threshold"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "entry_id", "field", "words"), HARD_ERRORS, ids=[e[0] for e in HARD_ERRORS])
def test_catalogue_errors_are_refused_naming_entry_and_field(tmp_path, name, edit, entry_id, field, words):
    path = write_catalogue(tmp_path / "edited.json", edit)
    message = refused(path)
    assert str(path) in message and f"id={entry_id}" in message
    assert f"欄位 {field}" in message and words in message


def test_empty_entries_are_refused(tmp_path):
    path = write_catalogue(tmp_path / "empty.json", lambda d: d.update(entries=[]))
    assert "沒有任何條目" in refused(path)


def test_a_negative_band_max_no_longer_routes_to_the_wrong_row(tmp_path):
    # -1 used to be the store's "open end": 文書組's 15萬元以下 band became "no upper limit" and
    # won 30萬 over DOC-056 (15萬～50萬). Now the file is refused before any answer is given.
    path = write_catalogue(tmp_path / "minus.json", _edit("DOC-055", lambda e: e["amount_range"].update(max=-1)))
    result = subprocess.run(
        [sys.executable, "-m", "approval_cli", "--catalogue", str(path), "route", "--unit", "文書組",
         "--amount", "300000", "--json"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert "DOC-055" in result.stderr and "amount_range.max" in result.stderr


def test_integers_beyond_python_int_limit_are_a_catalogue_error(tmp_path):
    text = BUILTIN.read_text(encoding="utf-8").replace("source_line: 153\n", "source_line: " + "9" * 5000 + "\n", 1)
    path = tmp_path / "digits.yaml"
    path.write_text(text, encoding="utf-8")
    assert "位數過多" in refused(path)
    data = json.dumps(builtin_data(), ensure_ascii=False).replace('"source_line": 153', '"source_line": ' + "9" * 5000)
    path = tmp_path / "digits.json"
    path.write_text(data, encoding="utf-8")
    assert "位數過多" in refused(path)


# ---------------------------------------------------------------- R2: lint


def test_lint_flags_overlapping_bands_unknown_units_and_missing_decider():
    data = builtin_data()
    entry(data, "DOC-055")["amount_range"]["max"] = 200000  # now overlaps DOC-056 (150,001～500,000)
    entry(data, "GA-001")["cosign"] = ["總務祖"]  # a typo, neither a unit nor an outside body
    first = entry(data, "GA-002")
    first["chain"] = [step for step in first["chain"] if step["action"] != "核定"]
    first["final_approver"] = None  # and no no_final_approver flag says so
    findings = lint_checks(data["entries"], data["metadata"])
    kinds = {(f["kind"], f["id"]) for f in findings}
    assert ("overlapping_bands", "DOC-056") in kinds
    assert ("unknown_unit", "GA-001") in kinds
    assert ("no_final_approver", "GA-002") in kinds
    assert len(findings) == 3


def test_builtin_catalogue_has_no_lint_check_findings():
    # Its only overlapping bands are 總務組's 乙表 1萬元以下 row inside the 機關共同乙 15萬元以下
    # band: nested, from two tables, the narrowest decides. Its outside co-signers
    # (國際事務委員會, 主計處, 大陸小組) are known bodies.
    data = builtin_data()
    assert lint_checks(data["entries"], data["metadata"]) == []


# ---------------------------------------------------------------- R13: nesting


def test_deeply_nested_json_is_reported_as_json(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    message = refused(path)
    assert "JSON" in message and "YAML" not in message and "巢狀" in message


# ---------------------------------------------------------------- R14: rewritten in place


def test_catalogue_rewritten_in_place_while_it_is_read(tmp_path):
    from conftest import rewritten_in_place

    path = tmp_path / "live.yaml"
    failures = []
    with rewritten_in_place(path, BUILTIN.read_bytes()):
        for _ in range(15):
            try:
                load(path)
            except CatalogueError as error:
                failures.append(error.message)
    assert failures == []


def test_an_empty_read_of_a_catalogue_is_looked_at_again(tmp_path):
    """CI failure: a catalogue read right after a writer truncated it (cp's first step) was empty,
    and a busy machine kept the writer from writing before the one look changed_since took: an
    empty read now always earns another look (within READ_ATTEMPTS); a file that stays empty is
    still refused, as before."""
    from approval_cli.catalogue.locate import changed_since, signature

    path = tmp_path / "live.yaml"
    path.write_bytes(b"")
    assert changed_since(path, signature(path.stat()), 0, wait=0.0)
    with pytest.raises(CatalogueError, match="空的"):
        load(path)
