"""The parser against the dump, checked by reading the source as a clerk would.

Each expected value below was read off data/source/000_e869757213248338.txt (1-based lines;
columns are tab-separated cells counted from 0) and the page's header, with the reason given.
"""

from __future__ import annotations

import hashlib

import pytest

import parse_dump
from conftest import DUMP, ROOT

TABLE_KINDS = ("甲", "乙", "機關共同乙")


def chain_roles(entry):
    return [(step.role, step.action) for step in entry.chain]


def test_every_data_row_appears_once(catalogue, by_line):
    data_lines = [
        number
        for number, line in enumerate(DUMP.read_text(encoding="utf-8").split("\n"), start=1)
        if line.split("\t")[0].strip() in TABLE_KINDS
    ]
    assert len(data_lines) == 272  # DOMAIN.md: 272 task rows
    assert len(catalogue.entries) == 272
    assert sorted(by_line) == data_lines  # none dropped, none merged, none invented
    assert len({entry.id for entry in catalogue.entries}) == 272


def test_header_line_with_marks_is_not_a_row(by_line):
    # Line 290 is 媒體事務組 p.1's 表別 header line; it carries the marks of line 291.
    assert 290 not in by_line
    assert "header_marks_ignored" in by_line[291].flags


def test_metadata(catalogue):
    meta = catalogue.metadata
    assert meta.source_file == "000_e869757213248338.txt"
    assert meta.source_sha256 == hashlib.sha256(DUMP.read_bytes()).hexdigest()
    assert meta.effective_date == "2023-09-21"  # 民國112年9月21日
    assert meta.references == {
        "甲表": "府人管字第11201393821號核定",
        "乙表": "府人管字第11201393822號同意備查",
    }
    assert meta.units == [
        "總務組",
        "文書組",
        "國際事務組",
        "機要組",
        "市民服務組",
        "媒體事務組",
        "會計室",
        "人事室",
        "政風室",
    ]


def test_title_typo_still_names_the_unit(by_line):
    # Line 163 reads 臺北市府秘書處(國際事務組): the rows after it belong to 國際事務組.
    assert by_line[167].unit == "國際事務組"


# One golden row (or more) per page: (line, unit, final approver, chain, flags, why).
GOLDEN = [
    # p1 總務組, header line 5 = 4 承辦人員 … 11 市長. Line 9 fills 4..11: 擬辦 + V×6 + 核定 at 市長.
    (
        9,
        "總務組",
        "市長",
        ["承辦人員", "股長", "秘書、視察、專員", "組長", "專門委員", "副處長", "處長", "市長"],
        [],
        "甲, 8 marks on the 8 header roles",
    ),
    # p1: line 7 has V up to col 11 (市長's column) and 核定 at col 12, one past the last role.
    (
        7,
        "總務組",
        "市長",
        ["承辦人員", "股長", "秘書、視察、專員", "組長", "專門委員", "副處長", "處長", None, "市長"],
        ["extra_column_past_last_role"],
        "甲 decided by 府: 核定 past 市長 read as 市長, the extra step unnamed",
    ),
    # p2 總務組: line 34 小額採購: 擬辦 4, V 5-6, 核定 7 = 組長.
    (34, "總務組", "組長", ["承辦人員", "股長", "秘書、視察、專員", "組長"], [], "小額採購 decided by 組長"),
    # p3 總務組: line 50 starts 擬辦 at col 6 (the 秘書、視察、專員 column), 核定 at 10 = 處長.
    (
        50,
        "總務組",
        "處長",
        ["秘書、視察、專員", "組長", "專門委員", "副處長", "處長"],
        ["draft_not_by_clerk"],
        "擬辦 one column right of 承辦人員 is kept where it is and flagged",
    ),
    # p4 總務組: line 67 procurement ≤15萬: 核定 at col 8 = 專門委員.
    (
        67,
        "總務組",
        "專門委員",
        ["承辦人員", "股長", "秘書、視察、專員", "組長", "專門委員"],
        [],
        "15萬元以下 band",
    ),
    # p5 文書組: header puts 承辦人員 at 4 but rows 83-98 start 擬辦 at 5 and end 核定 at 12 (府);
    # the page's data fit 承辦人員..市長 at 5..12 with one exception (line 82).
    (
        83,
        "文書組",
        "市長",
        ["承辦人員", "股長", "專員", "組長", "專門委員", "副處長", "處長", "市長"],
        [],
        "page shifted one column right as a whole",
    ),
    (89, "文書組", "組長", ["承辦人員", "股長", "專員", "組長"], [], "層轉事項 stop at 組長 (col 8)"),
    (
        82,
        "文書組",
        "市長",
        [None, "承辦人員", "股長", "專員", "組長", "專門委員", "副處長", "處長", "市長"],
        ["mark_outside_layout"],
        "line 82 has one mark more than the page's roles: kept, flagged",
    ),
    # p6 文書組, header line 102 = 4..11; line 105: 擬辦 4, V 5, V 6, 核定 7 = 組長.
    (105, "文書組", "組長", ["承辦人員", "股長", "專員", "組長"], [], "例行性督導 by 組長"),
    (
        104,
        "文書組",
        "市長",
        ["股長", "專員", "組長", "專門委員", "副處長", "處長", "市長"],
        ["draft_not_by_clerk"],
        "擬辦 at col 5 = 股長 on a page whose layout fits everything else",
    ),
    # p7 文書組: line 137 硬碟報廢: 核定 at col 8 = 專門委員, co-signed by 政風室.
    (137, "文書組", "專門委員", ["承辦人員", "股長", "專員", "組長", "專門委員"], [], "硬碟報廢"),
    # p8 文書組: lines 149/150 have V up to col 8 and no 核定 at all.
    (
        149,
        "文書組",
        None,
        ["承辦人員", "股長", "專員", "組長", "專門委員"],
        ["no_final_approver"],
        "no 核定 in source",
    ),
    (
        150,
        "文書組",
        None,
        ["承辦人員", "股長", "專員", "組長", "專門委員"],
        ["no_final_approver"],
        "no 核定 in source",
    ),
    # p9 國際事務組 (title typo page): line 168 事務性 → 組長 (col 7).
    (168, "國際事務組", "組長", ["承辦人員", "股長", "秘書專員", "組長"], [], "事務性 by 組長"),
    (
        167,
        "國際事務組",
        "市長",
        ["承辦人員", "股長", "秘書專員", "組長", "專門委員", "副處長", "處長", None, "市長"],
        ["extra_column_past_last_role"],
        "政策性 甲 with 核定 at col 12",
    ),
    # p10 國際事務組: line 186 政策性 接待 → 處長 (col 10), 會辦 國際事務委員會.
    (
        186,
        "國際事務組",
        "處長",
        ["承辦人員", "股長", "秘書專員", "組長", "專門委員", "副處長", "處長"],
        [],
        "政策性 乙",
    ),
    # p11 國際事務組: line 201 starts 擬辦 at col 5 (股長), 核定 at 8 = 專門委員.
    (
        201,
        "國際事務組",
        "專門委員",
        ["股長", "秘書專員", "組長", "專門委員"],
        ["draft_not_by_clerk"],
        "擬辦 at 股長",
    ),
    # p12 機要組: line 218 skips cols 5-6: 承辦人員 擬辦, 組長..處長 V, 市長 核定 (col 11).
    (
        218,
        "機要組",
        "市長",
        ["承辦人員", "組長", "專門委員", "副處長", "處長", "市長"],
        [],
        "skipped roles left out",
    ),
    # p12: line 233 is 乙 but its 核定 sits in 市長's column (11): read shifted one left → 處長.
    (
        233,
        "機要組",
        "處長",
        ["股長", "秘書專員", "組長", "專門委員", "副處長", "處長"],
        ["yi_decided_above_chief", "draft_not_by_clerk"],
        "乙 never ends above 處長",
    ),
    # p13 機要組: header line 237 has 3 bare 襄助核稿 labels and 處長 at 11; the rows fit p12's layout
    # (乙 rows end at col 10 = 處長). Line 243 處務會議議程: 核定 at 10 = 處長.
    (
        243,
        "機要組",
        "處長",
        ["承辦人員", "股長", "組長", "專門委員", "副處長", "處長"],
        [],
        "layout from p12",
    ),
    (245, "機要組", "組長", ["秘書專員", "組長"], ["draft_not_by_clerk"], "市議會聯繫: 擬辦 at col 6"),
    # p14 市民服務組: line 260 擬辦 at col 6 (專員秘書), V 7 (組長), 核定 9 = 副處長.
    (260, "市民服務組", "副處長", ["專員秘書", "組長", "副處長"], ["draft_not_by_clerk"], "月報表"),
    # p15 市民服務組: line 276 procurement ≤15萬 → 專門委員 (col 8).
    (
        276,
        "市民服務組",
        "專門委員",
        ["承辦人員", "股長", "專員秘書", "組長", "專門委員"],
        [],
        "15萬元以下 band",
    ),
    # p16 媒體事務組: header line 289 has stray 襄助核稿 cells at 7 and 9 and stops at 副處長; the page
    # follows p17's layout (no 襄助 assistant column): 4 承辦人員 5 股長 6 組長 7 專門委員 8 副處長 9 處長 10 市長.
    (
        291,
        "媒體事務組",
        "市長",
        ["承辦人員", "股長", "組長", "專門委員", "副處長", "處長", "市長"],
        ["header_marks_ignored"],
        "甲 ends at 市長 (col 10)",
    ),
    (301, "媒體事務組", "專門委員", ["承辦人員", "股長", "組長", "專門委員"], [], "15萬元以下 band at col 7"),
    # p17 媒體事務組: line 308 逾50萬 → 處長 (col 9).
    (
        308,
        "媒體事務組",
        "處長",
        ["承辦人員", "股長", "組長", "專門委員", "副處長", "處長"],
        [],
        "逾50萬元 band",
    ),
    # p18 會計室: header line 320 = 4 承辦人員 5 主任 6 專門委員 7 副處長 8 處長 9 市長.
    (323, "會計室", "專門委員", ["承辦人員", "主任", "專門委員"], [], "15萬元以下 band"),
    # p19 人事室: line 338 替代役年度需求: 核定 at 6 = 專門委員.
    (338, "人事室", "專門委員", ["承辦人員", "主任", "專門委員"], [], "替代役"),
    # p20 人事室: line 356 不派員參加訓練: 核定 at 5 = 主任.
    (356, "人事室", "主任", ["承辦人員", "主任"], [], "unit head decides"),
    # p21 政風室: line 369: 核定 at 6 = 專門委員.
    (369, "政風室", "專門委員", ["承辦人員", "主任", "專門委員"], [], "15萬元以下 band"),
]


@pytest.mark.parametrize(
    ("line", "unit", "final", "roles", "flags", "why"), GOLDEN, ids=[f"L{g[0]}" for g in GOLDEN]
)
def test_golden_rows(by_line, line, unit, final, roles, flags, why):
    entry = by_line[line]
    assert entry.unit == unit, why
    assert entry.final_approver == final, why
    assert [step.role for step in entry.chain] == roles, why
    assert sorted(entry.flags) == sorted(flags), why
    assert entry.chain[-1].action == ("核定" if final else "陳核"), why


def test_golden_rows_cover_every_page(catalogue):
    pages = sorted(catalogue.pages, key=lambda p: p.title_line)
    starts = [p.title_line for p in pages] + [10**9]
    covered = {next(i for i in range(len(pages)) if starts[i] < line < starts[i + 1]) for line, *_ in GOLDEN}
    assert covered == set(range(len(pages)))


def test_layouts_chosen_for_the_tricky_pages(catalogue):
    by_title = {page.title_line: page for page in catalogue.pages}
    # 文書組 p.1: roles packed from column 5 (the data sit one column right of the header).
    assert by_title[78].columns[5] == "承辦人員" and by_title[78].columns[12] == "市長"
    # 機要組 p.2 and 媒體事務組 p.1 take their sibling page's header.
    assert by_title[235].columns[10] == "處長"
    assert by_title[287].columns == by_title[304].columns
    assert by_title[287].columns[7] == "專門委員"


def test_no_role_is_the_label_itself(catalogue):
    roles = {step.role for entry in catalogue.entries for step in entry.chain}
    assert "襄助核稿" not in roles and not any(role and "襄助核稿" in role for role in roles)


def test_flagged_rows_without_draft_or_with_marks_after_final(by_line):
    # Line 14: 核定 at col 4, then V at col 6: no 擬辦 and a mark after 核定.
    assert set(by_line[14].flags) == {"no_draft", "mark_after_final"}
    assert by_line[14].final_approver == "承辦人員"  # what the source says, flagged, not replaced


def test_yi_rows_never_end_above_chief_unflagged(catalogue):
    for entry in catalogue.entries:
        if entry.table != "甲" and entry.final_approver == "市長":
            pytest.fail(f"{entry.id} (line {entry.source_line}) is 乙 and decided by 市長")
    flagged = sorted(e.source_line for e in catalogue.entries if "yi_decided_above_chief" in e.flags)
    # 總務組 p.1 lines 12, 13, 17 put 核定 in 市長's column with one mark too many; 機要組 line 233 too.
    assert flagged == [12, 13, 17, 233]


def test_procurement_bands_agree_across_units(catalogue):
    """Self-check from the issue: one final approver per band, in every unit that lists the band."""
    finals: dict[tuple, set[str]] = {}
    for entry in catalogue.entries:
        if entry.table == "機關共同乙" and entry.item == "採購管理":
            band = (entry.amount_range.min, entry.amount_range.max)
            finals.setdefault(band, set()).add(entry.final_approver)
    assert finals == {
        (None, 150000): {"專門委員"},
        (150001, 500000): {"副處長"},
        (500001, None): {"處長"},
    }


def test_every_unit_but_jiyao_lists_the_procurement_bands(catalogue):
    units = {e.unit for e in catalogue.entries if e.table == "機關共同乙" and e.item == "採購管理"}
    assert units == {
        "總務組",
        "文書組",
        "國際事務組",
        "市民服務組",
        "媒體事務組",
        "會計室",
        "人事室",
        "政風室",
    }


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        (270, "content", "回復議員索取資料、質詢案件、協調、服務案件、報告案或會勘相關事項"),  # 「質詢案 件」
        (264, "content", "修訂年度志願服務工作實施程及計畫"),  # 「實施 程及計畫」
        (265, "content", "辦理志願服務紀錄冊及核發服務證明書等事項"),
        (276, "notes", ["1萬5,000元以下免會政風室"]),  # 「1萬5,000 元以下免 會政風室」
        (279, "notes", ["其餘案件授權由第二層決行"]),  # 「其餘案件 授權由第 二層決行」
    ],
)
def test_line_wrap_spaces_removed(by_line, line, field, expected):
    assert getattr(by_line[line], field) == expected
    assert " " in by_line[line].raw.replace("\t", "")  # the raw line keeps what the dump had


@pytest.mark.parametrize(
    ("line", "units"),
    [
        (67, ["會計室", "政風室"]),  # 「會計室 政風室」 with a space
        (152, ["總務組", "會計室", "政風室"]),  # 「總務組會計室政風室」 glued
        (276, ["總務組", "會計室", "政風室"]),  # 「總務組 會計室 政風室」
        (323, ["總務組", "政風室"]),  # 「總務組政風室」
        (19, ["會計室", "政風室", "人事室"]),
        (7, ["主計處"]),  # a unit outside the Secretariat
        (167, ["國際事務委員會"]),
        (54, ["媒體事務組"]),  # sits in column 12 on that page, not 13
    ],
)
def test_cosign_splitting(by_line, line, units):
    assert by_line[line].cosign == units


@pytest.mark.parametrize(
    ("line", "band"),
    [
        (67, (None, 150000)),  # 採購金額新臺幣15萬元以下案件: 以下 inclusive
        (68, (150001, 500000)),  # 逾新臺幣15萬元、50萬元以下: 逾 exclusive
        (69, (500001, None)),  # 逾新臺幣50萬元
        (34, (None, 10000)),  # 業務名稱 採購金額新臺幣1萬元以下案件
        (54, None),  # 估計造成10人以上傷亡: people, not money
    ],
)
def test_amount_ranges(by_line, line, band):
    got = by_line[line].amount_range
    assert (None if got is None else (got.min, got.max)) == band


def test_conditions(by_line):
    waiver = by_line[67].conditions[0]
    assert (waiver.kind, waiver.threshold, waiver.unit) == ("waiver", 15000, "政風室")
    stamp = by_line[113].conditions[0]  # 章戳銷毀事項需會辦本處政風室
    assert stamp.kind == "cosign" and stamp.unit == "政風室" and "銷毀" in stamp.triggers
    security = by_line[132].conditions[0]  # 涉及資安業務者，需會辦政風室
    assert security.kind == "cosign" and "資安" in security.triggers
    privacy = by_line[141].conditions[0]  # 上稿內容涉及個資者，由組長核定
    assert (privacy.kind, privacy.role) == ("escalation", "組長") and "個資" in privacy.triggers
    major = by_line[9].conditions[0]  # 涉及重大或爭議事項，向上陳核
    assert major.kind == "escalation" and major.role is None and {"重大", "爭議"} <= set(major.triggers)
    delegation = by_line[70].conditions[0]  # 其餘案件授權由第二層決行 — 第二層 of a 組 is its 組長
    assert (delegation.kind, delegation.role) == ("delegation", "組長")
    assert by_line[355].conditions[0].role == "主任"  # …and of a 室 its 主任
    scope = by_line[149].conditions[0]  # 文書、公報業務
    assert scope.kind == "scope"


def test_parse_is_deterministic_and_committed_yaml_is_current(tmp_path):
    vocabulary = parse_dump.read_vocabulary(parse_dump.DEFAULT_VOCABULARY)
    first = parse_dump.dump_yaml(parse_dump.parse_dump(DUMP.read_bytes(), DUMP.name, vocabulary))
    second = parse_dump.dump_yaml(parse_dump.parse_dump(DUMP.read_bytes(), DUMP.name, vocabulary))
    assert first == second
    assert (ROOT / "data" / "tables.yaml").read_text(encoding="utf-8") == first
    assert parse_dump.main(["--check"]) == 0
    stale = tmp_path / "tables.yaml"
    stale.write_text(first.replace("市長", "府", 1), encoding="utf-8")
    assert parse_dump.main(["--check", "--out", str(stale)]) == 1


def test_parser_refuses_a_row_it_cannot_place():
    lines = DUMP.read_text(encoding="utf-8").split("\n")
    lines.insert(30, "丙\t事務管理\t不存在的表別\t\t擬辦\tV\t核定")
    with pytest.raises(parse_dump.DumpError, match="第 31 行"):
        parse_dump.parse_dump("\n".join(lines).encode("utf-8"), "broken.txt")


def test_parser_refuses_text_before_the_first_title():
    with pytest.raises(parse_dump.DumpError, match="第 1 行"):
        parse_dump.parse_dump("甲\t事務\t內容\n".encode(), "broken.txt")
