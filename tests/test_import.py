"""`approval import` on dumps of other agencies, built here by transforming the seed dump.

Each test changes data/source/000_e869757213248338.txt the way another agency's table differs from
the Secretariat's — names, a role column fewer or more, pages in another order — and checks every
row of the result against the seed's row transformed the same way: the expected values come from
the transformation, the seed's own rows being checked line by line in test_parse.py.
"""

from __future__ import annotations

import json
import re

import pytest

from approval_cli.catalogue.importer import DumpError, import_dump, read_vocabulary
from approval_cli.catalogue.schema import VocabularyData
from approval_cli.errors import ApprovalError
from conftest import DUMP, ROOT, call

SEED = DUMP.read_text(encoding="utf-8")

# (a) 秘書處 → 觀光傳播局: the six 組 become 科 (the three 室 keep their names), and the titles change.
AGENCY = ("秘書處", "觀光傳播局")
UNITS = {
    "總務組": "企劃科",
    "文書組": "行政科",
    "國際事務組": "國際交流科",
    "機要組": "機要科",
    "市民服務組": "市民服務科",
    "媒體事務組": "媒體事務科",
}
ROLES = [("副處長", "副局長"), ("處長", "局長"), ("組長", "科長")]  # in this order: 副處長 before 處長


def rename_role(role: str | None) -> str | None:
    if role is None:
        return None
    for old, new in ROLES:
        role = role.replace(old, new)
    return role


def rename_unit(unit: str | None) -> str | None:
    return UNITS.get(unit, unit) if unit else unit


def renamed_dump(full_width_every_other_title: bool = True) -> str:
    lines = SEED.split("\n")
    out = []
    titles = 0
    for line in lines:
        if is_title(line):
            line = line.replace(AGENCY[0], AGENCY[1])
            titles += 1
            if full_width_every_other_title and titles % 2 == 0:
                line = re.sub(r"\(([^)]+)\)分層", r"（\1）分層", line, count=1)
        for old, new in UNITS.items():
            line = line.replace(old, new)
        for old, new in ROLES:
            line = line.replace(old, new)
        out.append(line.replace("本處", "本局"))
    return "\n".join(out)


def is_title(line: str) -> bool:
    return "分層負責明細表" in line.split("\t")[0]


def pages_of(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first index, end index, unit) of each page: from its title line to the next title."""
    starts = [i for i, line in enumerate(lines) if is_title(line)]
    ends = [*starts[1:], len(lines)]
    units = [re.search(r"[(（]([^)）]+)[)）]分層", lines[i].replace(" ", "")).group(1) for i in starts]
    return list(zip(starts, ends, units, strict=True))


def parse(text: str, vocabulary: VocabularyData | None = None):
    return import_dump(text.encode("utf-8"), "transformed.txt", vocabulary)


def steps(entry):
    return [(step.role, step.action, step.column) for step in entry.chain]


def conditions(entry, role=lambda r: r, unit=lambda u: u):
    return [(c.kind, c.threshold, unit(c.unit), role(c.role), c.triggers) for c in entry.conditions]


# ---------------------------------------------------------------- (a) names


@pytest.fixture(scope="module")
def renamed():
    return parse(renamed_dump())


def test_renamed_agency_units_and_roles(catalogue, renamed):
    meta = renamed.metadata
    assert meta.title == "臺北市政府觀光傳播局分層負責明細表"
    assert meta.units == [rename_unit(u) for u in catalogue.metadata.units]
    assert meta.references == catalogue.metadata.references
    assert meta.effective_date == "2023-09-21"
    assert len(renamed.entries) == len(catalogue.entries) == 272
    got = {entry.source_line: entry for entry in renamed.entries}
    assert sorted(got) == sorted(entry.source_line for entry in catalogue.entries)
    for seed in catalogue.entries:
        entry = got[seed.source_line]
        assert entry.unit == rename_unit(seed.unit), seed.source_line
        assert entry.table == seed.table
        assert steps(entry) == [(rename_role(r), a, c) for r, a, c in steps(seed)], seed.source_line
        assert entry.final_approver == rename_role(seed.final_approver), seed.source_line
        assert entry.cosign == [rename_unit(u) for u in seed.cosign], seed.source_line
        assert sorted(entry.flags) == sorted(seed.flags), seed.source_line
        assert entry.amount_range == seed.amount_range
        assert conditions(entry) == conditions(seed, rename_role, rename_unit), seed.source_line
    # Page layouts: the same columns, roles renamed.
    assert [{k: rename_role(v) for k, v in p.columns.items()} for p in catalogue.pages] == [
        p.columns for p in renamed.pages
    ]


def test_renamed_spot_rows(renamed):
    by_line = {entry.source_line: entry for entry in renamed.entries}
    # Dump line 153: 文書組's 逾15萬元、50萬元以下 band, decided by 副處長 → 行政科, 副局長.
    assert (by_line[153].unit, by_line[153].final_approver) == ("行政科", "副局長")
    assert by_line[153].cosign == ["企劃科", "會計室", "政風室"]
    # 乙 rows whose 核定 sits past the chief (lines 12, 13, 17, 233) are read as the chief's: 局長 now.
    for line in (12, 13, 17, 233):
        assert by_line[line].final_approver == "局長"
        assert "yi_decided_above_chief" in by_line[line].flags
    # 其餘案件授權由第二層決行: a 科's 第二層 is its 科長, a 室's still its 主任.
    assert by_line[70].conditions[0].role == "科長"
    assert by_line[355].conditions[0].role == "主任"
    # 「上稿內容涉及個資者，由科長核定」 (was 組長).
    assert (by_line[141].conditions[0].kind, by_line[141].conditions[0].role) == ("escalation", "科長")
    # 「章戳銷毀事項需會辦本局政風室」.
    assert by_line[113].conditions[0].unit == "政風室"


def test_renamed_ids_and_layers_without_a_vocabulary(catalogue, renamed):
    # No vocabulary: every unit is new, coded U1 … U9 in source order; the row numbers stay.
    order = {unit: i + 1 for i, unit in enumerate(renamed.metadata.units)}
    seed_ids = {entry.source_line: entry.id for entry in catalogue.entries}
    for entry in renamed.entries:
        assert entry.id == f"U{order[entry.unit]}-{seed_ids[entry.source_line].split('-')[1]}"
    # The decision layers come from the headers: 第一層 is the chief, 局長 here.
    assert renamed.vocabulary.layers == {"第一層": "局長", "第二層": None, "第三層": "股長"}


def test_unit_codes_come_from_the_vocabulary():
    vocabulary = VocabularyData(unit_codes={"企劃科": "PLAN", "人事室": "HR"})
    result = parse(renamed_dump(), vocabulary)
    ids = {entry.unit: entry.id for entry in reversed(result.entries)}  # each unit's first row
    assert ids["企劃科"] == "PLAN-001"
    assert ids["人事室"] == "HR-001"
    # The others, in source order: 行政科 U1, 國際交流科 U2, 機要科 U3, 市民服務科 U4, 媒體事務科 U5,
    # 會計室 U6, 政風室 U7.
    assert ids["行政科"] == "U1-001" and ids["會計室"] == "U6-001" and ids["政風室"] == "U7-001"
    assert "unit_codes" not in result.model_dump(mode="json")["vocabulary"]  # ids carry them
    assert result.vocabulary.layers == {"第一層": "局長", "第二層": None, "第三層": "股長"}


def test_the_seed_vocabulary_gives_the_secretariat_its_codes(catalogue):
    assert [e.id for e in catalogue.entries[:2]] == ["GA-001", "GA-002"]
    assert {e.id.split("-")[0] for e in catalogue.entries} == {
        "GA", "DOC", "INT", "CONF", "CS", "MEDIA", "ACC", "HR", "ETH"
    }  # fmt: skip


# ---------------------------------------------------------------- (b) a role column removed


def edit_unit_cells(unit: str, edit) -> str:
    """The seed with edit(cells) applied to the cells of every line below a title on the unit's pages."""
    lines = SEED.split("\n")
    for start, end, page_unit in pages_of(lines):
        if page_unit == unit:
            for i in range(start + 1, end):
                cells = lines[i].split("\t")
                edit(cells)
                lines[i] = "\t".join(cells)
    return "\n".join(lines)


def remove_column(unit: str, column: int) -> str:
    def remove(cells: list[str]) -> None:
        if len(cells) > column:
            del cells[column]

    return edit_unit_cells(unit, remove)


@pytest.mark.parametrize(
    ("unit", "role", "column"),
    [
        ("媒體事務組", "股長", 5),  # only 陳核 marks; p.1 takes p.2's header
        ("國際事務組", "秘書專員", 6),  # only 陳核; includes 甲 rows with 核定 past 市長
    ],
)
def test_a_role_column_removed(catalogue, unit, role, column):
    result = parse(remove_column(unit, column))
    got = {entry.source_line: entry for entry in result.entries}
    assert len(got) == 272
    for seed in catalogue.entries:
        entry = got[seed.source_line]
        if seed.unit != unit:
            assert steps(entry) == steps(seed), seed.source_line
            continue
        # The role held only 陳核 marks in this unit: its steps go, later columns move one left.
        expected = [(r, a, c - 1 if c > column else c) for r, a, c in steps(seed) if r != role]
        assert steps(entry) == expected, seed.source_line
        assert entry.final_approver == seed.final_approver
        assert sorted(entry.flags) == sorted(seed.flags), seed.source_line
        assert entry.cosign == seed.cosign
        assert entry.notes == seed.notes
    for seed_page, page in zip(catalogue.pages, result.pages, strict=True):
        if seed_page.unit == unit:
            assert page.columns == {
                (k - 1 if k > column else k): r for k, r in seed_page.columns.items() if r != role
            }


# ---------------------------------------------------------------- (c) a role column added


def add_column(unit: str, column: int, before: str, role: str) -> str:
    """An empty cell at `column` on every line of the unit's pages; `role` in header lines that
    name `before` in that column."""

    def add(cells: list[str]) -> None:
        if len(cells) > column:
            named = "".join(cells[column].split()).replace("襄助核稿", "") == before
            is_header = cells[0].strip() in ("", "表別")
            cells.insert(column, role if named and is_header else "")

    return edit_unit_cells(unit, add)


@pytest.mark.parametrize("unit", ["人事室", "會計室", "政風室"])
def test_a_role_column_added(catalogue, unit):
    # 主任秘書 between 專門委員 (column 6) and 副處長 (column 7) on every page of a 室; its cells empty.
    column = 7
    result = parse(add_column(unit, column, "副處長", "主任秘書"))
    got = {entry.source_line: entry for entry in result.entries}
    assert len(got) == 272
    for seed in catalogue.entries:
        entry = got[seed.source_line]
        shift = 1 if seed.unit == unit else 0
        expected = [(r, a, c + shift if c >= column else c) for r, a, c in steps(seed)]
        assert steps(entry) == expected, seed.source_line  # the same roles: answers unchanged
        assert entry.final_approver == seed.final_approver
        assert sorted(entry.flags) == sorted(seed.flags)
        assert entry.cosign == seed.cosign
    for seed_page, page in zip(catalogue.pages, result.pages, strict=True):
        if seed_page.unit == unit:
            expected = {(k + 1 if k >= column else k): r for k, r in seed_page.columns.items()}
            assert page.columns == {**expected, column: "主任秘書"}


# ---------------------------------------------------------------- (d) pages reordered


@pytest.mark.parametrize("unit", ["總務組", "人事室"])
def test_pages_swapped(catalogue, unit):
    lines = SEED.split("\n")
    first, second = [(s, e) for s, e, u in pages_of(lines) if u == unit][:2]
    assert first[1] == second[0]  # the unit's first two pages follow each other
    a, b = lines[first[0] : first[1]], lines[second[0] : second[1]]
    swapped = lines[: first[0]] + b + a + lines[second[1] :]

    def moved(line: int) -> int:  # 1-based line numbers
        if first[0] < line <= first[1]:
            return line + len(b)
        if second[0] < line <= second[1]:
            return line - len(a)
        return line

    result = parse("\n".join(swapped), read_vocabulary(ROOT / "data" / "vocabulary.yaml"))
    got = {entry.source_line: entry for entry in result.entries}
    assert sorted(got) == sorted(moved(seed.source_line) for seed in catalogue.entries)
    new_lines = "\n".join(swapped).split("\n")
    for seed in catalogue.entries:
        entry = got[moved(seed.source_line)]
        assert entry.raw == seed.raw == new_lines[entry.source_line - 1]  # its own source line
        assert entry.unit == seed.unit
        assert steps(entry) == steps(seed), seed.source_line
        assert entry.final_approver == seed.final_approver
        assert sorted(entry.flags) == sorted(seed.flags)
    # Ids number a unit's rows in source order: the former second page's rows come first now.
    code = next(e.id.split("-")[0] for e in catalogue.entries if e.unit == unit)
    unit_lines = sorted(moved(e.source_line) for e in catalogue.entries if e.unit == unit)
    assert [got[line].id for line in unit_lines] == [f"{code}-{n:03d}" for n in range(1, len(unit_lines) + 1)]


# ---------------------------------------------------------------- (e) what the importer refuses


def test_a_line_it_cannot_place_names_the_line():
    lines = renamed_dump().split("\n")
    lines.insert(99, "說明：本表未列事項依本局規定辦理。")  # a note between 行政科's pages
    with pytest.raises(DumpError, match="第 100 行"):
        parse("\n".join(lines))


def test_an_unknown_title_in_a_header_names_the_line_and_column():
    lines = SEED.split("\n")
    assert lines[335].split("\t")[5] == "主任"  # line 336: 人事室's header
    cells = lines[335].split("\t")
    cells[5] = "課員"
    lines[335] = "\t".join(cells)
    with pytest.raises(DumpError, match=r"第 336 行（表頭）第 6 欄「課員」") as caught:
        parse("\n".join(lines))
    assert caught.value.exit_code == 2 and isinstance(caught.value, ApprovalError)


def test_a_header_with_no_known_role_names_its_lines():
    lines = SEED.split("\n")
    # 總務組 p.1 (title line 3): its only role line is line 5; empty its role cells.
    cells = lines[4].split("\t")
    lines[4] = "\t".join("" if col >= 4 else cell for col, cell in enumerate(cells))
    with pytest.raises(DumpError, match=r"第 3 行的頁首（總務組）之下，表頭（第 4–6 行）沒有任何認得的職稱"):
        parse("\n".join(lines))


def test_a_title_of_another_agency_names_the_line():
    lines = SEED.split("\n")
    lines[20] = lines[20].replace("秘書處", "觀光傳播局")  # line 21: 總務組 p.2
    with pytest.raises(DumpError, match="第 21 行：頁首的機關「觀光傳播局」與第 3 行的「秘書處」不同"):
        parse("\n".join(lines))


def test_not_utf8_names_the_line():
    raw = SEED.encode("utf-8").split(b"\n")
    raw[9] = raw[9].decode("utf-8").encode("big5", errors="replace")
    with pytest.raises(DumpError, match="第 10 行：不是 UTF-8"):
        import_dump(b"\n".join(raw), "big5.txt")


# ---------------------------------------------------------------- the command


def test_import_command_writes_a_catalogue_the_other_commands_read(tmp_path, capsys):
    dump = tmp_path / "觀光傳播局.txt"
    dump.write_text(renamed_dump(), encoding="utf-8")
    target = tmp_path / "觀光傳播局.yaml"
    code, out, err = call(capsys, "import", str(dump), "-o", str(target))
    assert code == 0 and out == ""
    assert "臺北市政府觀光傳播局分層負責明細表" in err and "272 列" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left
    code, out, _ = call(capsys, "--catalogue", str(target), "route", "--unit", "行政科", "--amount", "30萬", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["final_approver"] == "副局長" and answer["match"]["source_line"] == 153


def test_import_command_json_to_stdout_and_refusals(tmp_path, capsys):
    dump = tmp_path / "dump.txt"
    dump.write_text(renamed_dump(), encoding="utf-8")
    code, out, _ = call(capsys, "import", str(dump), "--format", "json")
    assert code == 0 and json.loads(out)["metadata"]["title"] == "臺北市政府觀光傳播局分層負責明細表"

    bad = tmp_path / "bad.txt"
    bad.write_text("甲\t事務\t內容\n", encoding="utf-8")
    target = tmp_path / "out.yaml"
    target.write_text("old\n", encoding="utf-8")
    code, out, err = call(capsys, "import", str(bad), "-o", str(target))
    assert code == 2 and "第 1 行" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "old\n"  # a failed import leaves the file alone

    code, _, err = call(capsys, "import", str(dump), "--format", "csv")
    assert code == 2 and "yaml、json" in err
    code, _, err = call(capsys, "import", str(tmp_path / "missing.txt"))
    assert code == 2 and "無法開啟" in err
    code, _, err = call(capsys, "import", str(dump), "--vocabulary", str(tmp_path / "none.yaml"))
    assert code == 2 and "用語檔" in err
