"""`approval triage` extraction core: meeting records in, items to route out.

The expected values for the seed record (tests/data/minutes_seed_108.txt, a byte-identical copy
of ../shared/seeds/004_8c74ff8139f25c9b.txt, minutes of the 第108次處務會議 of 111年1月20日) were
written by reading the record, one line of reasons per item. minutes_a.txt and minutes_b.txt are
records written by hand in the same style, each varying numbering, brackets and sections.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approval_cli.errors import EXIT_BAD_INPUT, UsageError
from approval_cli.meetings.record import (
    CSV_HEADER,
    NO_MATCH_NOTE,
    UNITS,
    Item,
    Record,
    find_deadline,
    find_people,
    find_tracking,
    find_units,
    parse_record,
    read_record_bytes,
    route_items,
    to_csv,
)

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "minutes_seed_108.txt"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "004_8c74ff8139f25c9b.txt"

ALL = list(UNITS)  # 「各組室」
OTHERS_AFTER = {unit: [unit, *(other for other in UNITS if other != unit)] for unit in UNITS}
PUBLIC_AFFAIRS = ("公管中心", "臺北市市政大樓公共事務管理中心")


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def summary(item: Item) -> tuple:
    """(kind, units, unknown units, people, deadline) in plain values, for comparison."""
    return (
        item.kind,
        item.units,
        [(unit.name, unit.full_name) for unit in item.unknown_units],
        [(person.name, person.role) for person in item.people],
        (item.deadline.text, item.deadline.date) if item.deadline else None,
    )


def by_section(record: Record) -> dict[str, Item]:
    sections = [item.section for item in record.items]
    assert len(sections) == len(set(sections)), "sections must identify items"
    return {item.section: item for item in record.items}


@pytest.fixture(scope="module")
def seed() -> Record:
    return parse_record(SEED.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# The seed record
# --------------------------------------------------------------------------------------------


def triaged(store, record: str) -> list[dict]:
    """The items of a meeting record written in the test, routed against the built-in catalogue."""
    from approval_cli.answers.core import triage_record

    return triage_record(store, record.encode()).to_dict()["items"]


def test_seed_copy_is_byte_identical_to_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip("../shared is not beside this checkout")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_meeting_header(seed):
    assert seed.meeting.to_dict() == {
        "name": "第108次處務會議",  # title: 臺北市政府秘書處第 108 次處務會議紀錄
        "date_roc": "民國111年1月20日",  # 時間：民國 111 年 1 月 20 日 10 時 0 分
        "date": "2022-01-20",
        "chair": "陳志銘",
        "recorder": "葉霆怡",
        "location": "視訊會議",
    }
    assert seed.warnings == []


# Every 會議結論 item of the seed: (section, kind, units, unknown units, people, deadline).
SEED_CONCLUSIONS = [
    # 壹: 「會議結論：紀錄確定。」 confirms the 107th minutes.
    ("壹", "noted", [], [], [], None),
    # 參、一 (市政會議裁指示事項): 「同意備查」.
    ("參、一、(一)", "noted", [], [], [], None),
    # 「重申同仁…請隨時向本人反映」 asks staff to act; no unit, 本人 is the chair; 隨時 is no deadline.
    ("參、一、(二)", "directive", [], [], [], None),
    ("參、二、(一)", "noted", [], [], [], None),
    # 列管案號 … 解除列管／賡續列管, nobody asked to act: a tracking change.
    ("參、二、(二)", "tracking", [], [], [], None),
    # 「請總務組與公管中心每季於主秘會報提報…」: 公管中心 is outside the table; 主秘會報 is a meeting.
    ("參、二、(三)", "directive", ["總務組"], [PUBLIC_AFFAIRS], [], ("每季", None)),
    ("參、三、(一)", "noted", [], [], [], None),
    # 「請各組室確實掌握權管採購招標期程」: all nine units.
    ("參、三、(二)", "directive", ALL, [], [], None),
    # 「請文書組於一月底前…」: end of January of the meeting's year.
    ("參、三、(三)", "directive", ["文書組"], [], [], ("一月底前", "2022-01-31")),
    # 「請各組室主管轉知同仁…」.
    ("參、三、(四)", "directive", ALL, [], [], None),
    # 「請國際事務組規劃擴大城市交流…」; 駐華機構 is not a unit.
    ("參、三、(五)", "directive", ["國際事務組"], [], [], None),
    # 「請機要組妥善規劃112(免)年門聯採購」: 112年 names the couplets' year, not a deadline; 市長 is
    # mentioned (落款), not a person to act.
    ("參、三、(六)", "directive", ["機要組"], [], [], None),
    # 「待市民服務組搬遷至1樓北區時，再予研商…」: a decision to act later, on a condition, not a date.
    ("參、三、(七)", "directive", ["市民服務組"], [], [], None),
    # 「請媒體事務組審慎應用，若有需求可請本人提供協助」.
    ("參、三、(八)", "directive", ["媒體事務組"], [], [], None),
    # 「請林副秘書長協助關懷…」: a person, no unit; 副秘書長 holds the 副處長 role.
    ("參、三、(九)", "directive", [], [], [("林副秘書長", "副處長")], None),
    # 「請各組室主管要求同仁務必於 8 月 31 日前…」.
    ("參、三、(十)", "directive", ALL, [], [], ("8月31日前", "2022-08-31")),
    # 「務請各組室主管提醒同仁…自行迴避」.
    ("參、三、(十一)", "directive", ALL, [], [], None),
    # 「請公管中心了解其他局處類似場館之開放指引…」: an unknown unit only; 其他局處 is no unit.
    ("參、三、(十二)", "directive", [], [PUBLIC_AFFAIRS], [], None),
    # 參、四 (法務局 asks the 處 to review its rules): 「同意備查」 then a directive to every unit.
    ("參、四、(一)", "noted", [], [], [], None),
    ("參、四、(二)", "directive", ALL, [], [], None),
    # 參、五: 「會議結論：同意備查。」 inline.
    ("參、五", "noted", [], [], [], None),
]


def test_seed_conclusions_in_order(seed):
    conclusions = [item for item in seed.items if item.source == "會議結論"]
    assert [item.section for item in conclusions] == [row[0] for row in SEED_CONCLUSIONS]


@pytest.mark.parametrize(("section", "kind", "units", "unknown", "people", "deadline"), SEED_CONCLUSIONS)
def test_seed_conclusion_item(seed, section, kind, units, unknown, people, deadline):
    item = by_section(seed)[section]
    assert item.source == "會議結論"
    assert summary(item) == (kind, units, unknown, people, deadline)


def test_seed_conclusion_tasks_strip_addressee_deadline_and_purpose(seed):
    items = by_section(seed)
    assert items["參、三、(三)"].task == "將本處群組由Line移轉至TAIPEION即時通"
    assert items["參、三、(二)"].task == "確實掌握權管採購招標期程"  # 「，以利業務推動順遂」 dropped
    assert items["參、三、(九)"].task == "協助關懷加班逾45小時同仁"
    assert items["參、三、(十)"].task == "要求同仁務必至臺北e大完成機密文書處理與實務之線上課程"
    assert items["參、二、(三)"].task.startswith("於主秘會報提報市政大樓公務車輛(含駕駛)統一調派")
    assert items["參、二、(三)"].deadline.recurring
    for item in seed.items:
        assert (item.task != "") == (item.kind in ("directive", "report"))


def test_seed_text_is_cleaned(seed):
    items = by_section(seed)
    # 「於 8 月 31 日前至臺北 e 大」: spaces next to Chinese characters go.
    assert (
        items["參、三、(十)"].text
        == "請各組室主管要求同仁務必於8月31日前至臺北e大完成機密文書處理與實務之線上課程。"
    )
    # The record writes 「（含駕駛）」 in full width; text keeps half-width brackets, full-width commas.
    assert "公務車輛(含駕駛)統一調派" in items["參、二、(三)"].text
    assert "，以利了解出車率" in items["參、二、(三)"].text
    assert items["參、三、(三)"].topic == "各組室業務工作報告"


# Directives inside the unit reports of 參、三: (section, units, unknown, people, deadline).
SEED_REPORT_DIRECTIVES = [
    # 「各組室上架本處網站資料…均請務必於上架申請資訊中載明」.
    ("參、三、文書組高組長補充報告、(一)", ALL, [], [], None),
    # 「請各組室主管宣導同仁，勿隨意開啟來路不明信件」.
    ("參、三、文書組高組長補充報告、(二)", ALL, [], [], None),
    # 「本組將於每月初…發送各組室…，請各組室同仁配合辦理」: 本組 is 文書組, the reporter.
    ("參、三、文書組高組長補充報告、(三)", OTHERS_AFTER["文書組"], [], [], ("每月初", None)),
    # 「處長及副處長部分，再請秘書協助邀請加入群組」: 秘書 is asked; 處長 and 副處長 are to be
    # invited (Item.invited), not assigned.
    ("參、三、文書組高組長補充報告、(四)", [], [], [("秘書", "秘書、視察、專員")], None),
    # 「請相關組室長官預作準備」: 相關組室 names no unit.
    ("參、三、機要組涂組長補充報告、(二)", [], [], [], None),
    # 「簽辦獎勵案件時，…皆應於公文中加註…」: a rule for every unit, asking no one by name.
    ("參、三、政風室劉主任補充報告、(一)", ALL, [], [], None),
    # 「政風處已於臺北 e 大製播課程，請各主管轉知同仁於今年 8 月 30 日前完成點讀」.
    (
        "參、三、政風室劉主任補充報告、(二)",
        [],
        [("政風處", "臺北市政府政風處")],
        [],
        ("今年8月30日前", "2022-08-30"),
    ),
]


def test_seed_report_directives(seed):
    reports = [item for item in seed.items if item.source != "會議結論" and item.kind == "directive"]
    assert [item.section for item in reports] == [row[0] for row in SEED_REPORT_DIRECTIVES]
    for section, units, unknown, people, deadline in SEED_REPORT_DIRECTIVES:
        assert summary(by_section(seed)[section]) == ("directive", units, unknown, people, deadline), section


# Paragraphs of a unit's own report that ask nothing and plan nothing: work done, put off or
# reported (read from the seed's 參、三). Each is a `report` item for the reporting unit, not a
# directive: the clerk filing the minutes looks up their rows too (every blind set's writers listed
# such lines), apart from what is to be done.
SEED_REPORTS = [
    ("參、三、國際事務組陳組長補充報告、(一)", "國際事務組"),  # 使節盃網球賽…暫緩辦理
    ("參、三、國際事務組陳組長補充報告、(二)", "國際事務組"),  # 安排德國在臺協會代表參觀…獲得外賓肯定
    ("參、三、機要組涂組長補充報告、(一)", "機要組"),  # 府會聯絡員餐敘…奉核暫緩辦理
    ("參、三、市民服務組張組長補充報告", "市民服務組"),  # 哺(集)乳室…建議可先蒐集
    ("參、三、媒體事務組王組長補充報告、(一)", "媒體事務組"),  # 110年度統計發布新聞稿435則…
    ("參、三、媒體事務組王組長補充報告、(二)", "媒體事務組"),  # 議會…加開臨時大會
]


def test_seed_reports_of_work_done_are_report_items(seed):
    reports = [item for item in seed.items if item.kind == "report"]
    assert [(item.section, item.units) for item in reports] == [(s, [u]) for s, u in SEED_REPORTS]
    # 公管中心 is no unit of the table: its report (「已請 B1、B2 餐廳…回報」) is no item.
    assert "參、三、公管中心趙主任補充報告、(一)" not in by_section(seed)
    for item in reports:
        assert item.task and not item.people and not item.rule


def test_seed_report_sentences_that_ask_nobody_are_not_directives(seed):
    sections = {item.section for item in seed.directives}
    # 「並請資訊、警察、消防等局處進行業務簡報，獲得外賓肯定」 narrates what happened.
    assert "參、三、國際事務組陳組長補充報告、(二)" not in sections
    # 「已請 B1、B2 餐廳…回報」: already asked, nothing for the meeting to route.
    assert "參、三、公管中心趙主任補充報告、(一)" not in sections
    # 市民服務組 suggests (建議可先蒐集…).
    assert not any(section.startswith("參、三、市民服務組") for section in sections)


def test_seed_report_item_keeps_the_whole_paragraph_as_context(seed):
    item = by_section(seed)["參、三、政風室劉主任補充報告、(二)"]
    assert item.text.startswith("為使同仁瞭解解密作業流程")
    assert "另本室亦將邀請政風處承辦人員" not in item.text  # the sentence without 請 stays out
    assert item.context and item.context.endswith("探討同仁實務運作上遇到的疑義與問題。")


def test_seed_wrapped_line_is_joined(seed):
    # 「俾利資訊人員刊載聲明」 + blank line + 「內容。」 in the record.
    item = by_section(seed)["參、三、文書組高組長補充報告、(一)"]
    assert item.text.endswith("俾利資訊人員刊載聲明內容。")


def test_seed_tracking(seed):
    assert [(change.case, change.action, change.section) for change in seed.tracking] == [
        *((case, "解除列管", "參、二、(二)") for case in ("10606", "10701", "10702", "10703", "10704")),
        *((case, "賡續列管", "參、二、(二)") for case in ("9903", "9904", "10502", "10705")),
    ]


def test_seed_to_dict_is_json_ready(seed):
    data = json.loads(json.dumps(seed.to_dict(), ensure_ascii=False))
    assert set(data) == {"meeting", "items", "tracking", "warnings"}
    item = next(entry for entry in data["items"] if entry["section"] == "參、二、(三)")
    # parse_record alone knows no vocabulary of outside bodies: nobody supervises 公管中心 here.
    assert item["unknown_units"] == [
        {"name": "公管中心", "full_name": "臺北市市政大樓公共事務管理中心", "supervised_by": None}
    ]
    assert item["deadline"] == {"text": "每季", "date": None, "recurring": True}
    assert item["matches"] == [] and item["match_note"] is None
    person = next(entry for entry in data["items"] if entry["section"] == "參、三、(九)")["people"][0]
    assert person == {"name": "林副秘書長", "title": "副秘書長", "role": "副處長"}


# --------------------------------------------------------------------------------------------
# Hand-written records in other styles
# --------------------------------------------------------------------------------------------


def test_minutes_a_full_width_record():
    """Full-width numerals and brackets, both 「主席」 and 「紀錄」 on one line, 繼續列管, a line wrap
    inside a report, a directive to 資訊局 (outside the table) and one naming no unit."""
    record = parse_record(read("minutes_a.txt"))
    assert record.meeting.to_dict() == {
        "name": "第109次處務會議",
        "date_roc": "民國111年2月17日",
        "date": "2022-02-17",
        "chair": "陳志銘",
        "recorder": "李怡君",
        "location": "市政大樓11樓秘書處第一會議室",
    }
    items = by_section(record)
    expected = {
        "壹": ("noted", [], [], [], None),
        "貳、一、(一)": ("noted", [], [], [], None),
        "貳、一、(二)": ("tracking", [], [], [], None),
        # 「市政大樓公務車輛調派統計資料已於２月主秘會報提報」: done, a report of 總務組's.
        "貳、二、總務組吳組長補充報告、(一)": ("report", ["總務組"], [], [], None),
        # 「本組預計…，請各組室於２月底前清點閒置車輛\n並回報本組」: 本組 is 總務組.
        "貳、二、總務組吳組長補充報告、(二)": (
            "directive",
            OTHERS_AFTER["總務組"],
            [],
            [],
            ("2月底前", "2022-02-28"),
        ),
        # 「請各單位同仁確認薪資明細，如有疑義請洽本室」.
        "貳、二、人事室蔡主任補充報告、(一)": ("directive", ALL, [], [], None),
        "貳、二、(一)": ("noted", [], [], [], None),
        "貳、二、(二)": ("directive", ["會計室", "人事室"], [], [], ("3月15日前", "2022-03-15")),
        "貳、二、(三)": ("directive", [], [("資訊局", "臺北市政府資訊局")], [], ("下次會議前", None)),
        # 「請各組每月檢視…」: 各組 is the six 組, not the 室.
        "貳、二、(四)": ("directive", ALL[:6], [], [], ("每月", None)),
        # 「同仁出入辦公室請確實配戴口罩」: a directive naming no unit (辦公室 is no unit).
        "貳、二、(五)": ("directive", [], [], [], None),
        "貳、二、(六)": (
            "directive",
            ["政風室"],
            [],
            [("周副秘書長", "副處長")],
            ("今年6月30日前", "2022-06-30"),
        ),
    }
    assert {section: summary(item) for section, item in items.items()} == expected
    assert [(change.case, change.action, change.action_text) for change in record.tracking] == [
        ("10705", "解除列管", "解除列管"),
        ("10803", "解除列管", "解除列管"),
        ("9903", "賡續列管", "繼續列管"),
        ("10805", "賡續列管", "繼續列管"),
    ]
    assert items["貳、二、總務組吳組長補充報告、(二)"].text.endswith("清點閒置車輛並回報本組。")
    assert items["貳、二、(六)"].task == "督導政風室辦理本處年度廉政宣導活動"
    assert record.warnings == []


def test_minutes_b_half_width_record_in_december():
    """Half-width colons and brackets, no 紀錄 line, 1./2. items under (一)-numbered agenda items,
    an agenda item with no 會議結論, and a 「參、主席結論」 section of bulleted 一、 items."""
    record = parse_record(read("minutes_b.txt"))
    assert record.meeting.name == "第118次處務會議"
    assert record.meeting.date_roc == "111年12月15日" and record.meeting.date == "2022-12-15"
    assert record.meeting.chair == "林副秘書長" and record.meeting.recorder is None
    items = by_section(record)
    expected = {
        "壹": ("noted", [], [], [], None),  # 「確定。」
        # 「(一)文書組報告:本年度檔案清查作業辦理情形。」: the unit's report on its heading's line.
        "貳、(一)、文書組報告": ("report", ["文書組"], [], [], None),
        "貳、(一)、1": ("noted", [], [], [], None),  # 「洽悉。」
        # 「於1月底前」 at a December meeting: January of the next year. 「簽陳秘書長」: 陳 is a verb.
        "貳、(一)、2": ("directive", ["文書組"], [], [("秘書長", "處長")], ("1月底前", "2023-01-31")),
        "貳、(一)、3": ("tracking", [], [], [], None),
        # A wrapped line; 「於2週內」 counts from the meeting.
        # 「(二)市民服務組報告:1999市民熱線話務量統計。」 after (一)'s 會議結論: read the same (review).
        "貳、(二)、市民服務組報告": ("report", ["市民服務組"], [], [], None),
        "貳、(三)、媒體事務組報告": ("report", ["媒體事務組"], [], [], None),  # 「112年度市政宣導計畫。」
        "貳、(三)、1": (
            "directive",
            ["媒體事務組"],
            [("觀傳局", "臺北市政府觀光傳播局")],
            [],
            ("2週內", "2022-12-29"),
        ),
        # 「各室」 is the three 室; 會計室 named again is not repeated.
        "貳、(三)、2": ("directive", ["會計室", "人事室", "政風室"], [], [], ("12月28日前", "2022-12-28")),
        # 「年終歲末，請注意辦公室門禁及用電安全」: no unit, and 年終 is no deadline.
        "參、一": ("directive", [], [], [], None),
        "參、二": ("directive", ["國際事務組", "機要組"], [], [("副處長", "副處長")], ("每週", None)),
        "參、三": ("directive", [], [("公訓處", "臺北市政府公務人員訓練處")], [], None),
    }
    assert {section: summary(item) for section, item in items.items()} == expected
    # (二) has no 會議結論: its title is a report of 市民服務組's (above), no directive.
    assert [item.kind for section, item in items.items() if section.startswith("貳、(二)")] == ["report"]
    assert items["參、一"].source == "主席結論"
    assert [(change.case, change.action) for change in record.tracking] == [("11101", "解除列管")]
    assert record.warnings == []


def test_bracket_and_width_variants_give_the_same_result():
    seed_text = SEED.read_text(encoding="utf-8")
    expected = parse_record(seed_text).to_dict()
    half_width = unicodedata.normalize("NFKC", seed_text)  # (一), 1, : everywhere
    full_width = seed_text.replace("(", "（").replace(")", "）").replace("- ", "")
    crlf_with_bom = "\ufeff" + seed_text.replace("\n", "\r\n")
    for variant in (half_width, full_width, read_record_bytes(crlf_with_bom.encode("utf-8"))):
        assert parse_record(variant).to_dict() == expected


def test_numbering_with_yi_items_and_a_heading_block():
    record = parse_record(
        "臺北市政府秘書處第110次處務會議紀錄\n時間：111年3月17日\n"
        "肆、會議結論：\n一、同意備查。\n二、請人事室於3月底前辦理。\n"
    )
    assert [(item.section, item.kind, item.units) for item in record.items] == [
        ("肆、一", "noted", []),
        ("肆、二", "directive", ["人事室"]),
    ]
    assert record.items[1].deadline.date == "2022-03-31"


def test_bullets_without_numbers_and_sub_points():
    record = parse_record(
        "第120次處務會議紀錄\n時間：112年1月5日\n壹、報告事項\n會議結論：\n"
        "• 同意備查。\n• 請各組長於下週五前提報年度計畫。\n• 請總務組協助：\n  1. 盤點辦公室用電。\n"
        "  2. 於3個月內完成節能改善。\n貳、討論事項\n決議：照案通過。\n"
    )
    assert [(item.section, item.kind) for item in record.items] == [
        ("壹、第1點", "noted"),
        ("壹、第2點", "directive"),
        ("壹、第3點", "directive"),
        ("貳", "noted"),
    ]
    asked_heads, helper = record.items[1], record.items[2]
    assert asked_heads.units == ALL[:6]  # 各組長: the heads of the six 組
    assert asked_heads.task == "提報年度計畫"
    assert asked_heads.deadline.date == "2023-01-13"  # Friday of the week after Thursday 5 January
    assert helper.text == "請總務組協助：1.盤點辦公室用電。2.於3個月內完成節能改善。"  # sub-points stay in
    assert helper.deadline.date == "2023-04-05"


def test_record_without_conclusions_warns_and_falls_back_to_requests():
    record = parse_record(
        "臺北市政府秘書處處務會議紀錄\n日期：2022/03/03\n一、文書組報告公文時效。\n請各組室於本月底前清理逾期公文。\n"
    )
    assert "找不到會議結論段落。" in record.warnings
    assert record.meeting.date == "2022-03-03" and record.meeting.date_roc is None
    assert [(item.section, item.source, item.units, item.deadline.date) for item in record.items] == [
        ("一", "內文", ALL, "2022-03-31")
    ]


def test_record_without_header_warns_and_uses_today():
    record = parse_record("會議結論：\n(一) 請文書組於一月底前辦理。\n", today=date(2022, 12, 1))
    assert "找不到會議名稱。" in record.warnings
    assert "找不到會議日期，期限以今天的日期推算。" in record.warnings
    assert record.items[0].deadline.date == "2023-01-31"
    undated = parse_record("會議結論：\n(一) 請文書組於一月底前辦理。\n")
    assert undated.items[0].deadline == find_deadline("一月底前", None)
    assert undated.items[0].deadline.date is None


def test_meeting_name_and_date_in_other_spellings():
    record = parse_record("臺北市政府秘書處第一百零八次處務會議紀錄\n時間：一一一年一月二十日上午十時\n")
    assert record.meeting.name == "第一百零八次處務會議"
    assert record.meeting.date == "2022-01-20"


# --------------------------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("請文書組於一月底前辦理", date(2022, 1, 20), ("一月底前", "2022-01-31", False)),
        ("請文書組於一月底前辦理", date(2022, 12, 15), ("一月底前", "2023-01-31", False)),  # rolls over
        ("於12月28日前提供", date(2022, 12, 15), ("12月28日前", "2022-12-28", False)),
        ("於1月10日前提供", date(2022, 12, 15), ("1月10日前", "2023-01-10", False)),
        ("今年8月30日前完成", date(2022, 1, 20), ("今年8月30日前", "2022-08-30", False)),
        ("於112年3月1日前完成", None, ("112年3月1日前", "2023-03-01", False)),  # its own year
        ("於8月31日前完成", None, ("8月31日前", None, False)),  # no reference: no date
        ("於本月底前清理", date(2022, 3, 3), ("本月底前", "2022-03-31", False)),
        ("於下個月底前清理", date(2022, 12, 15), ("下個月底前", "2023-01-31", False)),
        ("於年底前完成", date(2022, 2, 17), ("年底前", "2022-12-31", False)),
        ("於3月中旬前完成", date(2022, 1, 20), ("3月中旬前", "2022-03-20", False)),
        ("下週五前提報", date(2023, 1, 5), ("下週五前", "2023-01-13", False)),
        ("於2週內提出", date(2022, 12, 15), ("2週內", "2022-12-29", False)),
        ("於1個月內提出", date(2022, 1, 31), ("1個月內", "2022-02-28", False)),
        ("每季於主秘會報提報", date(2022, 1, 20), ("每季", None, True)),
        ("並於下次會議前回復", date(2022, 1, 20), ("下次會議前", None, False)),
        ("於2月30日前完成", date(2022, 1, 20), ("2月30日前", None, False)),  # no such day
        ("於農曆年後移轉", date(2022, 1, 20), None),  # after, not by
        ("請隨時反映", date(2022, 1, 20), None),
        ("規劃112(免)年門聯採購", date(2022, 1, 20), None),
        ("原訂於1月22日舉辦", date(2022, 1, 20), None),  # an event date, not a deadline
    ],
)
def test_find_deadline(text, reference, expected):
    deadline = find_deadline(text, reference)
    assert (deadline and (deadline.text, deadline.date, deadline.recurring)) == expected


@pytest.mark.parametrize(
    ("text", "units", "unknown"),
    [
        ("請各組室辦理", ALL, []),
        ("請各組、室辦理", ALL, []),
        ("請各單位辦理", ALL, []),
        ("請各組辦理", ALL[:6], []),
        ("請各室辦理", ALL[6:], []),
        ("請會計室及人事室辦理", ["會計室", "人事室"], []),
        ("提第108次處務會議報告，本處同仁配合", [], []),  # 處務會議 and 本處 are not units
        ("了解其他局處類似場館", [], []),
        ("本府法務局函請本處", [], [("法務局", "臺北市政府法務局")]),
        ("請人事處及主計處協助", [], [("人事處", "臺北市政府人事處"), ("主計處", "臺北市政府主計處")]),
        ("請研考會列管", [], [("研考會", "臺北市政府研究發展考核委員會")]),
        ("請臺北市市政大樓公共事務管理中心", [], [("臺北市市政大樓公共事務管理中心", PUBLIC_AFFAIRS[1])]),
        ("請本府數位發展中心協助", [], [("數位發展中心", None)]),  # an agency the list does not know
        ("人事室協助，非人事處", ["人事室"], [("人事處", "臺北市政府人事處")]),
    ],
)
def test_find_units(text, units, unknown):
    found_units, found_unknown = find_units(text)
    assert found_units == units
    assert [(unit.name, unit.full_name) for unit in found_unknown] == unknown


def test_own_unit_in_a_report():
    assert find_units("本室將辦理", own_unit="政風室")[0] == ["政風室"]
    assert find_units("本室將辦理")[0] == []


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("請林副秘書長協助", [("林副秘書長", "副秘書長", "副處長")]),
        ("陳秘書長核定", [("陳秘書長", "秘書長", "處長")]),
        ("並簽陳秘書長核定", [("秘書長", "秘書長", "處長")]),  # 簽陳 is a verb
        ("每季於主秘會報提報", []),  # 主秘會報 is a meeting
        ("總務組長、事務股長、政風主任", []),  # unit + title, no person named
        ("請王組長與劉主任說明", [("王組長", "組長", "組長"), ("劉主任", "主任", "主任")]),
        ("本處秘書長、副秘書長", [("秘書長", "秘書長", "處長"), ("副秘書長", "副秘書長", "副處長")]),
        ("請張主任秘書督導", [("張主任秘書", "主任秘書", None)]),
    ],
)
def test_find_people(text, people):
    assert [(person.name, person.title, person.role) for person in find_people(text)] == people


def test_find_tracking_pairs_each_action_with_its_cases():
    changes = find_tracking(
        "列管案號10606解除列管，9903及10502繼續列管；第107次會議案號10801予以列管。", "參、二"
    )
    assert [(change.case, change.action) for change in changes] == [
        ("10606", "解除列管"),
        ("9903", "賡續列管"),
        ("10502", "賡續列管"),
        ("10801", "other"),  # 第107次 is a meeting number, not a case
    ]
    assert find_tracking("同意備查。", "參") == []


# --------------------------------------------------------------------------------------------
# Routing and CSV
# --------------------------------------------------------------------------------------------


class FakeMatcher:
    """Five rows per unit scoring 0.9 … 0.2; nothing for None; one row every unit shares."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.addressed: dict[tuple[str, str | None], bool] = {}

    def __call__(self, task: str, unit: str | None, addressed: bool) -> list[dict]:
        self.calls.append((task, unit))
        self.addressed[task, unit] = addressed
        if unit is None:
            return []
        rows = [
            {"id": f"{unit}-{n}", "unit": unit, "score": score, "final_approver": "組長", "chain": []}
            for n, score in enumerate((0.2, 0.9, 0.7, 0.8, 0.75))
        ]
        return [*rows, {"id": "shared", "unit": unit, "score": 0.1, "final_approver": "處長", "chain": []}]


def test_route_items_keeps_top_three_per_unit_above_min_score(seed):
    matcher = FakeMatcher()
    routed = route_items(seed, matcher, min_score=0.5)
    items = by_section(routed)
    assert [match["id"] for match in items["參、三、(三)"].matches] == ["文書組-1", "文書組-3", "文書組-4"]
    assert all(match["for_unit"] == "文書組" for match in items["參、三、(三)"].matches)
    assert items["參、三、(三)"].match_note is None
    assert ("將本處群組由Line移轉至TAIPEION即時通", "文書組") in matcher.calls
    # One call per unit: all nine for 「各組室」.
    assert [unit for task, unit in matcher.calls if task == items["參、三、(二)"].task] == ALL
    # A unit the item names among at most two is addressed as a clerk chooses one for route; the
    # nine of 各組室 are not.
    assert matcher.addressed[items["參、三、(三)"].task, "文書組"] is True
    assert not any(matcher.addressed[items["參、三、(二)"].task, unit] for unit in ALL)
    # 各組室 names nine units: the best row of each (27 rows would bury the answer), not three.
    assert [match["id"] for match in items["參、三、(二)"].matches] == [f"{unit}-1" for unit in ALL]
    # Noted and tracking items are not routed; the record handed in is not changed.
    assert items["參、五"].matches == [] and items["參、五"].match_note is None
    routed_kinds = [item for item in seed.items if item.kind in ("directive", "report")]
    assert len(matcher.calls) == sum(max(1, len(item.units)) for item in routed_kinds)
    assert all(item.matches == [] for item in seed.items)


def test_route_items_notes_when_nothing_fits(seed):
    routed = by_section(route_items(seed, FakeMatcher(), min_score=0.95))
    assert routed["參、三、(三)"].matches == []
    assert routed["參、三、(三)"].match_note == NO_MATCH_NOTE
    # No unit at all: asked once with None.
    assert routed["參、三、(九)"].match_note == NO_MATCH_NOTE
    # Only a unit outside the table: the note says so.
    note = routed["參、三、(十二)"].match_note
    assert "公管中心" in note and "不在本處分層負責明細表內" in note


def test_route_items_drops_duplicate_rows_across_units():
    record = parse_record("會議結論：\n(一) 請會計室及人事室辦理。\n")

    def matcher(task, unit, addressed):
        return [{"id": "common", "unit": unit, "score": 0.9, "final_approver": "主任", "chain": []}]

    routed = route_items(record, matcher, min_score=0.5)
    assert [(match["id"], match["for_unit"]) for match in routed.items[0].matches] == [("common", "會計室")]


def test_to_csv(seed):
    routed = route_items(seed, FakeMatcher(), min_score=0.5)
    text = to_csv(routed)
    assert not text.startswith("\ufeff")  # the caller adds the BOM
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    # One row per item, except a 列管 item: one row per change (參、二、(二) holds nine).
    tracking_items = sum(item.kind == "tracking" for item in seed.items)
    assert len(rows) == len(seed.items) - tracking_items + len(seed.tracking) + 1
    row = dict(zip(rows[0], next(row for row in rows if row[0] == "參、三、(三)"), strict=True))
    assert row["類別"] == "交辦" and row["單位"] == "文書組"
    assert row["期限"] == "一月底前" and row["期限日期"] == "2022-01-31"
    assert row["建議項目"] == "文書組-1；文書組-3；文書組-4" and row["決行者"] == "組長；組長；組長"
    recurring = dict(zip(rows[0], next(row for row in rows if row[0] == "參、二、(三)"), strict=True))
    assert recurring["表外單位"] == "公管中心（臺北市市政大樓公共事務管理中心）"
    assert recurring["期限日期"] == "定期"
    person = dict(zip(rows[0], next(row for row in rows if row[0] == "參、三、(九)"), strict=True))
    assert person["人員"] == "林副秘書長（副處長）" and person["建議項目"] == ""
    assert person["說明"] == NO_MATCH_NOTE
    assert {row[1] for row in rows[1:]} == {"交辦", "報告", "備查", "列管"}


def test_to_csv_defuses_formulas():
    record = parse_record("會議結論：\n(一) =1+1 請文書組辦理。\n")
    rows = list(csv.reader(io.StringIO(to_csv(record))))
    assert rows[1][CSV_HEADER.index("內容")] == "'=1+1請文書組辦理。"


# --------------------------------------------------------------------------------------------
# Junk input
# --------------------------------------------------------------------------------------------


def test_empty_and_blank_records_give_no_items_and_a_warning():
    for text in ("", "   \n\n\t  \n", read_record_bytes(b""), read_record_bytes(b"\xef\xbb\xbf\n")):
        record = parse_record(text)
        assert record.items == [] and record.tracking == []
        assert record.warnings == ["紀錄是空的，沒有可分析的內容。"]


def test_read_record_bytes_decodes_utf8_and_utf16():
    text = SEED.read_text(encoding="utf-8")
    assert read_record_bytes(SEED.read_bytes()) == text
    assert read_record_bytes(b"\xef\xbb\xbf" + SEED.read_bytes()) == text
    assert read_record_bytes(text.encode("utf-16")) == text  # Notepad's 「Unicode」


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "二進位"),
        (bytes(range(256)) * 4, "二進位"),
        ("會議紀錄".encode("big5"), "UTF-8"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"PK\x03\x04\x14\x00", "Word"),
        ("時間".encode() + b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 20, "二進位"),
    ],
)
def test_read_record_bytes_refuses_what_is_not_text(data, says):
    with pytest.raises(UsageError) as caught:
        read_record_bytes(data)
    assert says in caught.value.message
    assert caught.value.hint  # every refusal tells the clerk what to do
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_five_megabytes_are_refused_quickly():
    data = SEED.read_bytes() * (5 * 1024 * 1024 // len(SEED.read_bytes()) + 1)
    started = time.perf_counter()
    with pytest.raises(UsageError) as caught:
        read_record_bytes(data)
    assert time.perf_counter() - started < 1
    assert "2 MB" in caught.value.message


def test_five_megabytes_handed_to_parse_record_are_cut_short_quickly():
    body = SEED.read_text(encoding="utf-8").replace("散會", "")  # no end line: read it all
    text = (body * (5 * 1024 * 1024 // len(body.encode("utf-8")) + 1))[: 5 * 1024 * 1024]
    started = time.perf_counter()
    record = parse_record(text)
    assert time.perf_counter() - started < 2  # ~0.5 s here; generous for slow CI
    assert record.warnings[0].startswith("紀錄過長")
    assert record.items


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_record_never_raises(text):
    record = parse_record(text)
    json.dumps(record.to_dict(), ensure_ascii=False)
    to_csv(record)


RECORDISH = st.lists(
    st.sampled_from(
        [
            *"請各組室文書組公管中心於一二三月底前日年每季(（)）一、壹參：:\n 。，1234567890林副秘書長列管案號解除",
            *("會議結論：", "補充報告：", "散會", "- ", "•", "\u3000", "\r\n", "①", "民國111年1月20日"),
        ]
    ),
    max_size=300,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(RECORDISH, st.one_of(st.none(), st.dates()))
def test_parse_and_route_never_raise_on_record_like_text(text, today):
    record = parse_record(text, today=today)
    routed = route_items(record, FakeMatcher(), min_score=0.5)
    json.dumps(routed.to_dict(), ensure_ascii=False)
    to_csv(routed)
    for item in routed.items:
        assert item.kind in ("directive", "noted", "tracking")
        assert set(item.units) <= set(UNITS)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_read_record_bytes_either_decodes_or_refuses(data):
    try:
        text = read_record_bytes(data)
    except UsageError as error:
        assert error.message and error.hint
    else:
        parse_record(text)


def test_module_imports_only_the_standard_library():
    code = (
        "import sys, approval_cli.meetings.record; "
        "heavy = {'pydantic', 'typer', 'rich', 'rapidfuzz', 'yaml', 'opencc', 'click'}; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_triage_units_are_the_catalogues_units(store):
    # triage compiles the nine unit names into its patterns; they must stay the built-in table's units.
    assert list(UNITS) == store.units


def test_triage_follows_the_catalogue_vocabulary(store):
    """The loaded catalogue's vocabulary says which units a record may name: short forms are units,
    本組 in a unit's report is that unit, and a directive only to 公管中心 goes to 總務組, which
    supervises it (data/vocabulary.yaml, outside_bodies; the dump's 督導市政大樓公共事務管理中心 rows
    29-31 are 總務組's)."""
    text = (
        "臺北市政府秘書處第 120 次處務會議紀錄\n時間：民國 112 年 3 月 2 日\n主席：陳志銘\n"
        "參、報告事項\n一、各組室業務工作報告。\n"
        "市服組王組長補充報告：\n(一) 本組將於3月辦理志工招募，以補實離隊缺額。\n"
        "會議結論：\n(一) 請國際組規劃姊妹市交流活動。\n"
        "(二) 請公管中心就市政大樓採購驗收疑義提出核復意見。\n"
    )
    items = triaged(store, text)
    own = next(item for item in items if "志工招募" in item["text"])
    assert own["units"] == ["市民服務組"]
    assert 262 in [m["source_line"] for m in own["matches"]]  # 辦理志工招募及離隊補實
    sister = next(item for item in items if "姊妹市" in item["text"])
    assert sister["units"] == ["國際事務組"]
    body = next(item for item in items if "公管中心" in item["text"])
    assert body["units"] == [] and body["unknown_units"][0]["supervised_by"] == "總務組"
    assert 30 in [m["source_line"] for m in body["matches"]]  # 公管中心採購驗收…疑義 (總務組, line 30)
    assert "總務組督導" in body["match_note"]


def unit_reports(*reports: str) -> str:
    """A record whose 參、報告事項 holds these unit reports (「X組Y組長補充報告：」 and its items)."""
    return (
        "臺北市政府秘書處第 130 次處務會議紀錄\n時間：民國 113 年 5 月 2 日\n主席：陳志銘\n"
        "參、報告事項\n一、各組室業務工作報告。\n" + "".join(reports)
    )


def item_rows(store, text: str, kind: str = "directive"):
    """For a record: words → the rows suggested for the item of this kind whose text holds them
    (None: no such item)."""
    rows = {
        item["text"]: [m["source_line"] for m in item["matches"]]
        for item in triaged(store, text)
        if item["kind"] == kind
    }

    def rows_of(words: str) -> list[int] | None:
        return next((lines for text, lines in rows.items() if words in text), None)

    return rows_of


def test_a_units_own_work_under_way_or_after_a_comma_is_an_item(store):
    """In a unit's report, work it takes on is routed however the sentence is built: the verb after
    a comma (「本組配合…，將於…」), under way (刻正), or scheduled (訂於). Work already done is a
    report and gets no row. Each expected row read from the dump: 文書組 「本處電腦硬碟報廢業務」
    (137), 市民服務組 「辦理志工招募及離隊補實」 (262), 媒體事務組 「市政記者會…」 rows (293)."""
    text = unit_reports(
        "文書組吳組長補充報告：\n(一) 本組配合本處資訊汰換計畫，將於下月辦理電腦硬碟報廢。\n"
        "(二) 本組已完成上半年公文時效統計。\n"
        "市民服務組王組長補充報告：\n(一) 本組刻正辦理第二梯次志工招募，以補實離隊缺額。\n"
        "媒體事務組陳組長補充報告：\n(一) 本組訂於 5 月 20 日協助辦理市政記者會。\n"
    )
    rows_of = item_rows(store, text)
    assert 137 in rows_of("硬碟報廢")
    assert 262 in rows_of("志工招募")
    assert rows_of("記者會") is not None  # an item, whatever row it is given
    assert rows_of("公文時效統計") is None  # done: not an item


def test_work_begun_studied_routine_or_a_planned_purchase_is_an_item(store):
    """Besides 將/刻正/訂於, a report says the unit's own work is still to do with 已著手 (begun),
    研議/研擬/籌備 (being studied or prepared), 每日/定期 (routine) and 近日 (soon); and a purchase
    still planned (擬委外) is one however much of its preparation is done (已完成需求說明書).
    Work done (已函復, 已完成) stays a report. Rows from the dump: 人事室 「兩性平權事項」 (343),
    媒體事務組 「輿情蒐報事項」 (292), 文書組's band 「採購金額逾新臺幣50萬元案件」 (154)."""
    text = unit_reports(
        "人事室林主任補充報告：\n(一) 本室已著手規劃下半年兩性平權宣導事項。\n"
        "(二) 本室已函復銓敘部有關考績之詢問。\n"
        "媒體事務組陳組長補充報告：\n(一) 本組定期蒐報網路輿情，陳閱長官參考。\n"
        "文書組吳組長補充報告：\n(一) 公文檔案管理系統明年度維護擬委外辦理，預算新臺幣 60 萬元，本組已完成需求說明書。\n"
    )
    rows_of = item_rows(store, text)
    assert 343 in rows_of("兩性平權")
    assert 292 in rows_of("輿情")
    assert 154 in rows_of("擬委外")
    assert rows_of("已函復") is None  # done: not an item


@pytest.mark.parametrize(
    "done",
    [
        "本組已於6月10日完成本處宿舍定期查訪，未發現違規使用情形。",
        "本組已完成每月公文稽催統計。",
        "本組上月已籌辦完成檔案月活動。",
        "本組研議之差勤規定修正案已於上月公告實施。",
        "原擬採購之公務車已完成交車，計支新臺幣120萬元。",
        "上半年預計採購之事務機器已全數完成，執行率98%，計支新臺幣30萬元。",
        "本組研擬之差勤規定修正案已於上月公告實施。",  # second review: 研擬 is no plan word 擬
        "本組已完成研擬差勤規定修正案。",
    ],
)
def test_finished_work_stays_a_report_whatever_routine_or_plan_it_names(store, done):
    """Review finding: the routine and study words (定期, 每月, 籌辦, 研議) and a plan word before
    a purchase (原擬採購, 預計採購) made items of work the sentence reports finished or paid."""
    record = unit_reports("總務組李組長補充報告：\n(一) " + done + "\n")
    assert item_rows(store, record)(done[:6]) is None  # no directive
    assert item_rows(store, record, "report")(done[:6]) is not None  # a report of 總務組's


@pytest.mark.parametrize(
    "to_do",
    [
        "本組定期於每月5日前完成公文稽催統計，陳報長官。",
        "本組已完成本年度志工招募，明年度每月定期辦理。",
        "本組每月辦理宿舍查訪，以確保完成率。",
        "公文檔案管理系統明年度維護擬委外辦理，預算新臺幣60萬元，較去年增加5萬元。",
    ],
)
def test_routine_or_planned_work_that_mentions_finishing_is_still_an_item(store, to_do):
    """Second review: 完成 anywhere in the sentence (前完成, 完成率, another clause's 已完成) and a
    budget compared with last year (較去年) made reports of these; work to do stays an item."""
    rows_of = item_rows(store, unit_reports("總務組李組長補充報告：\n(一) " + to_do + "\n"))
    assert rows_of(to_do[:6]) is not None


def test_work_in_a_units_report_that_names_no_unit_is_that_units(store):
    """A sentence of 媒體事務組's report that names nobody (no 本組) is still 媒體事務組's work: its
    purchase goes to 媒體事務組's band 「採購金額逾新臺幣50萬元案件」 (dump line 308), not to the
    over-50萬 bands of three other units (it was asked with no unit)."""
    text = unit_reports(
        "媒體事務組王組長補充報告：\n(一) 市政宣導短片拍攝製作擬委外辦理，預算新臺幣 70 萬元。\n"
    )
    (item,) = [item for item in triaged(store, text) if "短片" in item["text"]]
    assert item["units"] == ["媒體事務組"]
    assert [m["source_line"] for m in item["matches"]][:1] == [308]


def test_a_heading_that_is_a_unit_name_opens_that_unit_s_report(store):
    """Records number each unit's report under a heading that is the unit's name alone (「2、文書組」,
    「九、政風室：」); 本組 in it is that unit, as after 「文書組吳組長補充報告：」. A sentence of a
    unit's report that states what something costs is routed by its amount whatever its tense,
    and the directive's amount holds for all its clauses (the first clause names the purchase, the
    second the sum). Rows from the dump: 文書組 「本處電腦硬碟報廢業務」 (137); 政風室's band
    「採購金額新臺幣15萬元以下案件」 (369), the one holding 2萬, first; bands excluding it not shown."""
    text = (
        "臺北市政府秘書處 113 年 2 月份處務會議紀錄\n一、時間：113 年 2 月 20 日\n二、主席：陳志銘\n"
        "三、業務報告\n1、文書組\n(1) 本組將於3月辦理本處電腦硬碟報廢，請政風室派員會同。\n"
        "2、政風室：\n(1) 本室辦理廉政宣導品印製，金額新臺幣2萬元。\n"
        "四、主席裁示\n(一) 同意備查。\n"
    )
    items = triaged(store, text)
    disk = next(item for item in items if "硬碟報廢" in item["text"])
    assert "文書組" in disk["units"] and 137 in [m["source_line"] for m in disk["matches"]]
    printing = next(item for item in items if "宣導品" in item["text"])
    assert printing["units"] == ["政風室"]
    assert [m["source_line"] for m in printing["matches"]] == [369]


@pytest.mark.parametrize("heading", ["（三）人事室（劉主任報告）", "3、人事室(劉主任)", "3、人事室業務報告："])
def test_a_unit_heading_may_name_its_reporter_in_brackets(store, heading):
    """「1、總務組（李組長）」, 「（二）文書組（鄭組長報告）」: the unit's report all the same. Row 338 is
    人事室's 「替代役年度需求調查及分配」 (read from the dump)."""
    text = (
        "臺北市政府秘書處第 140 次處務會議紀錄\n時間：民國 113 年 9 月 19 日\n主席：陳志銘\n"
        f"參、報告事項\n{heading}\n1. 本室將於5月辦理本處替代役役男年度需求調查。\n"
        "肆、主席裁示\n(一) 洽悉。\n"
    )
    item = next(item for item in triaged(store, text) if "需求調查" in item["text"])
    assert item["units"] == ["人事室"] and 338 in [m["source_line"] for m in item["matches"]]


def test_what_a_report_says_was_spent_done_or_cancelled_is_no_item(store):
    """Review findings: money already spent (「上月加油費用計新臺幣2萬元」, 「已支用」), a plan that was
    cancelled (「原訂於」), and another subject's work after a comma (「…，各組室將於下週進駐」) are
    reports, not the unit's work to route; a purchase still to be made stays an item."""
    text = (
        "臺北市政府秘書處第 141 次處務會議紀錄\n時間：民國 113 年 10 月 17 日\n主席：陳志銘\n"
        "參、報告事項\n1、總務組\n"
        "(1) 本組上月公務車加油費用計新臺幣2萬元，較去年減少。\n"
        "(2) 本組本年度經費執行率為85%，已支用新臺幣120萬元。\n"
        "(3) 本組原訂於3月辦理之消防講習因故取消。\n"
        "(4) 本組已完成辦公室搬遷，各組室將於下週起陸續進駐。\n"
        "(5) 本組擬汰換會議室投影機，預算新臺幣9萬元。\n"
        "肆、主席裁示\n(一) 洽悉。\n"
    )
    texts = [item["text"] for item in triaged(store, text) if item["kind"] == "directive"]
    assert not any(word in " ".join(texts) for word in ("加油", "執行率", "消防講習", "搬遷"))
    assert any("投影機" in t for t in texts)


def test_a_conclusion_listed_per_unit_keeps_every_directive(store):
    """「會議結論：（一）總務組：1、…」: headings that name units inside a conclusion list the chair's
    words per unit; they do not open reports (review finding: two directives were dropped and a
    third merged into the 文書組 item)."""
    text = (
        "臺北市政府秘書處第 142 次處務會議紀錄\n時間：民國 113 年 11 月 21 日\n主席：陳志銘\n"
        "參、報告事項\n一、各組室業務報告（略）\n"
        "肆、會議結論：\n（一）總務組：\n1、３月底前完成公務車輛標售。\n"
        "（二）文書組：\n1、４月底前完成公文檔案清查。\n"
        "（三）請人事室辦理年度考績作業。\n"
    )
    texts = [item["text"] for item in triaged(store, text) if item["kind"] == "directive"]
    assert any("公務車輛標售" in t for t in texts)
    assert any("公文檔案清查" in t for t in texts)
    assert any(t.startswith("請人事室") for t in texts)
    assert not any(t.strip("：: ") in ("總務組", "文書組") for t in texts)


def test_a_numbered_header_and_a_two_line_title_are_read():
    """Records that number their header fields (「一、時間：113年10月17日（星期四）上午10時」,
    「三、主持人：…　紀錄：…」) and put the agency and the meeting on two title lines were read as
    having no name and no date, so no deadline could be dated."""
    text = (
        "臺北市政府秘書處\n第147次處務會議紀錄\n\n"
        "一、時間：114年4月17日（星期四）上午9時30分\n二、地點：市政大樓北區11樓第二會議室\n"
        "三、主持人：王秘書長正宏　　紀錄：吳佳穎\n四、出（列）席人員：詳如簽到單\n"
        "五、報告事項\n（一）請總務組於5月中旬前完成公務車輛標售。\n"
    )
    record = parse_record(text)
    assert record.meeting.name == "第147次處務會議"
    assert record.meeting.date == "2025-04-17"
    assert record.meeting.chair == "王秘書長正宏" and record.meeting.recorder == "吳佳穎"
    assert not any(("找不到會議名稱" in w or "找不到會議日期" in w) for w in record.warnings)


AGENDA_CASES = (
    "臺北市政府秘書處第 140 次處務會議紀錄\n一、時間：113 年 12 月 19 日\n二、主席：陳志銘\n"
    "三、報告案\n"
    "第一案　　　　報告單位：總務組\n"
    "案由：本處總務業務辦理情形，報請鑒察。\n"
    "說明：\n"
    "1. 明年度萬安演習預定於7月舉行，本組將預先規劃本處配合作業。\n"
    "2. 法務局函請各機關就自治條例修正草案表示意見，本組將彙整各組室意見後查復。\n"
    "決定：洽悉。\n"
    "第二案\n"
    "報告單位：機要組\n"
    "案由：例行業務辦理情形，報請鑒察。\n"
    "說明：\n"
    "1. 第4季治安會報紀錄已整理完成，將於下週陳核。\n"
    "2. 議會明年定期大會各類質詢模擬題，本組將於1月底前彙整陳核。\n"
    "決定：洽悉，模擬題請提早準備。\n"
    "四、主席指示\n"
    "1. 請文書組更新本處網站資料。\n"
)


def test_agenda_cases_read_as_their_units_reports(store):
    """A record laid out as agenda cases (「第一案　報告單位：總務組」, 案由, 說明, 決定) was read as one
    run of text: the 說明 items were lost and 「第二案…」 was glued to the decision before it. Each
    case's 說明 is its unit's report (本組 is that unit); rows read from the dump: 總務組
    「動員演習相關配合辦理作業」 (56), 「他機關法令修訂案之意見查復事宜」 (52), 機要組 「治安會報及會議紀錄」
    (250), 「各類質詢模擬題陳核」 (252). The unit may stand on the case's line or on a line of its own."""
    items = {item["text"]: item for item in triaged(store, AGENDA_CASES)}
    expected = {"萬安演習": ("總務組", 56), "彙整各組室意見": ("總務組", 52), "治安會報": ("機要組", 250),
                "質詢模擬題": ("機要組", 252)}  # fmt: skip
    for words, (unit, line) in expected.items():
        item = next(item for text, item in items.items() if words in text)
        assert item["units"] == [unit], words  # 彙整各組室意見: the unit's own work, not every unit's
        assert line in [m["source_line"] for m in item["matches"]], words
        assert "第" in item["section"] and "說明" in item["section"]
    assert not any("第二案" in text or "報告單位" in text or "案由" in text for text in items)
    # The chair's request in a case's decision that names no unit asks the unit that reported.
    decision = next(item for text, item in items.items() if "提早準備" in text)
    assert decision["units"] == ["機要組"]
    # The chair's directives after the cases are read as before.
    assert next(item for text, item in items.items() if "網站資料" in text)["units"] == ["文書組"]


def test_work_scheduled_in_a_units_report_naming_no_doer_is_the_units(store):
    """「…紀錄已整理完成，將於下週陳核」 names no doer: in the unit's report it is the unit's work still
    to do (the finished part is in another clause). A clause with another doer (各組室將…) or a plan
    the clause reports done (「預計採購之…已全數完成」) stays a report; a rule for everyone still
    binds every unit. Rows from the dump: 機要組 「處務會議議程及紀錄有關事項」 (243)."""
    text = unit_reports(
        "機要組陳組長補充報告：\n(一) 本次處務會議紀錄將於會後3日內陳核並分送各組室。\n"
        "(二) 各組室將於下週提報議會質詢資料。\n"
        "(三) 上半年預計辦理之會議均已全數完成。\n"
    )
    rows_of = item_rows(store, text)
    assert 243 in (rows_of("處務會議紀錄") or [])
    assert rows_of("各組室將於下週") is None
    assert rows_of("全數完成") is None


def test_a_directive_addressed_to_one_unit_is_decided_as_route_decides(store):
    """「請人事室於下半年舉辦性別平等宣導活動」: asked for the one unit the meeting named, the whole task is
    decided by route's rule for a chosen unit (`answers`), as `route --unit 人事室` answers it; each
    clause alone was held to the bar of a query with no unit and nothing was suggested. Row 343 is
    人事室's 「兩性平權事項」 (read from the dump)."""
    text = (
        "臺北市政府秘書處第 130 次處務會議紀錄\n時間：民國 113 年 5 月 2 日\n主席：陳志銘\n"
        "參、主席裁示\n一、請人事室於下半年舉辦性別平等宣導活動。\n"
    )
    (item,) = triaged(store, text)
    assert item["units"] == ["人事室"]
    assert [m["source_line"] for m in item["matches"]][:1] == [343]


HEADER = "臺北市政府秘書處第150次處務會議紀錄\n時間：114年3月6日下午2時\n主席：林秘書長文昌　　紀錄：王小明\n"


def test_a_case_number_in_a_conclusion_opens_no_case():
    """Review finding: 「第二案：請總務組…」 in a 決議, and 「第二案所提經費，請會計室…」 in the chair's
    conclusions, were read as agenda cases and the conclusions after them were lost."""
    record = parse_record(
        HEADER + "一、主席結論\n1. 請總務組於4月底前完成會議室視訊設備採購，金額30萬元。\n"
        "第二案所提經費，請會計室協助檢視後簽陳。\n2. 請文書組於5月底前完成檔案清查。\n3. 請人事室辦理新進人員訓練。\n"
    )
    assert [item.units[-1] for item in record.items] == ["會計室", "文書組", "人事室"]
    record = parse_record(HEADER + "一、主席結論\n決議：\n第一案：照案通過。\n第二案：請總務組於5月底前完成影印機租賃採購。\n")
    assert any("總務組" in item.units for item in record.items)


def test_the_chairs_conclusions_after_the_cases_belong_to_no_case():
    """Review finding: 「主席結論：」 after the last case was read as that case's decision: its points
    were given the case's unit (國際事務組) and numbered under 「第二案」."""
    record = parse_record(
        HEADER + "報告案\n第一案　報告單位：總務組\n案由：公務車輛汰換規劃。\n說明：本組將辦理公務車輛汰換採購。\n決定：洽悉。\n"
        "第二案　報告單位：國際事務組\n案由：姊妹市交流規劃。\n說明：本組將籌備姊妹市市長來訪接待事宜。\n決定：洽悉。\n"
        "主席結論：\n1. 辦公室節能措施請確實執行。\n2. 年度預算執行率請加強控管。\n"
    )
    chair = [item for item in record.items if "節能" in item.text or "預算" in item.text]
    assert len(chair) == 2 and all(not item.units and "案" not in item.section for item in chair)
    assert [item.units for item in record.items if "說明" in item.section] == [["總務組"], ["國際事務組"]]


def test_a_cases_points_numbered_like_the_heading_above_the_cases():
    """Review finding: 「說明：本組業務報告如下：」 then 「一、…」「二、…」 under 「一、報告案」: the points were
    read as the record's own headings and lost; 「二、主席指示」 after the case is that heading's next."""
    record = parse_record(
        HEADER + "一、報告案\n第一案　報告單位：總務組\n案由：總務業務報告。\n說明：本組業務報告如下：\n"
        "一、本組將辦理影印機租賃採購，金額60萬元。\n二、本組將於7月辦理消防演練。\n決定：洽悉。\n"
        "二、主席指示\n1. 請人事室於6月底前完成考績作業。\n"
    )
    sections = {item.section: item.units for item in record.items}
    assert sections["一、第一案、說明、一"] == ["總務組"] and sections["一、第一案、說明、二"] == ["總務組"]
    assert sections["二、1"] == ["人事室"]


def test_weather_prices_and_other_bodies_plans_in_a_report_are_no_items():
    """Review finding: a scheduled verb naming no doer made these items of 總務組's report. Work the
    unit does is an item (the last); what the weather, prices or another body will do, or what was
    already sent (已將), is not."""
    record = parse_record(
        HEADER + "一、業務報告\n總務組報告：\n1. 颱風預計明日登陸，各項防颱準備工作均已就緒。\n"
        "2. 上季已將節能成果函送環保局備查。\n3. 行政院預計於7月修正公布政府採購法施行細則。\n"
        "4. 依氣象預報，本週將有豪雨。\n5. 油價預計下月調漲，公務車加油費用將增加。\n"
        "6. 公務車駕駛安全講習訂於5月20日辦理。\n二、主席結論\n1. 洽悉。\n"
    )
    directives = [item for item in record.items if item.kind == "directive"]
    assert [item.text for item in directives] == ["公務車駕駛安全講習訂於5月20日辦理。"]
    assert directives[0].units == ["總務組"]


@pytest.mark.parametrize("label", ["主持人裁示", "主持人指示", "主持人結論", "主席提示"])
def test_a_ruling_block_named_for_the_presiding_officer_splits_into_its_points(store, label):
    """Blind set 14 (its second record): a record whose chair is 「主持人」 heads each unit's rulings
    「主持人裁示：」; the label was not known, so every numbered ruling of a unit ran into one item
    and was routed as one. Each (n) is its own directive, with the unit it names."""
    record = parse_record(
        HEADER.replace("主席：", "主持人：") + "七、業務報告及主持人裁示\n（一）總務組\n1. 本組刻研擬本處空間調整方案。\n"
        f"{label}：\n(1) 請總務組通盤檢討本處辦公空間配置，7月底前簽陳。\n(2) 新增公務手機門號，請總務組依規定辦理租用。\n"
        "（二）文書組\n1. 舊機硬碟待報廢。\n"
        f"{label}：\n(1) 汰換電腦之硬碟請文書組會同政風室辦理消磁後再行報廢。\n"
    )
    asked = [item for item in record.items if item.text.startswith(("請總務組", "新增", "汰換"))]
    assert [item.text[:6] for item in asked] == ["請總務組通盤", "新增公務手機", "汰換電腦之硬"]
    assert asked[1].units == ["總務組"] and asked[2].units[0] == "文書組"


def test_a_unit_and_its_reporter_with_a_colon_open_that_unit_s_report(store):
    """Blind set 15 (its third record): each unit's report was headed 「總務組黃組長：」 or, with the
    report on the same line, 「政風室劉主任：本室擬…」; without 報告 in it the heading was not known,
    so no 本組 in the reports had a unit and none of their planned work became an item."""
    record = parse_record(
        HEADER + "貳、報告事項\n二、各組室業務工作報告。\n總務組黃組長：\n"
        "1. 本組依法務局來函檢視本處權管法規，擬修正本處公務車輛調派作業要點。\n"
        "2. 本處環境教育執行成果已於12月15日上網提報。\n"
        "政風室劉主任：本室擬薦派同仁參加廉政署辦理之政風人員專業訓練。\n"
        "會議結論：\n一、同意備查。\n二、總務組：請於月底前完成宿舍清查。\n"
    )
    directives = {item.text[:6]: item.units for item in record.items if item.kind == "directive"}
    assert directives["本組依法務局"] == ["總務組"]  # a plan of the unit's (擬修正)
    assert directives["本室擬薦派同"] == ["政風室"]
    assert not any(text.startswith("本處環境教育") for text in directives)  # done: a report
    # In the conclusions, a unit's name and a colon addresses the unit; no report starts there.
    assert directives["總務組：請於"] == ["總務組"]


def test_drafting_done_is_no_plan_and_a_report_to_be_sent_is_work_to_do(store):
    """撰擬 ends in 擬 but is drafting: 「本組已完成撰擬」 is done (it was read as a plan). 「將報送」
    with no doer is the unit's scheduled work (報送 was not among the office's work verbs)."""
    record = parse_record(
        HEADER + "貳、報告事項\n機要組報告：\n1. 春節將屆，市長致各界新春賀卡及賀函，本組已完成撰擬。\n"
        "人事室報告：\n1. 本處替代役役男下半年服勤評量已完成，將報送兵役局。\n"
        "參、主席結論\n一、同意備查。\n"
    )
    directives = [item for item in record.items if item.kind == "directive"]
    assert [item.units for item in directives] == [["人事室"]]
    assert directives[0].text.startswith("本處替代役")


def test_a_row_about_the_opposite_case_is_not_suggested_for_the_words_it_holds(store):
    """Blind set 15: 「請總務組提報明年度派員參加他機關教育訓練之人選」 was given the row 「本處不派員參加
    他機關辦理之教育訓練」 (dump line 71) first: the directive holds nearly all of that row's text, and
    how much of a row a directive holds lifted it past the ranking's penalty for the negation. The
    row for sending staff is line 70 (「本處進修、跨組室及組室主管以上人員參加他機關辦理之教育訓練」)."""
    items = triaged(store, HEADER + "參、主席結論\n一、請總務組於1月15日前提報明年度派員參加他機關教育訓練之人選。\n")
    lines = [match["source_line"] for match in items[0]["matches"]]
    assert lines and lines[0] == 70


@pytest.mark.parametrize(
    ("sentence", "own"),
    [
        ("113年版臺北市年鑑，各機關文稿已陸續送達，本組正進行彙整及審校。", True),  # blind set 15
        ("美國在台協會處長擬拜會市長，本組正與市長室洽排時間並準備致贈禮品。", True),  # blind set 15
        ("本組正式函復各機關。", False),  # 正式 is no work under way
        ("本組已完成年鑑彙整。", False),
    ],
)
def test_work_under_way_in_a_unit_s_report_is_its_own_work(sentence, own):
    """「本組正進行…」「本組正與…洽排」 is work under way, like 刻正 and 正在 (it was read as a report)."""
    from approval_cli.meetings.record import _own_work

    assert _own_work(sentence) is own


def test_a_report_of_an_office_not_in_the_table_is_not_dropped_silently(store):
    """Clerk trial: 「秘書室報告：本室將於下週辦理公文檢核」 (秘書室 is no unit of this table) left no
    item and no word. Its own work has no unit to be routed for; the record now says so. A body a
    unit supervises (公管中心) is known and gets no warning."""
    record = parse_record(
        HEADER + "貳、報告事項\n秘書室報告：\n1. 本室將於下週辦理公文檢核。\n公管中心報告：\n1. 本中心將於下月辦理消防演練。\n"
        "參、主席結論\n一、同意備查。\n"
    )
    warned = [w for w in record.warnings if "不是分層負責明細表裡的單位" in w]
    assert len(warned) == 1 and "「秘書室」" in warned[0]


def test_the_date_something_expires_is_not_the_work_s_deadline():
    """Clerk trial: 「影印機租賃契約將於12月底到期，本組將於11月15日前辦理續約採購」 got the deadline 12月底
    (the first date in it): that is when the contract ends; the unit's own date is 11月15日前."""
    text = "影印機租賃契約將於12月底到期，本組將於11月15日前辦理續約採購。"
    deadline = find_deadline(text, date(2025, 10, 6))
    assert deadline.text == "11月15日前" and deadline.date == "2025-11-15"
    # With no other date, the expiry is still the only date there is.
    assert find_deadline("契約將於12月底到期，請總務組辦理續約。", date(2025, 10, 6)).date == "2025-12-31"


def test_a_unit_and_its_reporter_in_the_conclusions_address_the_unit(store):
    """Review: 「總務組黃組長：請於月底前完成宿舍清查。」 in the chair's conclusions opened a report, and
    a request in a report that names no unit stayed unaddressed: the unit was lost."""
    record = parse_record(HEADER + "參、主席結論\n總務組黃組長：請於月底前完成宿舍清查。\n")
    assert [item.units for item in record.items if item.kind == "directive"] == [["總務組"]]


@pytest.mark.parametrize(
    "sentence", ["本組已修正辦理要點並公告實施。", "本組已更正洽公時間。", "本組已完成校正與測試。", "本組已完成簽擬。"]
)
def test_a_correction_or_a_draft_already_done_is_no_work_under_way(sentence):
    """Review: the 正 of 修正/更正/校正 was read as 「正辦理」/「正與」 (work under way), and 簽擬 as a plan."""
    from approval_cli.meetings.record import _own_work

    assert _own_work(sentence) is False


@pytest.mark.parametrize("heading", ["各組室業務報告：", "王組長報告：", "副組長報告：", "黃科長報告：", "組室報告："])
def test_ordinary_report_headings_raise_no_unknown_office_warning(store, heading):
    """Review: the unknown-office warning named 「各組」, 「王組」, 「副組」… for ordinary headings."""
    record = parse_record(HEADER + f"貳、報告事項\n{heading}\n1. 請各組室加強節能。\n參、主席結論\n一、同意備查。\n")
    assert not [w for w in record.warnings if "不是分層負責明細表裡的單位" in w]


@pytest.mark.parametrize("label", ["綜合結論", "主席綜合結論", "綜合裁示"])
def test_a_summary_of_conclusions_is_a_ruling_block(store, label):
    """Blind set 16 (after its untouched score): 「捌、綜合結論」 and its points 「一、請各組室…」 were read as
    a heading and its paragraphs, not as the chair's conclusions: both directives were missing."""
    record = parse_record(
        HEADER + f"柒、業務報告及主席裁示\n一、總務組\n（一）本組已完成清點。\n主席裁示：同意備查。\n捌、{label}\n"
        "一、請各組室於5月10日前簽報本年度派員參加他機關教育訓練之人選。\n二、請文書組加速檔案清查。\n"
    )
    directives = [item.text for item in record.items if item.kind == "directive"]
    assert any(text.startswith("請各組室於5月10日前") for text in directives)
    assert any(text.startswith("請文書組加速") for text in directives)


def test_numbered_points_under_a_unit_in_the_rulings_are_each_a_directive_to_it(store):
    """Clerk trial: 「（一）總務組：」 on a line of its own in the chair's rulings, then 「1、…」 and 「2、…」,
    came out as one item mixing both tasks (and the second point's deadline was lost)."""
    record = parse_record(
        HEADER + "參、主席裁示：\n（一）總務組：\n1、宿舍借用契約3年期滿者，請於期滿前2個月辦理續約。\n"
        "2、碎紙機採購8000元，請儘速辦理。\n（二）文書組：\n1、請於5月底前完成檔案清查。\n"
    )
    directives = [(item.text[:5], item.units) for item in record.items if item.kind == "directive"]
    assert directives == [("宿舍借用契", ["總務組"]), ("碎紙機採購", ["總務組"]), ("請於5月底", ["文書組"])]


def test_the_units_a_directive_has_co_sign_or_tells_are_not_ones_that_act(store):
    """Clerk trial: 「請總務組於11月15日前簽報，並會辦政風室。」 listed 政風室 beside 總務組 as a unit to
    act (and routed the directive for it). A unit after 會辦/會簽/知會/會 signs beside the doer; after
    會同 it acts with it; named alone after 會辦 it is the one asked."""
    from approval_cli.meetings.record import find_units

    assert find_units("請總務組於11月15日前簽報，並會辦政風室。")[0] == ["總務組"]
    assert find_units("請文書組依法規檢討，並會政風室表示意見。")[0] == ["文書組"]
    assert find_units("請總務組會同政風室辦理監毀。")[0] == ["總務組", "政風室"]
    assert find_units("請會辦政風室。")[0] == ["政風室"]
    assert find_units("請總務組與會計室研議。")[0] == ["總務組", "會計室"]
    # Clerk trial: 「洽悉，請總務組於4月1日前公告各組室周知。」 went to all nine units; 各組室 there are
    # the units told (分送, 公告, 轉知…), as in 「…簽陳核定後分送各組室」.
    assert find_units("洽悉，請總務組於4月1日前公告各組室周知。")[0] == ["總務組"]
    assert find_units("本次會議紀錄請機要組於一週內簽陳核定後分送各組室。")[0] == ["機要組"]
    assert len(find_units("請各組室加強節能。")[0]) == 9


@pytest.mark.parametrize("text", ["本次會議紀錄確認。", "第130次處務會議紀錄確認。", "上次會議記錄確定。"])
def test_confirming_the_minutes_is_noted_not_a_directive(store, text):
    """Clerk trial: 「本次會議紀錄確認。」 became a directive with no unit and three unrelated rows."""
    record = parse_record(HEADER + f"參、主席結論\n一、{text}\n")
    assert [item.kind for item in record.items] == ["noted"]


def test_a_directive_the_table_splits_says_to_choose_as_route_does(store):
    """Clerk trial: 「請國際事務組辦理來賓證禮遇通關事宜」 listed lines 187 (組長) and 188 (政策性, 副處長) as
    two equal suggestions; nothing said to choose, where route answers choose_one. The note (plain, JSON
    match_note, CSV 說明) now says so, from route's own rule."""
    items = triaged(store, HEADER + "參、主席結論\n一、請國際事務組辦理來賓證禮遇通關事宜。\n二、請總務組辦理宿舍清查。\n")
    split, plain = items[0], items[1]
    assert "分成幾種情形" in split["match_note"]
    assert "不屬「政策性」的情形 → 組長（INT-016）" in split["match_note"]
    assert "政策性 → 副處長（副秘書長）（INT-017）" in split["match_note"]
    assert "分成幾種情形" not in (plain["match_note"] or "")


def test_units_whose_work_is_gathered_are_not_doers_and_a_trailing_verb_is_no_clause(store):
    """Blind set 18: 「請機要組彙整各組室部門質詢報表，於1月5日前陳核」 made all nine units its doers (各組室
    after 彙整 are the units whose reports are gathered), and its last piece 「陳核」, asked alone,
    put line 252 (各類質詢模擬題陳核, the shortest row holding 陳核) first. The dump's line 251 is 機要組's
    「部門質詢、本處工作報告質詢報表陳核」."""
    items = triaged(store, HEADER + "參、主席結論\n一、請機要組彙整各組室部門質詢報表，於1月5日前陳核。\n")
    assert items[0]["units"] == ["機要組"]
    assert items[0]["matches"][0]["source_line"] == 251


def test_a_short_amount_piece_stays_its_own_clause_and_a_gathering_verb_reaches_back(store):
    """Review: merging a short last piece into the clause before glued 「數量20」 and 「5萬元」 into 205萬元
    (line 69, 逾50萬, 處長); the 5萬 is 總務組's 15萬元以下 band, line 67. And 「彙整本處各組室…」 put 本處
    between the verb and 各組室, so every unit was still a doer."""
    items = triaged(store, HEADER + "參、主席結論\n一、請總務組購買碳粉匣，數量20，5萬元。\n"
                    "二、請機要組彙整本處各組室部門質詢報表，於1月5日前陳核。\n")  # fmt: skip
    assert items[0]["matches"][0]["source_line"] == 67
    assert items[1]["units"] == ["機要組"]


def test_this_meeting_is_the_meeting_of_the_record(store):
    """Blind sets 18 and 19: 「本次會議紀錄請機要組於三日內整理簽陳」 in a 處務會議's record got line 254 (議員
    索取…會議紀錄) first. The record is the 第150次處務會議's: its minutes are 機要組's line 243,
    「處務會議議程及紀錄有關事項」."""
    items = triaged(store, HEADER + "參、主席結論\n一、本次會議紀錄請機要組於三日內整理簽陳。\n")
    assert items[0]["matches"][0]["source_line"] == 243


def test_directives_kept_in_a_table_are_one_item_each(store):
    """Blind set 17: a record listed the chair's directives as a Tab-separated table (案號, 指示事項,
    主辦單位, 完成期限); read flat, its 14 rows ran together into one item for every unit. Each row is
    now its own item, for the unit of its 主辦單位 cell. Rows from the dump: 56 總務組 「動員演習相關配合辦理
    作業」, 115 文書組 「本府發文代字編訂事項」."""
    table = (
        "八、主持人指示事項\n案號\t指示事項\t主辦單位\t完成期限\n"
        "13902\t配合明年萬安演習，預先規劃本處動員相關作業\t總務組\t114年3月\n"
        "13905\t本府新增發文代字請儘速編訂並函知各機關\t文書組\t113年12月\n"
        "13914\t流感疫情升溫，請同仁落實勤洗手並加強辦公室通風\t各組室\t持續辦理\n"
        "九、臨時動議：無。\n"
    )
    items = triaged(store, HEADER + table)
    assert [item["units"][:1] for item in items] == [["總務組"], ["文書組"], ["總務組"]]
    assert "主辦單位：總務組" in items[0]["text"] and "完成期限：114年3月" in items[0]["text"]
    assert items[0]["matches"][0]["source_line"] == 56
    assert items[1]["matches"][0]["source_line"] == 115
    assert len(items[2]["units"]) == 9 and not items[2]["matches"]  # 各組室; no row fits


def test_a_short_last_piece_is_not_joined_to_the_clause_before(store):
    """Blind set 20 (after its untouched score): joining 「勿延宕」 to 「於收文當日辦理退文改分」 diluted the
    clause below the bar, and the directive lost its rows: each unit's 「本處各組室退文改分核定事項」 (line 72
    is 總務組's). A short last piece with no amount is asked neither alone nor joined."""
    items = triaged(store, HEADER + "參、主席結論\n一、各組室收到非屬本組室業務之公文，請於收文當日辦理退文改分，勿延宕。\n")
    assert 72 in [match["source_line"] for match in items[0]["matches"]]


def test_a_table_s_unit_column_may_come_first_and_its_deadline_is_read(store):
    """Review: the first column was always dropped as a case number, so a table starting with 主辦單位
    lost its unit; and 「完成期限：114年3月」 gave no deadline (a month alone: its last day)."""
    table = ("八、主持人指示事項\n主辦單位\t指示事項\t完成期限\n"
             "總務組\t配合明年萬安演習，預先規劃本處動員相關作業\t114年3月\n"
             "\t九、臨時動議：無。\n")  # fmt: skip
    items = triaged(store, HEADER + table)
    assert items[0]["units"] == ["總務組"] and items[0]["deadline"]["date"] == "2025-03-31"
    assert len([item for item in items if item["kind"] == "directive"]) == 1  # the indented line ends it


def test_a_short_last_word_of_the_task_stays_and_a_guessed_meeting_name_is_not_used(store):
    """Review: dropping every short last piece dropped 「續租」 from 「會議室影印機租約到期，各組室意見彙整後，
    續租」: a lease, so the units' 採購金額 band rows (文書組's line 154 among them) are the answer, not the
    意見回復 rows; only how-to-proceed endings (陳核, 勿延宕…) are dropped. And a title without 「第N次…會議」 (「114年度第2次廉政會報」) gives no meeting
    kind to put for 本次會議."""
    items = triaged(store, HEADER + "參、主席結論\n一、會議室影印機租約到期，各組室意見彙整後，續租。\n")
    assert any(store.bands[store.by_id[m["id"]]] for m in items[0]["matches"][:3])
    title = "臺北市政府秘書處114年度第2次廉政會報紀錄\n時間：114年3月6日下午2時\n主席：林秘書長\n"
    items = triaged(store, title + "參、主席結論\n一、本次會議紀錄請機要組於三日內整理簽陳。\n")
    assert all("會報會議" not in (m.get("clause") or "") for m in items[0]["matches"])


def test_a_numbered_line_that_opens_with_a_unit_is_that_units_report(store):
    """「1. 總務組：萬安演習本處配合事項已分工完畢…」 under 「參、各組室工作報告」 (set 20's third record): the
    unit's report on its heading's line. Its lines were no items at all; now finished work is a
    report of that unit and work to do (本組將…) a directive of it. Rows read from the dump:
    總務組 「動員演習相關配合辦理作業」 (56), 人事室 「替代役役男…退役…」 (341)."""
    text = (
        "臺北市政府秘書處第 141 次處務會議紀錄\n時間：民國 113 年 10 月 17 日\n主席：陳志銘\n"
        "參、各組室工作報告（書面資料詳附件）\n"
        "1. 總務組：萬安演習本處配合事項已分工完畢，各組室負責人員名單已於 10 月 11 日送出。\n"
        "2. 人事室：本處本梯次替代役役男 11 月退役，本室將辦理退役資料報送。\n"
        "肆、主席指示\n一、總務組：請於 11 月底前提報本處全民國防教育年度執行成果。\n"
    )
    items = triaged(store, text)
    assert len(items) == 3  # each line once
    drill, leaving, ruling = items
    assert "萬安演習" in drill["text"] and drill["kind"] == "report" and drill["units"] == ["總務組"]
    assert 56 in [m["source_line"] for m in drill["matches"]]
    assert "退役" in leaving["text"] and leaving["kind"] == "directive" and leaving["units"] == ["人事室"]
    assert 341 in [m["source_line"] for m in leaving["matches"]]
    # In the chair's directives 「一、總務組：請…」 addresses the unit: a directive, no report.
    assert "全民國防" in ruling["text"] and ruling["kind"] == "directive" and ruling["units"] == ["總務組"]


REPORTS_HEAD = "臺北市政府秘書處第 141 次處務會議紀錄\n時間：民國 113 年 10 月 17 日\n主席：陳志銘\n"


def kinds_and_units(store, text: str) -> list[tuple[str, list[str], str]]:
    return [(item["kind"], item["units"], item["text"]) for item in triaged(store, text)]


def test_a_units_line_after_an_empty_one_is_its_own_review_finding(store):
    """Review finding: after 「2. 國際事務組：」 with nothing after it, 「3. 機要組：本組將於…」 was
    filed twice, once as 國際事務組's directive. Each unit's line opens its own report."""
    found = kinds_and_units(store, REPORTS_HEAD + "參、各組室工作報告\n1. 總務組：萬安演習本處配合事項已分工完畢。\n"
                            "2. 國際事務組：\n3. 機要組：本組將於11月召開年鑑編輯工作會議。\n"
                            "肆、主席指示\n一、請總務組於11月底前提報本處全民國防教育年度執行成果。\n")  # fmt: skip
    assert [(kind, units) for kind, units, _ in found] == [
        ("report", ["總務組"]), ("directive", ["機要組"]), ("directive", ["總務組"])
    ]  # fmt: skip


def test_units_lines_in_a_record_without_conclusions_are_read_once_review_finding(store):
    """Review finding: with no 會議結論 anywhere, the requests are read from every paragraph, and the
    lines that opened a unit's report were read a second time: 4 items for 2 directives."""
    found = kinds_and_units(store, REPORTS_HEAD + "貳、交辦事項\n一、總務組：請於4月底前完成市政大樓消防設備檢修。\n"
                            "二、文書組：請加強本處公文時效管制。\n")  # fmt: skip
    assert [(kind, units) for kind, units, _ in found] == [("directive", ["總務組"]), ("directive", ["文書組"])]


def test_units_lines_after_a_conclusion_are_still_read_review_finding(store):
    """Review finding: after the first 主席指示 block, 「二、文書組：…」「三、機要組：本組將於…」 were
    no items at all (機要組's work was lost); written with the unit on a line of its own they were."""
    found = kinds_and_units(store, REPORTS_HEAD + "參、業務報告\n一、總務組：本組已完成萬安演習分工。\n"
                            "主席指示：請總務組於11月底前提報全民國防教育執行成果。\n"
                            "二、文書組：本組已完成本府新製印信啟用。\n"
                            "三、機要組：本組將於11月召開年鑑編輯工作會議。\n")  # fmt: skip
    assert ("directive", ["機要組"]) in [(kind, units) for kind, units, _ in found]
    assert ("report", ["文書組"]) in [(kind, units) for kind, units, _ in found]


@pytest.mark.parametrize("nothing", ["無。", "報告：", "詳如書面資料。", "報告內容如附件。", "（略）", "無意見",
                                     "報告：詳如書面資料。", "本組報告如下：", "詳如附件一", "同上", "報告完畢", "說明如附件"])
def test_a_report_of_nothing_is_no_item_review_finding(store, nothing):
    """Review finding: 「報告：」 (nine times in one blind record), 「2. 文書組：無。」 and 「詳如書面資料。」
    became report items with suggested rows."""
    inline = kinds_and_units(store, REPORTS_HEAD + f"參、各組室工作報告\n1. 文書組：{nothing}\n")
    alone = kinds_and_units(store, REPORTS_HEAD + f"參、各組室工作報告\n文書組高組長補充報告：\n{nothing}\n")
    assert inline == [] and alone == []


def test_a_record_of_reports_alone_has_no_directive_exit_1(tmp_path):
    """Review finding: a record whose only items are reports of work done exited 0 (HTTP 200); as
    before report items, it holds no directive: exit 1 (the web API: 404), its reports still shown."""
    import subprocess
    import sys

    record = tmp_path / "reports.txt"
    record.write_text(REPORTS_HEAD + "參、各組室工作報告\n1. 總務組：萬安演習本處配合事項已分工完畢。\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "approval_cli", "triage", str(record)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1 and "工作報告 1 項" in result.stdout


@pytest.mark.parametrize("kept", ["無障礙設施檢修已完成。", "說明會已辦理完畢。", "報告事項已送議會。"])
def test_a_report_that_starts_like_an_empty_one_is_kept(store, kept):
    found = kinds_and_units(store, REPORTS_HEAD + f"參、各組室工作報告\n1. 總務組：{kept}\n")
    assert [(kind, units) for kind, units, _ in found] == [("report", ["總務組"])]


def test_a_units_name_among_the_chairs_items_or_a_units_points_is_no_report_second_review(store):
    """Second review: once a unit's line could open a report after a conclusion, 「二、總務組：請…」 among
    the chair's items (numbered like the reports above them) opened one, ended the conclusion and
    lost the item after it; 「2、人事室：請協助…」 among 總務組's points lost 總務組's point 3. A unit's
    line opens a report only where it would not be the block's own next item or point."""
    chair = kinds_and_units(store, REPORTS_HEAD + "貳、各組室業務報告\n一、總務組：本組已完成萬安演習分工。\n"
                            "二、文書組：本組已完成本府新製印信啟用。\n主席結論：\n"
                            "一、總務組：請於11月底前提報全民國防教育執行成果。\n二、請各組室加強公文時效管制。\n"
                            "三、文書組：請於12月底前完成檔案清查結果報告。\n")  # fmt: skip
    assert [(kind, units[:2]) for kind, units, _ in chair] == [
        ("report", ["總務組"]), ("report", ["文書組"]),
        ("directive", ["總務組"]), ("directive", ["總務組", "文書組"]), ("directive", ["文書組"]),
    ]  # fmt: skip
    case = kinds_and_units(store, REPORTS_HEAD + "一、報告案\n第一案　報告單位：總務組\n案由：萬安演習辦理情形。\n"
                           "說明：\n一、本組已完成萬安演習分工。\n二、本組將於11月辦理消防演練。\n"
                           "決定：\n一、洽悉。\n二、總務組：請於11月底前提報全民國防教育執行成果。\n三、請各組室配合辦理。\n")  # fmt: skip
    assert [kind for kind, _, _ in case] == ["report", "directive", "noted", "directive", "directive"]
    assert "請各組室配合辦理" in case[-1][2]
    points = kinds_and_units(store, REPORTS_HEAD + "貳、各組室業務報告\n一、總務組\n1、本組已完成萬安演習分工。\n"
                             "2、人事室：請協助調查替代役需求。\n3、本組將於11月辦理消防演練。\n")  # fmt: skip
    assert [(kind, units) for kind, units, _ in points] == [
        ("report", ["總務組"]), ("directive", ["人事室"]), ("directive", ["總務組"])
    ]  # fmt: skip


def test_a_units_points_in_the_conclusions_after_reports_numbered_alike_second_review(store):
    """Second review (before this session too): 「（一）總務組：」 then 「1、…」 in the conclusions, after
    reports numbered （一）（二）, gave points with no unit and lost the items after them."""
    found = kinds_and_units(store, REPORTS_HEAD + "貳、各組室業務報告\n（一）總務組：本組已完成萬安演習分工。\n"
                            "（二）文書組：本組已完成本府新製印信啟用。\n會議結論：\n（一）總務組：\n"
                            "1、請於11月底前提報全民國防教育執行成果。\n2、請加強市政大樓門禁管理。\n"
                            "（二）請各組室加強公文時效管制。\n（三）同意備查。\n")  # fmt: skip
    assert [(kind, units[:1]) for kind, units, _ in found] == [
        ("report", ["總務組"]), ("report", ["文書組"]), ("directive", ["總務組"]), ("directive", ["總務組"]),
        ("directive", ["總務組"]), ("noted", []),
    ]  # fmt: skip


BRACKETED_SECTIONS = (
    REPORTS_HEAD + "肆、各組室業務報告\n"
    "【總務組】\n報告：\n"
    "1、本組購置會議室白板1座，金額8,500元，將簽請核定。\n"
    "2、本組已完成本處車輛年度盤點。\n"
    "主席裁示：洽悉；車輛保養紀錄請依限回報。\n"
    "【人事室】\n報告：\n"
    "1、本處替代役役男3名將於明年1月退役，本室將報送退役資料。\n"
    "主席裁示：洽悉。\n"
    "伍、主席綜合裁示\n一、請各組室落實節能減碳。\n"
)


def test_a_units_name_in_brackets_opens_its_report_section(store):
    """Set 23's third record writes each unit's section as 「【總務組】」, 「報告：」, numbered points and
    「主席裁示：」. Before, 「【總務組】報告：」 was read as one directive and no point was an item. Now
    the bracketed name opens the unit's report (本組/本室 is that unit), 「報告：」 is no item, and the
    chair's ruling on the section is for that unit. Rows read from the dump: 總務組 「簽擬辦理小額採購
    案件」 for 1萬元以下 (line 34) and the shared 15萬元以下 band (67); 人事室 「替代役退役資料報送事項」 (341)."""
    items = triaged(store, BRACKETED_SECTIONS)
    found = [(item["kind"], item["units"], item["text"]) for item in items]
    assert not any("報告：" in text or text.startswith("【") for _, _, text in found)
    board, cars, ruling, leaving, *rest = items
    assert "白板" in board["text"] and board["kind"] == "directive" and board["units"] == ["總務組"]
    assert {34, 67} & {m["source_line"] for m in board["matches"]}
    assert "盤點" in cars["text"] and cars["kind"] == "report" and cars["units"] == ["總務組"]
    assert "保養紀錄" in ruling["text"] and ruling["kind"] == "directive" and ruling["units"] == ["總務組"]
    assert "退役" in leaving["text"] and leaving["units"] == ["人事室"]
    assert 341 in [m["source_line"] for m in leaving["matches"]]
    # 「主席裁示：洽悉。」 is noted; the summing-up names its units itself (各組室: every unit).
    assert [item["kind"] for item in rest] == ["noted", "directive"]
    assert len(rest[1]["units"]) == 9


def test_a_decision_after_a_units_section_is_not_taken_as_that_units(store):
    """A 決定 after a unit's section may be an agenda case's (set 21's third record: 「九、政風室：…」,
    「決定：洽悉。」, then 「第二案 本處113年度KPI辦理情形」): only the chair's 裁示/指示 on the section
    is for the unit; nor does the summing-up (綜合裁示) take a unit."""
    found = kinds_and_units(store, REPORTS_HEAD + "參、業務報告\n九、政風室：本室已完成廉政法令研習調查。\n"
                            "決定：洽悉。\n第二案　本處113年度KPI辦理情形\n")  # fmt: skip
    assert [units for kind, units, _ in found if kind == "directive"] == [[]]
    summed = kinds_and_units(store, REPORTS_HEAD + "參、業務報告\n【政風室】\n報告：\n1、本室已完成廉政法令研習調查。\n"
                             "主席綜合裁示：年底前完成預算執行檢討。\n")  # fmt: skip
    assert summed[-1][0] == "directive" and summed[-1][1] == []


def test_one_ruling_after_numbered_sections_is_the_meetings_not_the_last_units_review_finding(store):
    """Review finding: 「一、總務組：…」「二、人事室：…」 then one 「主席指示：」 block for the meeting gave
    both its directives to 人事室, the last section. A ruling is a section's only where the record
    rules on its sections one by one (another section follows it, or the one before had its own)."""
    text = (REPORTS_HEAD + "參、各組室業務報告\n一、總務組：本組已完成本處車輛年度盤點。\n二、人事室：本室已完成年終考績作業。\n\n"
            "主席指示：\n一、公文時效請加強管控。\n二、年度預算執行率偏低，請於12月10日前提出檢討報告。\n")  # fmt: skip
    assert [units for kind, units, _ in kinds_and_units(store, text) if kind == "directive"] == [[], []]
    one_by_one = (REPORTS_HEAD + "參、各組室業務報告\n【總務組】\n1、本組已完成本處車輛年度盤點。\n主席裁示：車輛保養紀錄請依限回報。\n"
                  "【人事室】\n1、本室已完成年終考績作業。\n主席裁示：考績結果請於12月底前公告。\n")  # fmt: skip
    assert [units for kind, units, _ in kinds_and_units(store, one_by_one) if kind == "directive"] == [
        ["總務組"], ["人事室"]
    ]  # the last section's own ruling is still its unit's: the section before had one too


def test_units_in_brackets_in_the_header_or_the_rulings_open_no_report_review_finding(store):
    """Review findings: 「出席人員：」 listing who came by 「【總務組】」 opened report sections (the body's
    items then went to the wrong unit); 「主席裁示：」 then 「【總務組】」, 「【文書組】」 and a ruling under
    each are the chair's rulings per unit, each for its unit."""
    header = (REPORTS_HEAD + "出席人員：\n【總務組】\n王組長大明\n【人事室】\n李主任小華\n記錄：張小明\n"
              "壹、業務報告\n一、總務組：本組將於11月底前辦理車輛盤點。\n")  # fmt: skip
    assert kinds_and_units(store, header) == [("directive", ["總務組"], "總務組：本組將於11月底前辦理車輛盤點。")]
    rulings = (REPORTS_HEAD + "參、各組室業務報告\n【總務組】\n1、本組已完成本處車輛年度盤點。\n"
               "肆、主席裁示\n主席裁示：\n【總務組】\n本處車輛請於11月底前完成保養。\n【文書組】\n檔案清查請於12月底前完成。\n")  # fmt: skip
    found = [(kind, units) for kind, units, _ in kinds_and_units(store, rulings)]
    assert found == [("report", ["總務組"]), ("directive", ["總務組"]), ("directive", ["文書組"])]


def test_who_reports_is_no_item_of_the_report(store):
    """「報告人：李組長」 under 「【總務組】」 says who reported (review finding: it was a report item)."""
    text = REPORTS_HEAD + "參、各組室業務報告\n【總務組】\n報告人：李組長\n1、本組已完成本處車輛年度盤點。\n"
    assert kinds_and_units(store, text) == [("report", ["總務組"], "本組已完成本處車輛年度盤點。")]
