"""Extraction core of `approval triage`: read a 處務會議 record and pull out what must be routed.

A record is plain text like the Secretariat's minutes: a header (title, 時間, 地點, 主席, 紀錄),
an outline numbered 壹、/一、/(一)/1./(1), and under each agenda item a 「會議結論：」 block.
Reports by the units (「文書組高組長補充報告：」) sit in blocks of their own; only the sentences
in them that ask someone to act (「請各組室…」) become items.

Everything here is pure: no printing, no I/O except decoding bytes handed in, standard library
only (the CLI imports this module on every `triage` run). The routing itself goes through a
matcher the caller passes to `route_items`.

Choices worth knowing (see also the docstrings below):
- Deadlines without a year resolve to the first such date on or after the meeting date: at a
  meeting on 111年12月15日, 「一月底前」 is 2023-01-31; at one on 111年1月20日 it is 2022-01-31.
  「今年」/「本年」 pins the meeting's year, 「明年」 the next. With no meeting date the caller's
  `today` is the reference; with neither, only dates that carry their own year resolve.
- 「各組室」「各單位」「各組、室」 mean all nine units of the table, 「各組」 the six 組 only,
  「各室」 the three 室. In a unit's own report 「本組」/「本室」 is that unit.
- Units outside the table come from a list of Taipei City Government agencies (with their full
  names) plus any 「本府／臺北市政府…局/處/委員會/中心」; 本處, 處務會議 and 「其他局處」 are not units.
- People are 「surname + title」 (林副秘書長), the senior titles on their own (秘書長, 副處長),
  and any title that is the addressee of a request (「再請秘書協助」).
- Every 會議結論 item is an item: 「同意備查」-like ones are `noted`, 列管 changes with nobody
  asked to act are `tracking`, the rest `directive` (a conclusion decides something to do). In
  reports, an item's `text` is only the sentences that ask (the paragraph is in `context`), and a
  請 followed by an outcome (「…，獲得外賓肯定」) or preceded by 已/申/邀… asks nobody.
- A paragraph of a unit's own report that asks nothing and plans nothing (work done) is a
  `report` item of that unit: routed like a directive, listed apart; one that reports nothing
  (「報告：」「無。」「詳如書面資料。」) is no item.
- With no 會議結論 anywhere, requests in any paragraph become items (source 「內文」) and a
  warning says so. Text past MAX_RECORD_CHARS is ignored, with a warning.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from approval_cli.catalogue.roles import ROLE_ALIASES
from approval_cli.errors import UsageError
from approval_cli.text.lazyre import LazyPattern, lazy_compile

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

UNITS: tuple[str, ...] = (
    "總務組",
    "文書組",
    "國際事務組",
    "機要組",
    "市民服務組",
    "媒體事務組",
    "會計室",
    "人事室",
    "政風室",
)
GROUP_UNITS: tuple[str, ...] = UNITS[:6]  # the six 組
OFFICE_UNITS: tuple[str, ...] = UNITS[6:]  # the three 室

# Collective names and the units they stand for.
UNIT_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "各組室": UNITS,
    "各組、室": UNITS,
    "各組及各室": UNITS,
    "各單位": UNITS,
    "各處室": UNITS,
    "各組": GROUP_UNITS,  # the six 組 only
    "各組長": GROUP_UNITS,
    "各室": OFFICE_UNITS,  # the three 室 only
    "各室主任": OFFICE_UNITS,
}

_CITY = "臺北市政府"
# Agencies that are not units of the Secretariat's table, short name -> full name.
UNKNOWN_UNIT_FULL_NAMES: dict[str, str] = {
    "臺北市市政大樓公共事務管理中心": "臺北市市政大樓公共事務管理中心",
    "市政大樓公共事務管理中心": "臺北市市政大樓公共事務管理中心",
    "公共事務管理中心": "臺北市市政大樓公共事務管理中心",
    "公管中心": "臺北市市政大樓公共事務管理中心",
    "研究發展考核委員會": f"{_CITY}研究發展考核委員會",
    "研考會": f"{_CITY}研究發展考核委員會",
    "公務人員訓練處": f"{_CITY}公務人員訓練處",
    "公訓處": f"{_CITY}公務人員訓練處",
    "觀光傳播局": f"{_CITY}觀光傳播局",
    "觀傳局": f"{_CITY}觀光傳播局",
    "產業發展局": f"{_CITY}產業發展局",
    "產業局": f"{_CITY}產業發展局",
    "都市發展局": f"{_CITY}都市發展局",
    "都發局": f"{_CITY}都市發展局",
    "環境保護局": f"{_CITY}環境保護局",
    "環保局": f"{_CITY}環境保護局",
    "捷運工程局": f"{_CITY}捷運工程局",
    "捷運局": f"{_CITY}捷運工程局",
    "原住民族事務委員會": f"{_CITY}原住民族事務委員會",
    "原民會": f"{_CITY}原住民族事務委員會",
    "客家事務委員會": f"{_CITY}客家事務委員會",
    "客委會": f"{_CITY}客家事務委員會",
    "臺北自來水事業處": "臺北自來水事業處",
    "北水處": "臺北自來水事業處",
    "臺北市議會": "臺北市議會",
    "市議會": "臺北市議會",
    **{
        name: f"{_CITY}{name}"
        for name in (
            "資訊局",
            "法務局",
            "人事處",
            "主計處",
            "政風處",
            "民政局",
            "財政局",
            "教育局",
            "工務局",
            "交通局",
            "社會局",
            "勞動局",
            "警察局",
            "衛生局",
            "文化局",
            "消防局",
            "地政局",
            "兵役局",
            "體育局",
        )
    },
}

@dataclass(frozen=True)
class UnitWords:
    """The units a record may name, as the loaded catalogue's vocabulary knows them: full names and
    short forms (國際組), collective names (各組室), what a unit calls itself in its own report
    (本組), and the outside bodies a unit supervises (公管中心 → 總務組). The defaults are the
    built-in table's; core.triage_record passes the loaded catalogue's."""

    units: tuple[str, ...] = UNITS
    names: tuple[tuple[str, str], ...] = tuple((unit, unit) for unit in UNITS)
    collective: tuple[tuple[str, tuple[str, ...]], ...] = tuple(UNIT_EXPANSIONS.items())
    own: tuple[str, ...] = ("本組", "本室")
    supervised: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_vocabulary(cls, vocabulary: Any) -> UnitWords:
        units = tuple(vocabulary.units)
        forms = {**{unit: unit for unit in units}, **vocabulary.unit_forms}
        collective = tuple((name, tuple(vocabulary.units_named(name))) for name in vocabulary.collective_units)
        return cls(
            units=units,
            names=tuple(sorted(forms.items())),
            collective=collective or tuple((name, units) for name in ("各組室", "各單位")),
            own=tuple(vocabulary.own_unit_words) or ("本組", "本室"),
            supervised=tuple(sorted((b, u) for b, u in vocabulary.outside_bodies.items() if u in units)),
        )


_WORDS: ContextVar[UnitWords | None] = ContextVar("unit_words", default=None)
_DEFAULT_WORDS = UnitWords()


def _words() -> UnitWords:
    return _WORDS.get() or _DEFAULT_WORDS


# Title -> role in the table's chain (DOMAIN.md: 處長 is the 秘書長, 副處長 a 副秘書長).
# None: a title with no column of its own in the table.
TITLE_ROLES: dict[str, str | None] = {
    **ROLE_ALIASES,  # 秘書長 → 處長, 副秘書長 → 副處長 (the Secretariat's organisation rules)
    "主任秘書": None,
    "副處長": "副處長",
    "處長": "處長",
    "專門委員": "專門委員",
    "副組長": None,
    "組長": "組長",
    "副主任": None,
    "主任": "主任",
    "股長": "股長",
    "秘書": "秘書、視察、專員",
    "視察": "秘書、視察、專員",
    "專員": "秘書、視察、專員",
    "副市長": None,
    "市長": "市長",
}
# Titles that name one person even without a surname (「本處秘書長」, 「處長及副處長」).
SENIOR_TITLES = frozenset({"秘書長", "副秘書長", "處長", "副處長", "主任秘書"})

# Common Taiwanese surnames; 任/官/于 are left out because they start ordinary words
# (擔任組長, 長官).
_SURNAMES = (
    "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙"
    "顏柯翁魏孫戴范方宋鄧杜傅侯曹薛丁卓阮馬董温溫唐藍石蔣古紀姚連馮歐程湯田康姜白汪鄒尤巫鐘黎"
    "涂凃龔嚴韓袁金童陸夏柳邵錢伍倪譚駱熊甘秦顧毛章史萬俞雷粘饒"
)
# 「簽陳秘書長」: 陳 is the verb 陳 (submit), not a surname.
_VERB_BIGRAMS = frozenset({"簽陳", "呈陳", "送陳", "轉陳", "核陳", "報陳", "續陳", "擬陳", "提高"})

NO_MATCH_NOTE = "表內找不到適合的項目，請人工判斷"
REPORT_NO_MATCH_NOTE = "表內找不到相符的項目"  # a report asks nothing: no judgement is asked for
ROUTED_KINDS = ("directive", "report")  # the items given suggested rows


def found_items(kinds: Iterable[str]) -> bool:
    """Whether a triage found anything besides reports of work done (the command exits 1 and the
    web API answers 404 otherwise: a record of reports alone holds no directive, as before they
    were listed)."""
    return any(kind != "report" for kind in kinds)


KIND_LABELS = {"directive": "交辦", "report": "報告", "noted": "備查", "tracking": "列管"}
CSV_HEADER = (
    "段落",
    "類別",
    "單位",
    "表外單位",
    "人員",
    "邀請",
    "期限",
    "期限日期",
    "內容",
    "列管案號",
    "列管異動",
    "建議項目",
    "決行者",
    "說明",
    "注意事項",
)

MAX_RECORD_BYTES = 2 * 1024 * 1024
# parse_record is also handed text directly; beyond this it reads only the beginning.
MAX_RECORD_CHARS = 200_000

# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str  # as written: 林副秘書長, 秘書長
    title: str  # 副秘書長
    role: str | None  # the table's role: 副處長; None when the title has no column

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "role": self.role}


@dataclass(frozen=True)
class UnknownUnit:
    name: str  # as written, without 本府/臺北市政府: 公管中心
    full_name: str | None  # 臺北市市政大樓公共事務管理中心, or None when not known
    supervised_by: str | None = None  # the table's unit that supervises it: 總務組

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "full_name": self.full_name, "supervised_by": self.supervised_by}


@dataclass(frozen=True)
class Deadline:
    text: str  # the phrase in the cleaned item text: 一月底前, 8月31日前, 每季
    date: str | None  # ISO date when it resolves, else None
    recurring: bool = False  # 每季, 每月初, 定期

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "date": self.date, "recurring": self.recurring}


@dataclass(frozen=True)
class TrackingChange:
    case: str  # 列管案號 as written: 10606
    action: str  # 解除列管 | 賡續列管 | other
    action_text: str  # the words in the record: 同意解除列管 -> 解除列管, 繼續列管
    section: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "action": self.action,
            "action_text": self.action_text,
            "section": self.section,
        }


@dataclass(frozen=True)
class Meeting:
    name: str | None = None  # 第108次處務會議
    date_roc: str | None = None  # 民國111年1月20日 (as written, cleaned)
    date: str | None = None  # 2022-01-20
    chair: str | None = None
    recorder: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "date_roc": self.date_roc,
            "date": self.date,
            "chair": self.chair,
            "recorder": self.recorder,
            "location": self.location,
        }


@dataclass(frozen=True)
class Item:
    section: str  # 參、三、(五); report items: 參、三、文書組高組長補充報告、(三)
    source: str  # 會議結論 (the block's own label) or the report heading
    kind: str  # directive | report (a unit's own report of work done, asking nothing) | noted | tracking
    text: str  # cleaned text; for a directive read in a report only the sentences that ask (kind report: all)
    task: str  # what to do, without addressee, deadline and purpose clauses: this is routed
    units: list[str] = field(default_factory=list)
    unknown_units: list[UnknownUnit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)  # who is asked to act
    deadline: Deadline | None = None
    topic: str | None = None  # the agenda item it belongs to: 各組室業務工作報告
    context: str | None = None  # report items: the whole paragraph the sentences came from
    matches: list[dict[str, Any]] = field(default_factory=list)
    match_note: str | None = None
    # People to be invited or informed, not assigned (「處長及副處長部分，再請秘書協助邀請」).
    invited: list[Person] = field(default_factory=list)
    rule: bool = False  # a rule every unit must follow (「…時，皆應於公文中加註…」), asked of no one

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "source": self.source,
            "topic": self.topic,
            "kind": self.kind,
            "text": self.text,
            "context": self.context,
            "task": self.task,
            "units": list(self.units),
            "unknown_units": [unit.to_dict() for unit in self.unknown_units],
            "people": [person.to_dict() for person in self.people],
            "invited": [person.to_dict() for person in self.invited],
            "rule": self.rule,
            "deadline": self.deadline.to_dict() if self.deadline else None,
            "matches": [dict(match) for match in self.matches],
            "match_note": self.match_note,
        }


@dataclass(frozen=True)
class Record:
    meeting: Meeting
    items: list[Item] = field(default_factory=list)
    tracking: list[TrackingChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    all_units: tuple[str, ...] = ()  # the units of the table it was read against (not in to_dict)

    @property
    def directives(self) -> list[Item]:
        return [item for item in self.items if item.kind == "directive"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting": self.meeting.to_dict(),
            "items": [item.to_dict() for item in self.items],
            "tracking": [change.to_dict() for change in self.tracking],
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------------------------
# Reading bytes
# --------------------------------------------------------------------------------------------


_CONTROL_CHARS = lazy_compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def read_record_bytes(data: bytes) -> str:
    """Decode a record file: UTF-8 with or without BOM (UTF-16 with BOM too, as Notepad saves).

    Refuses, with a UsageError a clerk can act on, files over 2 MB, binary files (NUL bytes or
    many control characters) and text that is not UTF-8 (typically Big5). Empty input decodes to
    "" and is left to parse_record, which reports it as a warning.
    """
    if len(data) > MAX_RECORD_BYTES:
        # The CLI reads at most MAX_RECORD_BYTES + 1 bytes, so the true size is not known here.
        raise UsageError(
            "檔案超過 2 MB，不像是會議紀錄（會議紀錄不會超過 2 MB）。",
            "請確認選對了檔案，或只把會議紀錄的文字另存成 .txt 再試。",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text_error() from None
    if data.startswith(b"%PDF"):
        raise UsageError(
            "這是 PDF 檔，不是純文字的會議紀錄。", "請先把 PDF 的文字複製或轉存成 .txt（UTF-8）再試。"
        )
    if data.startswith(b"PK\x03\x04"):
        raise UsageError(
            "這是 Word 或壓縮檔，不是純文字的會議紀錄。", "請在 Word 用「另存新檔 → 純文字（UTF-8）」後再試。"
        )
    if b"\x00" in data:
        raise _not_text_error()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            "檔案不是 UTF-8 編碼的文字，無法讀取。",
            "若是 Big5 編碼，請用記事本「另存新檔」選 UTF-8 後再試。",
        ) from None
    if len(_CONTROL_CHARS.findall(text)) > max(8, len(text) // 100):
        raise _not_text_error()
    return text


def _not_text_error() -> UsageError:
    return UsageError(
        "這不是文字檔（含有二進位資料），無法當作會議紀錄讀取。",
        "請把會議紀錄另存為純文字（.txt，UTF-8）後再試。",
    )


# --------------------------------------------------------------------------------------------
# Cleaning text
# --------------------------------------------------------------------------------------------

_CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CIRCLED = str.maketrans({chr(0x2460 + n): f"({n + 1})" for n in range(20)})  # NFKC makes ① a bare 1
_FULL_WIDTH_PUNCT = str.maketrans({",": "，", ":": "：", ";": "；", "!": "！", "?": "？"})
_PUNCT_NEAR_CJK = lazy_compile(rf"(?<=[{_CJK}])[,:;!?]|[,:;!?](?=[{_CJK}])")
_SPACE_NEAR_CJK = lazy_compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
# A hyphen is a bullet before a space, a bracket or a Chinese character (cleaning drops the space).
_BULLET = lazy_compile(r"^(?:[•‧・·*●○■□◆◇▪►➢]\s*|[-–—](?:\s+|(?=[(\[〔【\u4e00-\u9fff])))")
_PAGE_NUMBER = lazy_compile(
    r"^(?:[-–—]?\s*[0-9]{1,3}\s*[-–—]?|第[0-9]{1,3}頁(?:[，,/]?共[0-9]{1,3}頁)?|[0-9]{1,3}/[0-9]{1,3})$"
)


def clean_text(text: str) -> str:
    """NFKC for digits, letters and brackets; keep 「，：；！？」 full width next to Chinese; drop spaces
    next to Chinese characters (PDF extraction puts them around every number)."""
    text = unicodedata.normalize("NFKC", text.translate(_CIRCLED))
    text = _PUNCT_NEAR_CJK.sub(lambda match: match.group(0).translate(_FULL_WIDTH_PUNCT), text)
    text = _SPACE_NEAR_CJK.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _join_lines(lines: Iterable[str]) -> str:
    joined = ""
    for line in lines:
        if (
            joined
            and joined[-1].isascii()
            and joined[-1].isalnum()
            and line[:1].isascii()
            and line[:1].isalnum()
        ):
            joined += " "
        joined += line
    return joined


# --------------------------------------------------------------------------------------------
# Numbers and dates
# --------------------------------------------------------------------------------------------

_CJK_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def parse_number(text: str) -> int | None:
    """「108」, 「一百零八」, 「一一一」, 「二十」 -> int; None when it is not a number."""
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if all(char in _CJK_DIGITS for char in text):  # 一一一 -> 111
        return int("".join(str(_CJK_DIGITS[char]) for char in text))
    total, current = 0, 0
    for char in text:
        if char in _CJK_DIGITS:
            current = _CJK_DIGITS[char]
        elif char in ("十", "百"):
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
        else:
            return None
    return total + current


def _to_western_year(year: int) -> int:
    return year + 1911 if year < 1911 else year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _last_day(year: int, month: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= year <= 9999):
        return None
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def _add_months(start: date, months: int) -> date | None:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = _last_day(year, month + 1)
    return last.replace(day=min(start.day, last.day)) if last else None


_NUM = r"(?:[0-9]{1,4}|[〇零一二兩三四五六七八九十百]{1,5})"
_MEETING_DATE = lazy_compile(
    rf"(?P<roc>民國)?(?P<year>[0-9]{{2,4}}|[〇零一二三四五六七八九十百]{{2,5}})年(?P<month>{_NUM})月(?P<day>{_NUM})日"
    r"|(?P<y2>[0-9]{2,4})[./-](?P<m2>[0-9]{1,2})[./-](?P<d2>[0-9]{1,2})(?![0-9])"
)


def _find_meeting_date(text: str) -> tuple[str, date] | None:
    for match in _MEETING_DATE.finditer(text):
        if match.group("year"):
            year, month, day = (parse_number(match.group(key)) for key in ("year", "month", "day"))
        else:
            year, month, day = (int(match.group(key)) for key in ("y2", "m2", "d2"))
        if year is None or month is None or day is None:
            continue
        resolved = _safe_date(_to_western_year(year), month, day)
        if resolved:
            return match.group(0), resolved
    return None


# --------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------

_YEAR_PREFIX = r"(?:(?P<year>今|本|明|去|[0-9]{2,4}|[〇零一二三四五六七八九十百]{2,5})年(?:度)?)?"
_DEADLINE_PATTERNS: list[tuple[str, LazyPattern]] = [
    (
        "date",
        lazy_compile(
            rf"{_YEAR_PREFIX}(?P<month>{_NUM})月(?P<day>{_NUM})日(?:\((?:星期|週|周)?[一二三四五六日天]\))?"
            r"(?:以前|之前|前|為止|止|(?=完成|提出|提報|送|回復|回報|陳報|繳交))"
        ),
    ),
    (
        "month_part",
        lazy_compile(
            rf"(?<!每){_YEAR_PREFIX}(?P<month>{_NUM}|本|當|下|次)(?:個)?月(?:份)?"
            r"(?P<part>底|末|上旬|中旬|下旬|初|中)(?:以前|之前|前)?"
        ),
    ),
    # A deadline column of a table of directives (「完成期限：114年3月」, 「期限：113年12月31日」): the date
    # itself, a month alone meaning its last day.
    ("date", lazy_compile(rf"(?<=期限[:：]){_YEAR_PREFIX}(?P<month>{_NUM})月(?P<day>{_NUM})日")),
    ("month_part", lazy_compile(rf"(?<=期限[:：]){_YEAR_PREFIX}(?P<month>{_NUM})月(?P<part>底|末)?(?![0-9〇零一二三四五六七八九十日])")),
    ("year_end", lazy_compile(r"(?P<year>今|本|明|[0-9]{2,4})?年(?:底|末)(?:以前|之前|前)?")),
    (
        "week",
        lazy_compile(
            r"(?P<which>本|這|下)(?:週|周|星期|禮拜)(?P<weekday>[一二三四五六日天])(?:以前|之前|前)?"
        ),
    ),
    ("within", lazy_compile(rf"(?<![月0-9])(?P<count>{_NUM})(?P<unit>日|天|週|周|個星期|星期|個月)內")),
    (
        "recurring",
        lazy_compile(r"每(?:一)?(?:個)?(?:半年|季|月|週|周|星期|年度|年|日|天|學期)(?:初|底|末|中)?|定期"),
    ),
    (
        "undated",
        lazy_compile(r"下次(?:處務)?會議(?:召開)?前|(?:農曆)?(?:春節|過年|農曆年|年節)(?:以前|之前|前)"),
    ),
    (
        "by_event",
        lazy_compile(r"於(?P<event>[^，。；、\s]{1,10}?[^，。；、\s目提事先從之以])(?:以前|之前|前)"),
    ),
]
_EXPIRES = lazy_compile(r"(?:即將|將)?(?:到期|屆滿|屆期|期滿)")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_MONTH_PART_DAY = {"上旬": 10, "初": 5, "中": 15, "中旬": 20}


def find_deadline(text: str, reference: date | None) -> Deadline | None:
    """The first deadline phrase in the text, resolved against the reference (meeting) date."""
    found: list[tuple[bool, int, int, str, re.Match[str]]] = []
    for kind, pattern in _DEADLINE_PATTERNS:
        if kind == "by_event" and found:
            continue  # 「於…前」 only when nothing more precise
        for match in pattern.finditer(text):
            # 「契約將於12月底到期，本組將於11月15日前…」: the date something else expires is no
            # deadline of the work, when the text gives one.
            expiry = bool(_EXPIRES.match(text, match.end()))
            found.append((expiry, match.start(), -(match.end() - match.start()), kind, match))
    if not found:
        return None
    _, _, _, kind, match = min(found, key=lambda entry: entry[:3])
    if kind == "by_event":
        return Deadline(text=match.group(0)[1:], date=None)
    if kind == "recurring":
        return Deadline(text=match.group(0), date=None, recurring=True)
    resolved = _resolve_deadline(kind, match, reference)
    return Deadline(text=match.group(0), date=resolved.isoformat() if resolved else None)


def _explicit_year(word: str | None, reference: date | None) -> tuple[int | None, bool]:
    """(year, pinned): pinned years never roll over. (None, False) when unknown."""
    if word is None:
        return (reference.year if reference else None), False
    relative = {"今": 0, "本": 0, "明": 1, "去": -1}
    if word in relative:
        return ((reference.year + relative[word]) if reference else None), True
    number = parse_number(word)
    return (_to_western_year(number) if number is not None else None), True


def _resolve_deadline(kind: str, match: re.Match[str], reference: date | None) -> date | None:
    groups = match.groupdict()
    if kind in ("date", "month_part", "year_end"):
        year, pinned = _explicit_year(groups.get("year"), reference)
        if kind == "year_end":
            return _safe_date(year, 12, 31) if year else None
        month_word = groups["month"]
        if month_word in ("本", "當", "下", "次"):
            if reference is None:
                return None
            start = _add_months(reference.replace(day=1), 0 if month_word in ("本", "當") else 1)
            if start is None:
                return None
            year, month, pinned = start.year, start.month, True
        else:
            month = parse_number(month_word)
        if year is None or month is None:
            return None
        if kind == "date":
            day = parse_number(groups["day"])
            candidate = _safe_date(year, month, day) if day else None
            if candidate and reference and not pinned and candidate < reference:
                candidate = _safe_date(year + 1, month, day)
            return candidate
        return _month_part(year, month, groups["part"], rollover_from=None if pinned else reference)
    if reference is None:
        return None
    if kind == "week":
        offset = _WEEKDAYS[groups["weekday"]] - reference.weekday() + (7 if groups["which"] == "下" else 0)
        return reference + timedelta(days=offset)
    if kind == "within":
        count = parse_number(groups["count"])
        if count is None or count > 3660:
            return None
        unit = groups["unit"]
        if unit == "個月":
            return _add_months(reference, count)
        return reference + timedelta(days=count if unit in ("日", "天") else 7 * count)
    return None


def _month_part(year: int, month: int, part: str, rollover_from: date | None) -> date | None:
    def resolve(in_year: int) -> date | None:
        last = _last_day(in_year, month)
        if last is None:
            return None
        return last.replace(day=_MONTH_PART_DAY[part]) if part in _MONTH_PART_DAY else last

    candidate = resolve(year)
    if candidate and rollover_from and candidate < rollover_from:
        candidate = resolve(year + 1)
    return candidate


# --------------------------------------------------------------------------------------------
# Units, people, requests
# --------------------------------------------------------------------------------------------


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


_UNKNOWN_PREFIX = r"(?:臺北市政府|台北市政府|本府|市府)"


def _outside(words: UnitWords) -> dict[str, str]:
    """Bodies outside the table a record may name: the city's agencies and those a unit supervises."""
    return {**UNKNOWN_UNIT_FULL_NAMES, **{body: body for body, _ in words.supervised}}


@lru_cache(maxsize=8)
def _unit_token(words: UnitWords) -> re.Pattern[str]:
    outside = _outside(words)
    return re.compile(
        rf"(?P<expansion>{_alternation(name for name, _ in words.collective)})"
        rf"|(?P<unit>{_alternation(form for form, _ in words.names)})"
        rf"|(?P<own>{_alternation(words.own)})"
        rf"|{_UNKNOWN_PREFIX}?(?P<unknown>{_alternation(outside)})"
        rf"|{_UNKNOWN_PREFIX}(?P<agency>[\u4e00-\u9fff]{{2,8}}?(?:委員會|中心|局|處))"
    )


_NOT_AN_AGENCY = ("各", "其他", "相關", "本", "該", "所屬", "有關", "秘書處")

_TITLE_ALT = _alternation(TITLE_ROLES)
_PERSON = lazy_compile(rf"(?P<surname>歐陽|司馬|張簡|范姜|[{_SURNAMES}])?(?P<title>{_TITLE_ALT})")

# 請 as a request: not 申請/邀請/報請/函請/已請…, not 請假/請購/請領….
_REQUEST = lazy_compile(r"(?<![邀申聲報呈函簽奉陳已業提])請(?![求示假款購領辭託願益教柬帖])")
_OUTCOME_WORDS = ("獲得", "獲致", "深獲", "圓滿", "反應熱烈")


@lru_cache(maxsize=8)
def _addressee_token(words: UnitWords) -> re.Pattern[str]:
    outside = _outside(words)
    return re.compile(
        rf"{_UNKNOWN_PREFIX}?(?:{_alternation(outside)})"
        rf"|{_alternation(name for name, _ in words.collective)}|{_alternation(form for form, _ in words.names)}"
        rf"|{_alternation(words.own)}|本中心"
        rf"|(?:歐陽|司馬|張簡|范姜|[{_SURNAMES}])?(?:{_TITLE_ALT})"
        r"|各主管|各相關單位|相關組室|相關單位|主管|同仁|長官|人員|承辦人|與|及|和|、|暨|會同"
    )


_LEADING_ADVERBS = ("務", "並", "另", "再", "均", "亦", "也", "仍", "敬", "懇", "轉", "爰")
_PURPOSE_WORDS = (
    "以利",
    "俾利",
    "俾",
    "以符",
    "以因應",
    "以免",
    "以維",
    "以確保",
    "以汲取",
    "以期",
    "以達",
    "以供",
    "避免",
    "藉以",
)
_EMPTY_CLAUSE = lazy_compile(r"^(?:並|務|務必|且)?(?:完成|辦理|回復|回報|提出|處理)?$")


def find_units(text: str, own_unit: str | None = None) -> tuple[list[str], list[UnknownUnit]]:
    """Units of the table (collective names expanded, in order, deduplicated) and units outside it."""
    words = _words()
    names = dict(words.names)
    collective = dict(words.collective)
    supervised = dict(words.supervised)
    units: list[str] = []
    # 「並會辦政風室」, 「分送各組室」: units that sign beside the doer or are told, not ones that act
    cosigned: list[str] = []
    unknown: list[UnknownUnit] = []
    for match in _unit_token(words).finditer(text):
        before = text[max(0, match.start() - 2) : match.start()]
        if match.group("expansion"):
            # 「…後分送各組室」, 「公告各組室周知」: the units told, not the ones asked; 「彙整各組室…報表」:
            # the units whose work is gathered
            # (a few characters back: 「彙整本處各組室…」)
            gathered = text[max(0, match.start() - 4) : match.start()]
            told = before.endswith(_TELL_BEFORE) or any(verb in gathered for verb in _GATHER_BEFORE)
            (cosigned if told else units).extend(collective[match.group("expansion")])
        elif match.group("unit"):
            cosigning = before.endswith(_COSIGN_BEFORE) or (before.endswith("會") and not before.endswith("與會"))
            (cosigned if cosigning else units).append(names[match.group("unit")])
        elif match.group("own"):
            if own_unit:
                units.append(own_unit)
        elif match.group("unknown"):
            name = match.group("unknown")
            full = UNKNOWN_UNIT_FULL_NAMES.get(name)
            boss = supervised.get(name) or next(
                (unit for body, unit in words.supervised if full and UNKNOWN_UNIT_FULL_NAMES.get(body) == full), None
            )
            unknown.append(UnknownUnit(name, full, boss))
        else:
            name = match.group("agency")
            if not name.startswith(_NOT_AN_AGENCY):
                unknown.append(UnknownUnit(name, None))
    unique_unknown: dict[str, UnknownUnit] = {}
    for unit in unknown:
        unique_unknown.setdefault(unit.full_name or unit.name, unit)
    if not units:
        units = cosigned  # 「請會辦政風室」 alone: the unit named is the one asked
    return list(dict.fromkeys(units)), list(unique_unknown.values())


_COSIGN_BEFORE = ("會辦", "會簽", "知會")
_GATHER_BEFORE = ("彙整", "彙集", "蒐集", "收集", "調查", "統計", "彙辦", "催收")
_TELL_BEFORE = ("分送", "公告", "周知", "轉知", "函知", "通知", "告知", "轉發", "發送", "分發", "轉送")


def find_people(text: str, extra_titles: Iterable[tuple[int, str]] = ()) -> list[Person]:
    """Named people (林副秘書長), senior titles on their own (秘書長), plus titles the caller found
    in addressee position, given as (position, title)."""
    found: list[tuple[int, Person]] = []
    for match in _PERSON.finditer(text):
        surname, title = match.group("surname"), match.group("title")
        start = match.start()
        if surname and text[max(0, start - 1) : start + 1] in _VERB_BIGRAMS:
            surname, start = None, match.start("title")
        if surname:
            found.append((start, Person(surname + title, title, TITLE_ROLES[title])))
        elif title in SENIOR_TITLES:
            found.append((start, Person(title, title, TITLE_ROLES[title])))
    for position, title in extra_titles:
        found.append((position, Person(title, title, TITLE_ROLES.get(title))))
    people: dict[str, Person] = {}
    for _, person in sorted(found, key=lambda entry: entry[0]):
        people.setdefault(person.name, person)
    return list(people.values())


_NEXT_CLAUSE = lazy_compile(r"[^，。；]*[，；](?P<clause>[^，。；]*)")


def first_request(text: str) -> re.Match[str] | None:
    """The first 請 that asks someone to act, leaving out narrated ones (「並請…簡報，獲得外賓肯定」)."""
    for match in _REQUEST.finditer(text):
        following = _NEXT_CLAUSE.match(text, match.end(), match.end() + 200)
        if following and any(word in following.group("clause") for word in _OUTCOME_WORDS):
            continue
        return match
    return None


def _addressee_span(text: str, start: int) -> tuple[int, list[tuple[int, str]]]:
    """End of the addressee after a 請 at `start`, and bare titles named there (「請秘書協助」)."""
    position = start
    bare_titles: list[tuple[int, str]] = []
    while position < len(text):
        match = _addressee_token(_words()).match(text, position)
        if not match or match.end() == position:
            break
        if match.group(0) in TITLE_ROLES:
            bare_titles.append((position, match.group(0)))
        position = match.end()
    return position, bare_titles


def derive_task(text: str, deadline: Deadline | None) -> tuple[str, list[tuple[int, str]]]:
    """The directive without 請 + addressee, deadline phrase and trailing purpose clauses."""
    body = text.strip().rstrip("。")
    bare_titles: list[tuple[int, str]] = []
    request = first_request(body)
    if request:
        end, bare_titles = _addressee_span(body, request.end())
        before = body[: request.start()]
        while before.endswith(_LEADING_ADVERBS):
            before = before[:-1]
        body = before + body[end:]
    if deadline:
        body = re.sub(rf"(?:於|在)?{re.escape(deadline.text)}", "", body, count=1)
    clauses = re.split(r"[，,]", body)
    while len(clauses) > 1 and (clauses[-1].startswith(_PURPOSE_WORDS) or _EMPTY_CLAUSE.match(clauses[-1])):
        clauses.pop()
    task = "，".join(clause for clause in clauses if clause).strip("，、；。 ")
    return task, bare_titles


# --------------------------------------------------------------------------------------------
# Outline parsing
# --------------------------------------------------------------------------------------------

_MARKERS: list[tuple[str, LazyPattern]] = [
    ("heavenly", lazy_compile(r"^(?P<label>[壹貳參叁肆伍陸柒捌玖拾]{1,3})[、.．]\s*")),
    ("paren_cjk", lazy_compile(r"^[(\[〔【](?P<label>[一二三四五六七八九十]{1,3})[)\]〕】]\s*")),
    (
        "paren_arabic",
        lazy_compile(r"^(?:[(\[〔【](?P<label>[0-9]{1,2})[)\]〕】]|(?P<label2>[0-9]{1,2})\))\s*"),
    ),
    ("cjk", lazy_compile(r"^(?P<label>[一二三四五六七八九十]{1,3})[、.．]\s*")),
    ("arabic", lazy_compile(r"^(?P<label>[0-9]{1,2})(?:[、．]|\.(?![0-9]))\s*")),
]
_BLOCK_LABELS = (
    "會議結論", "主席結論", "主席裁示", "主席指示", "主席提示", "主持人結論", "主持人裁示", "主持人指示", "主持人提示",
    "主席綜合結論", "主席綜合裁示", "綜合結論", "綜合裁示", "結論", "決議", "決定", "裁示",
)  # fmt: skip
_BLOCK_LINE = lazy_compile(rf"^(?P<label>{'|'.join(_BLOCK_LABELS)})(?:事項)?\s*(?:[:：]\s*(?P<rest>.*))?$")
_REPORT_LINE = lazy_compile(
    r"^(?P<who>[^\s:：。，；]{2,24}?)(?P<kind>補充報告|業務報告|報告)\s*[:：]\s*(?P<rest>.*)$"
)
_REPORTER_HINT = lazy_compile(r"主席|組|室|中心|局|處|會|長|主任|秘書|專委|委員")
# A report heading naming an office (秘書室報告, 資訊室業務報告), not a person (主席報告, 林專委報告).
_OFFICE_REPORTER = lazy_compile(
    r"^(?P<office>(?!各|副|組室)[\u4e00-\u9fff]{2,8}?(?:組|室|中心|科))(?:業務工作|業務|工作|補充)?報告$"
)
# An agenda case (報告案 / 討論案): 「第一案　報告單位：總務組」, then 「案由：」, 「說明：」 (or 「辦法：」)
# and 「決定：」 (「決議：」). Its 說明 is the unit's report (本組 in it is that unit).
# Only a line that is the case's number alone, or its number and a case field, opens a case: in a
# conclusion 「第一案：照案通過。」 or 「第二案所提經費，請會計室…」 is what was decided about a case.
_CASE_LINE = lazy_compile(
    r"^第(?P<label>[一二三四五六七八九十]{1,3}|[0-9]{1,2})案\s*[:：]?\s*"
    r"(?P<rest>(?:報告單位|提案單位|案由)\s*[:：].*)?$"
)
_CASE_FIELD = lazy_compile(r"^(?P<field>報告單位|提案單位|案由|說明|辦法)\s*[:：]\s*(?P<rest>.*)$")
_END_LINE = lazy_compile(r"^散會")  # cleaning has already dropped 「散 會」's space
_HEADER_FIELD = lazy_compile(
    r"(?P<label>開會時間|會議時間|時間|日期|開會地點|會議地點|地點|主席|主持人|紀錄人員|記錄人員|紀錄人|記錄人|紀錄|記錄"
    r"|出[（(]列[）)]席人員|出席人員|出席|列席人員|列席|請假人員|請假)\s*[:：]"
)
_MEETING_NAME = lazy_compile(
    r"第(?P<number>[0-9〇零一二三四五六七八九十百]+)次(?P<kind>[\u4e00-\u9fff]{0,8}?會議)"
)
_TERMINAL = ("。", "！", "？", "!", "?")
_SKIPPED_TEXTS = frozenset({"無", "略", "(略)", "無意見"})


@dataclass
class _Paragraph:
    """An item being read: a numbered (or unnumbered) paragraph in a block, or an outline heading."""

    path: list[str]
    label: str | None
    lines: list[str]
    unit: str | None = None  # an agenda case's reporting unit (報告單位); the unit a ruling's point is for
    # 「（一）總務組：」 in the chair's rulings, then 「1、…」「2、…」: the unit heading (no item of its own)
    # and, on each point, the heading it stands under and the numbering of its points.
    unit_heading: bool = False
    under: _Paragraph | None = None
    point_type: str | None = None

    @property
    def text(self) -> str:
        return _join_lines(self.lines)

    @property
    def ends_sentence(self) -> bool:
        return bool(self.lines) and self.lines[-1].endswith(_TERMINAL)


@dataclass
class _Block:
    kind: str  # conclusion | report
    source: str  # 會議結論 / 文書組高組長補充報告
    path: list[str]  # the outline labels it hangs under
    topic: str | None
    owner_unit: str | None = None
    item_type: str | None = None
    items: list[_Paragraph] = field(default_factory=list)
    # The unit a ruling that names none is for: an agenda case's reporting unit, or the unit whose
    # report section (「【總務組】」, 「一、總務組」) the ruling closes.
    case_unit: str | None = None
    unit_section: bool = False  # a unit's report opened by a heading that is the unit's name alone
    # A ruling right after such a section: the section, if the ruling is on it (see _section_rulings).
    section_of: _Block | None = None
    per_unit: bool = False  # a ruling block listing its rulings under bracketed unit names
    in_case: bool = False  # a block of an agenda case (its 說明 or 決定)


@dataclass
class _Outline:
    """Reads cleaned lines into blocks of items, keeping the outline path of each."""

    stack: list[tuple[str, str, _Paragraph]] = field(default_factory=list)  # (marker type, label, heading)
    block: _Block | None = None
    blocks: list[_Block] = field(default_factory=list)
    headings: list[_Paragraph] = field(default_factory=list)  # headings and stray paragraphs
    current: _Paragraph | None = None

    def labels(self) -> list[str]:
        return [label for _, label, _ in self.stack]

    def may_open_report(self, marker_type: str, label: str) -> bool:
        """Whether a heading of this numbering may open a unit's report: only where feed_marker
        would end the block being read, never where it would be that block's item or point — not
        an item of a conclusion (「會議結論：（一）總務組：1、…」 lists the chair's words per unit;
        「決定：一、洽悉。二、總務組：請…」), nor a point of a unit's report (「2、人事室：請協助…」
        among 總務組's points); a heading at the level of one enclosing it (「2、文書組」 after
        「1、總務組 … 主席裁示：…」), or after a unit's empty report (「2. 國際事務組：」), is."""
        block = self.block
        if block is None:
            return True
        if marker_type not in [entry[0] for entry in self.stack]:
            return False  # a point of the block (feed_marker keeps it in)
        if block.item_type is None:
            # its first numbered item, unless the block already holds text (「主席指示：請…」) or is
            # a unit's report with nothing in it yet
            return bool(block.items) or block.kind == "report"
        if marker_type == block.item_type:
            return self._resumes_outline(block, marker_type, label)  # else the block's next item
        return True

    def opens_unit_section(self) -> bool:
        """Whether a unit's name in brackets opens its report here: among the units' reports, or
        after a section's ruling that has its text (「主席裁示：洽悉。」 then 「【文書組】」); not in a
        ruling with nothing in it yet (「主席裁示：」 then 「【總務組】」 lists the rulings per unit),
        nor in the chair's summing-up (綜合裁示)."""
        block = self.block
        if block is None:
            # Only once the body has its headings (「肆、各組室業務報告」): 「【總務組】」 before any is
            # the header's list of who attended, by unit (review finding).
            return bool(self.stack)
        return block.kind == "report" or (block.unit_section and bool(block.items) and not block.per_unit)

    def unit_ruling(self, unit: str) -> None:
        """「主席裁示：」 then 「【總務組】」 and its ruling: an item of the ruling block for that unit."""
        assert self.block is not None
        self.block.per_unit = True
        self._new_item(None, "")
        assert self.current is not None
        self.current.unit = unit

    def in_empty_section(self) -> bool:
        """Whether a unit's report section has just been opened and holds nothing yet."""
        block = self.block
        return block is not None and block.kind == "report" and block.unit_section and not block.items

    def feed_marker(self, marker_type: str, label: str, rest: str, shown: str) -> None:
        block = self.block
        if block is not None:
            outline_types = [entry[0] for entry in self.stack]
            if block.item_type is None:
                if not (marker_type in outline_types and block.items):
                    block.item_type = marker_type
                    self._new_item(label, rest)
                    return
            elif marker_type == block.item_type and not self._resumes_outline(block, marker_type, label):
                self._new_item(label, rest)
                return
            elif marker_type not in outline_types:
                current = self.current
                if current is not None and current.under is not None and marker_type == current.point_type:
                    self._unit_point(current.under, label, rest, marker_type)  # 「2、」 after 「1、」
                elif current is not None and current in block.items and _unit_heading(current.text):
                    self._unit_point(current, label, rest, marker_type)  # 「（一）總務組：」 then 「1、」
                elif current is not None:  # a sub-point of the current item: keep its number
                    current.lines.append(shown + rest)
                else:
                    self._new_item(label, rest)
                return
            self._close_block()
        types = [entry[0] for entry in self.stack]
        if marker_type in types:
            del self.stack[types.index(marker_type) :]
        heading = _Paragraph(path=[*self.labels(), label], label=label, lines=[rest] if rest else [])
        self.stack.append((marker_type, label, heading))
        self.headings.append(heading)
        self.current = heading
        block_line = _BLOCK_LINE.match(rest)
        if block_line:  # 「肆、主席結論：」: the heading opens the block itself
            self.start_block(
                "conclusion",
                block_line.group("label"),
                block_line.group("rest") or "",
                topic_from_heading=False,
            )

    def _resumes_outline(self, block: _Block, marker_type: str, label: str) -> bool:
        """In an agenda case, 「二、主席指示」 after a case's points 「一、…」「二、…」 numbered like the
        heading above the cases (「一、報告案」) is that heading's next one, not the case's next point."""
        if not block.in_case:
            return False
        outer = next((entry[1] for entry in reversed(self.stack) if entry[0] == marker_type), None)
        last = next((item.label for item in reversed(block.items) if item.label), None)
        following = _next_label(outer) if outer else None
        return following == label and (last is None or _next_label(last) != label)

    def open_case(self, label: str) -> None:
        """「第二案」: a new agenda case beside the one before, under the same heading (報告案)."""
        if self.block is not None:
            self._close_block()
        types = [entry[0] for entry in self.stack]
        if "case" in types:
            del self.stack[types.index("case") :]
        heading = _Paragraph(path=[*self.labels(), f"第{label}案"], label=f"第{label}案", lines=[])
        self.stack.append(("case", heading.label, heading))
        self.headings.append(heading)
        self.current = heading

    def case(self) -> _Paragraph | None:
        """The agenda case being read (the innermost on the outline), if any."""
        return next((heading for kind, _, heading in reversed(self.stack) if kind == "case"), None)

    def feed_case_field(self, field_name: str, rest: str) -> None:
        """報告單位 names the unit; 案由 is the case's topic; 說明 and 辦法 open the unit's report."""
        case = self.case()
        assert case is not None
        if field_name in ("報告單位", "提案單位"):
            units, _ = find_units(rest)
            case.unit = units[0] if len(units) == 1 else None
        elif field_name == "案由":
            case.lines.append(rest)
            self.current = case
        else:
            # 「說明：本組業務報告如下：」 introduces the numbered points that follow: not a point itself.
            intro = rest.rstrip().endswith((":", "：", "如下"))
            self.start_block("report", field_name, "" if intro else rest, owner_unit=case.unit)
            assert self.block is not None
            self.block.in_case = True

    def close_case(self) -> None:
        """The chair's own conclusions after the cases (主席結論, 主席指示) belong to no case."""
        types = [entry[0] for entry in self.stack]
        if "case" in types:
            if self.block is not None:
                self._close_block()
            del self.stack[types.index("case") :]

    def start_block(
        self,
        kind: str,
        source: str,
        rest: str,
        *,
        topic_from_heading: bool = True,
        owner_unit: str | None = None,
        unit_section: bool = False,
    ) -> None:
        if self.block is not None:
            self._close_block()
        topic = self.stack[-1][2].text.rstrip("。：:") if self.stack and topic_from_heading else None
        self.block = _Block(kind, source, self.labels(), topic, owner_unit, unit_section=unit_section)
        self.blocks.append(self.block)
        self.current = None
        if rest:
            self._new_item(None, rest)

    def feed_text(self, line: str, after_blank: bool) -> None:
        current = self.current
        if current is not None and (not after_blank or not current.ends_sentence):
            current.lines.append(line)
            return
        if self.block is not None:
            if self.block.item_type is None or current is None:
                self._new_item(None, line)
            else:
                current.lines.append(line)
            return
        stray = _Paragraph(path=self.labels(), label=None, lines=[line])
        self.headings.append(stray)
        self.current = stray

    def feed_bullet(self, line: str) -> None:
        """A bulleted line with no number: an item of its own when the block lists by bullets."""
        block = self.block
        if block is not None and block.item_type in (None, "bullet"):
            block.item_type = "bullet"
            self._new_item(f"第{sum(1 for item in block.items if item.label) + 1}點", line)
        else:
            self.feed_text(line, after_blank=True)

    def finish(self) -> None:
        if self.block is not None:
            self._close_block()

    def _new_item(self, label: str | None, text: str) -> None:
        assert self.block is not None
        path = [*self.block.path]
        if self.block.kind == "report":
            path.append(self.block.source)
        if label:
            path.append(label)
        item = _Paragraph(path=path, label=label, lines=[text] if text else [])
        self.block.items.append(item)
        self.current = item

    def _unit_point(self, heading: _Paragraph, label: str, text: str, marker_type: str) -> None:
        """A numbered point under a unit's name in the chair's rulings: a directive to that unit."""
        assert self.block is not None
        heading.unit_heading = True
        item = _Paragraph(
            path=[*heading.path, label], label=label, lines=[text] if text else [],
            unit=_unit_heading(heading.text), under=heading, point_type=marker_type,
        )  # fmt: skip
        self.block.items.append(item)
        self.current = item

    def close_block(self) -> None:
        if self.block is not None:
            self._close_block()

    def heading_read(self) -> None:
        """The heading just fed is read as a block's item: the fallback to requests anywhere (a
        record with no conclusions) skips it."""
        assert self.current is not None
        self.current.unit_heading = True

    def _close_block(self) -> None:
        block = self.block
        if block is not None and len(block.items) > 1 and all(item.label is None for item in block.items):
            for number, item in enumerate(block.items, start=1):
                item.label = f"第{number}點"
                item.path.append(item.label)
        self.block = None
        self.current = None


_CJK_NUMERALS = "一二三四五六七八九十"


def _next_label(label: str) -> str | None:
    """The label after this one (三 → 四, 9 → 10, (二) → (三)), for numbers up to 99; else None."""
    inner = label[1:-1] if label.startswith("(") and label.endswith(")") else label
    wrap = (lambda text: f"({text})") if inner != label else (lambda text: text)
    if inner.isdigit():
        return wrap(str(int(inner) + 1))
    value = parse_number(inner) if inner and all(ch in _CJK_NUMERALS for ch in inner) else None
    if value is None or value >= 99:
        return None
    following = value + 1
    tens, ones = divmod(following, 10)
    text = ("" if tens <= 1 else _CJK_NUMERALS[tens - 1]) + ("十" if tens else "") + (_CJK_NUMERALS[ones - 1] if ones else "")
    return wrap(text)


def _match_marker(line: str) -> tuple[str, str, str, str] | None:
    """(marker type, normalised label, text after the marker, marker as shown) or None."""
    for marker_type, pattern in _MARKERS:
        match = pattern.match(line)
        if match:
            label = match.group("label") or match.groupdict().get("label2") or ""
            rest = line[match.end() :]
            if marker_type.startswith("paren"):
                label = f"({label})"
            return marker_type, label, rest, match.group(0).strip()
    return None


_UNIT_HEADING_SUFFIXES = ("業務工作報告", "工作報告", "業務報告", "補充報告", "報告")


# A unit's name in brackets on a line of its own opens its report section: 「【總務組】」, 「〔人事室〕業務報告：」.
_BRACKETED_HEADING = lazy_compile(r"^[【〔\[](?P<name>[^】〕\]]{2,16})[】〕\]]\s*(?P<suffix>[^\s:：]{0,6})\s*[:：]?$")
# 「報告：」 alone under such a heading: the label of the unit's points, no item (「業務報告：…」 keeps its text).
_REPORT_LABEL = lazy_compile(r"^(?:業務|工作)?報告(?:事項)?\s*[:：]\s*(?P<rest>.*)$")
_REPORTER_LABEL = lazy_compile(r"^(?:報告人|報告者|報告單位)\s*[:：]")  # 「報告人：李組長」: who, no item
# The chair's ruling right after a unit's report section (「主席裁示：」, 「主席指示：」) is on that
# report; not the summing-up (綜合裁示), nor a 決定 or 結論, which may be an agenda case's or the
# meeting's (「九、政風室：… 決定：洽悉。 第二案…」).
_SECTION_RULINGS = ("裁示", "指示", "提示")
_SUMMING_UP = "綜合"


def _bracketed_unit(line: str) -> str | None:
    match = _BRACKETED_HEADING.match(line)
    return _unit_heading(match.group("name") + match.group("suffix")) if match else None


# Who reports, in brackets after the unit's name: 「總務組（李組長）」, 「文書組（鄭組長報告）」.
_REPORTER_IN_BRACKETS = lazy_compile(r"\s*[（(][^（）()]{1,12}[）)]$")


def _unit_heading(text: str) -> str | None:
    """The unit a heading's text names and nothing else (機要組, 政風室：, 會計室業務報告,
    總務組（李組長）), else None."""
    name = _REPORTER_IN_BRACKETS.sub("", text.strip().rstrip("：: ")).rstrip("：: ")
    for suffix in _UNIT_HEADING_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return next((unit for form, unit in _words().names if form == name), None)


@lru_cache(maxsize=8)
def _names_longest_first(words: UnitWords) -> list[tuple[str, str]]:
    return sorted(words.names, key=lambda n: -len(n[0]))


# 「總務組黃組長：」, 「會計室林主任：本室擬…」: a unit and its reporter, then what they report.
_REPORTER_LINE = lazy_compile(r"^(?P<who>[^\s:：。，；]{3,16}?)\s*[:：]\s*(?P<rest>.*)$")


def _report_heading(line: str, in_conclusion: bool = False) -> tuple[str, str, str | None] | None:
    """(source, inline text, the reporting unit) for 「文書組高組長補充報告：」 or 「文書組高組長：」,
    else None. In the chair's conclusions 「總務組黃組長：請…」 addresses the unit: no report."""
    match = _REPORT_LINE.match(line)
    if not match and in_conclusion:
        return None
    forms = _names_longest_first(_words())
    if not match:
        reporter = _REPORTER_LINE.match(line)
        if not reporter:
            return None
        # Only a unit followed by a person (surname and title): 「總務組：請於…」 in a conclusion
        # is the chair addressing the unit, not the unit reporting.
        who = reporter.group("who")
        owner = next(((form, unit) for form, unit in forms if who.startswith(form)), None)
        person = _PERSON.fullmatch(who[len(owner[0]) :]) if owner else None
        if person is None or not person.group("surname"):
            return None
        return who, reporter.group("rest"), owner[1]
    who = match.group("who")
    owner = next((unit for form, unit in forms if who.startswith(form)), None)
    if owner is None and not _REPORTER_HINT.search(who):
        return None
    return who + match.group("kind"), match.group("rest"), owner


# --------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------

_TABLE_HEADER = object()  # what _DirectiveTable.read returns for a table's header line
_TASK_COLUMN = lazy_compile(r"^(?:主持人|主席)?(?:指示|裁示|決議|決定|交辦|辦理|列管|追蹤)?事項$|^(?:指示|裁示|決議|決定)(?:內容)?$")
_UNIT_COLUMN = lazy_compile(r"^(?:主辦|承辦|辦理|權責|負責)(?:單位|組室)?$")
_INDEX_COLUMN = lazy_compile(r"^(?:案號|序號|編號|項次|項目|列管編號|No\.?)$", re.IGNORECASE)


class _DirectiveTable:
    """Directives kept in a table of Tab-separated columns (案號／指示事項／主辦單位／完成期限), as
    secretaries paste them from a spreadsheet: each row becomes one numbered line that keeps every
    cell but the case number, labelled with its column's name (「1、配合明年萬安演習…（主辦單位：總務組；
    完成期限：114年3月）」), so the unit is read as in a written directive and a 期限 cell as its deadline
    (a month alone: its last day). Pasted flat, the rows had run together into one item. A line with
    no task cell, or with an empty first cell (a line indented by a Tab), ends the table."""

    def __init__(self) -> None:
        self.names: list[str] | None = None  # the header's cells while a table is open
        self.task = -1  # the task column
        self.rows = 0

    def read(self, raw_line: str):
        """_TABLE_HEADER for a table's header line, the rewritten line for one of its rows, else None
        (the line is no table's; a line without a Tab ends a table)."""
        if "\t" not in raw_line:
            if raw_line.strip():
                self.names = None
            return None
        cells = [clean_text(cell) for cell in raw_line.split("\t")]
        task = next((i for i, cell in enumerate(cells) if _TASK_COLUMN.match(cell)), -1)
        unit = next((i for i, cell in enumerate(cells) if _UNIT_COLUMN.match(cell)), -1)
        if task >= 0 and unit >= 0:  # the unit column is read from the labelled cells, as written text
            self.names, self.task, self.rows = cells, task, 0
            return _TABLE_HEADER
        if self.names is None:
            return None
        if len(cells) <= self.task or not cells[self.task] or not cells[0]:
            self.names = None  # not a row of the table (「\t九、臨時動議：無。」): the table has ended
            return None
        self.rows += 1
        labelled = [
            f"{self.names[i]}：{cell}" for i, cell in enumerate(cells)
            if cell and i != self.task and i < len(self.names) and self.names[i]
            and not _INDEX_COLUMN.match(self.names[i])
        ]  # fmt: skip
        note = f"（{'；'.join(labelled)}）" if labelled else ""
        return f"{self.rows}、{cells[self.task].rstrip('。')}{note}"


def parse_record(text: str, *, today: date | None = None, words: UnitWords | None = None) -> Record:
    """Read a meeting record. Never raises: problems become `warnings`.

    `today` is only the fallback reference for deadlines when the record has no meeting date;
    `words` the units the record may name (the built-in table's by default).
    """
    token = _WORDS.set(words or UnitWords())
    try:
        return _parse_record(text, today)
    finally:
        _WORDS.reset(token)


def _parse_record(text: str, today: date | None) -> Record:
    warnings: list[str] = []
    if len(text) > MAX_RECORD_CHARS:
        text = text[:MAX_RECORD_CHARS]
        warnings.append(f"紀錄過長，只分析前 {MAX_RECORD_CHARS:,} 字。")
    if not text.strip():
        return Record(
            meeting=Meeting(), warnings=[*warnings, "紀錄是空的，沒有可分析的內容。"], all_units=_words().units
        )

    outline = _Outline()
    header_lines: list[str] = []
    in_header = True
    after_blank = True
    table = _DirectiveTable()
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        row = table.read(raw_line)
        if row is _TABLE_HEADER:
            continue
        line = clean_text(row if row is not None else raw_line)
        if not line:
            after_blank = True
            continue
        if _PAGE_NUMBER.match(line):
            continue
        if _END_LINE.match(line):
            break
        bullet = _BULLET.match(line)
        if bullet:
            line = line[bullet.end() :]
            if not line:
                continue
        case = _CASE_LINE.match(line)
        if case:
            in_header = after_blank = False
            outline.open_case(case.group("label"))
            line = case.group("rest")  # 「第一案　報告單位：總務組」: the field on the same line
            if not line:
                continue
        case_field = _CASE_FIELD.match(line) if outline.case() else None
        if case_field:
            outline.feed_case_field(case_field.group("field"), case_field.group("rest"))
            after_blank = False
            continue
        bracketed = _bracketed_unit(line)
        if bracketed and in_header and header_lines and header_lines[-1].endswith(("：", ":")):
            bracketed = None  # 「出席：」 then 「[總務組]」: who attended, a field's value, no section
        if bracketed and outline.opens_unit_section():
            # 「【總務組】」: the unit's report section, as 「一、總務組」 opens it (本組 in it is that unit).
            in_header = after_blank = False
            outline.start_block("report", bracketed, "", owner_unit=bracketed, unit_section=True)
            continue
        if bracketed and outline.block is not None and outline.block.kind == "conclusion":
            outline.unit_ruling(bracketed)  # the chair's rulings listed per unit (review finding)
            after_blank = False
            continue
        if outline.in_empty_section() and _REPORTER_LABEL.match(line):
            after_blank = False
            continue
        label = _REPORT_LABEL.match(line) if outline.in_empty_section() else None
        if label:
            # 「報告：」 under the unit's heading labels its points; 「報告：本組已…」 is its first point.
            if label.group("rest"):
                outline.feed_text(label.group("rest"), after_blank=True)
            after_blank = False
            continue
        marker = _match_marker(line)
        block_line = None if marker else _BLOCK_LINE.match(line)
        in_conclusion = outline.block is not None and outline.block.kind == "conclusion"
        report = None if marker or block_line else _report_heading(line, in_conclusion)
        opens = bool(marker) and outline.may_open_report(marker[0], marker[1])
        unit_heading = _unit_heading(marker[2]) if opens else None
        # 「1. 總務組：萬安演習本處配合事項已分工完畢…」 among the unit reports: the unit's name, then its
        # report on the same line (not an item of the chair's conclusions, where it addresses the
        # unit: may_open_report, as for a unit's name alone).
        head, colon, inline = marker[2].partition("：") if marker and not unit_heading else ("", "", "")
        inline_unit = _unit_heading(head) if opens and colon and inline.strip() and len(head) <= 16 else None
        if in_header and marker and _HEADER_FIELD.match(marker[2]):
            # 「一、時間：113年10月17日」「三、主席：…」: header fields numbered like the body.
            header_lines.append(marker[2])
            after_blank = False
            continue
        if in_header and not (marker or block_line or report) and _looks_like_header(line, header_lines):
            header_lines.append(line)
            after_blank = False
            continue
        in_header = False
        if unit_heading or inline_unit:
            # 「4、機要組」, 「九、政風室：」: a numbered heading that is a unit's name alone opens that
            # unit's report, as 「機要組陳組長補充報告：」 does (本組 in it is that unit); so does a unit's
            # name with its report on the same line. The report before it ends here, even an empty
            # one (「2. 國際事務組：」 with nothing after it), so this line is never an item of it.
            outline.close_block()
            outline.feed_marker(*marker)  # the heading keeps its text: the topic of what follows
            if inline_unit:
                outline.heading_read()  # its text is the report's first item (below), not read again
                outline.start_block("report", head, marker[2], owner_unit=inline_unit, unit_section=True)
            else:
                outline.start_block("report", marker[2].rstrip("：: "), "", owner_unit=unit_heading, unit_section=True)
        elif marker:
            outline.feed_marker(*marker)
        elif block_line:
            if block_line.group("label") not in ("決定", "決議"):
                outline.close_case()  # 主席結論 after the cases: the chair's own, no case's
            case_heading = outline.case()
            section = outline.block if outline.block is not None and outline.block.unit_section else None
            ruling = block_line.group("label")
            outline.start_block("conclusion", ruling, block_line.group("rest") or "")
            if case_heading is not None and outline.block is not None:
                outline.block.case_unit = case_heading.unit
                outline.block.in_case = True
            elif (
                section is not None and section.kind == "report"
                and ruling.endswith(_SECTION_RULINGS) and _SUMMING_UP not in ruling
            ):  # fmt: skip
                # 「【總務組】報告：… 主席裁示：…」: the chair's ruling on that unit's report is for it,
                # if the record rules on its sections one by one (_section_rulings decides, at the end).
                outline.block.case_unit = section.owner_unit
                outline.block.unit_section = True
                outline.block.section_of = section
        elif report:
            source, rest, owner = report
            outline.start_block("report", source, rest, owner_unit=owner)
            reporter = _OFFICE_REPORTER.match(source)
            if owner is None and reporter and reporter.group("office") not in _outside(_words()):
                # Its requests are still read; its own work (本室將…) has no unit of the table to go to.
                # (A body a unit supervises, 公管中心, or a city agency is known: no warning.)
                warnings.append(
                    f"「{reporter.group('office')}」不是分層負責明細表裡的單位：其報告中自辦的事項未列為交辦，請人工判斷。"
                )
        elif bullet:
            outline.feed_bullet(line)
        else:
            outline.feed_text(line, after_blank)
        after_blank = False
    outline.finish()
    _section_rulings(outline.blocks)

    meeting, reference, header_warnings = _parse_header(header_lines)
    warnings.extend(header_warnings)
    if reference is None and today is not None:
        reference = today
        warnings.append("找不到會議日期，期限以今天的日期推算。")
    elif reference is None:
        warnings.append("找不到會議日期，期限無法換算成日期。")

    items: list[Item] = []
    tracking: list[TrackingChange] = []
    conclusion_blocks = [block for block in outline.blocks if block.kind == "conclusion"]
    for block in outline.blocks:
        for paragraph in block.items:
            section = "、".join(paragraph.path)
            text_of_item = paragraph.text
            if not text_of_item or text_of_item.rstrip("。") in _SKIPPED_TEXTS or paragraph.unit_heading:
                continue
            if block.kind == "conclusion":
                tracking.extend(find_tracking(text_of_item, section))
                items.append(_conclusion_item(text_of_item, section, block, reference, paragraph.unit))
            else:
                item = _report_item(text_of_item, section, block, reference)
                if item:
                    items.append(item)
    if not conclusion_blocks:
        warnings.append("找不到會議結論段落。")
        for number, paragraph in enumerate(outline.headings, start=1):  # fall back to requests anywhere
            if paragraph.unit_heading:
                continue
            section = "、".join(paragraph.path) or f"第{number}段"
            item = _report_item(paragraph.text, section, None, reference)
            if item:
                items.append(item)
    return Record(meeting=meeting, items=items, tracking=tracking, warnings=warnings, all_units=_words().units)


def _section_rulings(blocks: list[_Block]) -> None:
    """A ruling right after a unit's report section is on that section only where the record rules
    on its sections one by one: another section follows the ruling, or the section before had its
    own. Else (「一、總務組：… 二、人事室：…」, then one 「主席指示：」 for the meeting) it names no unit
    of its own: review finding, it had gone to the last unit."""
    sections = [block for block in blocks if block.kind == "report" and block.unit_section]
    place = {id(block): number for number, block in enumerate(blocks)}
    ruled = {id(block.section_of) for block in blocks if block.section_of is not None}
    for block in blocks:
        if block.section_of is None:
            continue
        followed = any(place[id(section)] > place[id(block)] for section in sections)
        at = next(number for number, section in enumerate(sections) if section is block.section_of)
        if not (followed or (at > 0 and id(sections[at - 1]) in ruled)):
            block.case_unit = None


def _looks_like_header(line: str, header_lines: list[str]) -> bool:
    """Header lines are the title and 「時間：」「主席：」… fields; the first other line starts the body."""
    if _HEADER_FIELD.match(line):
        return True
    titles = [seen for seen in header_lines if not _HEADER_FIELD.match(seen)]
    if len(line) > 60 or line.endswith(_TERMINAL) or len(titles) >= 2:
        return False
    # A title may run over two lines: 「臺北市政府秘書處」 then 「第147次處務會議紀錄」.
    return not titles or any(word in line for word in ("會議", "紀錄", "記錄"))


def _parse_header(lines: list[str]) -> tuple[Meeting, date | None, list[str]]:
    warnings: list[str] = []
    fields: dict[str, str] = {}
    title: str | None = None
    for line in lines:
        matches = list(_HEADER_FIELD.finditer(line))
        if not matches:
            if title is None and ("會議" in line or "紀錄" in line or "記錄" in line):
                title = line
            continue
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
            value = line[match.end() : end].strip(" 。")
            fields.setdefault(_canonical_field(match.group("label")), value)

    name = None
    if title:
        numbered = _MEETING_NAME.search(title)
        if numbered:
            name = f"第{numbered.group('number')}次{numbered.group('kind')}"
        else:
            stripped = re.sub(r"^(?:臺北市政府|台北市政府)?秘書處", "", title)
            stripped = re.sub(r"(?:會議)?[紀記]錄$", "", stripped)
            name = stripped if "會議" in stripped else (stripped + "會議" if stripped else None)
    if name is None:
        warnings.append("找不到會議名稱。")

    found_date = None
    for candidate in (fields.get("time"), title, *lines):
        if candidate:
            found_date = _find_meeting_date(candidate)
            if found_date:
                break
    date_roc = None
    meeting_date = None
    if found_date:
        written, meeting_date = found_date
        if meeting_date.year - 1911 == parse_number(re.sub(r"^民國|年.*$|[./-].*$", "", written)):
            date_roc = written
    meeting = Meeting(
        name=name,
        date_roc=date_roc,
        date=meeting_date.isoformat() if meeting_date else None,
        chair=fields.get("chair") or None,
        recorder=fields.get("recorder") or None,
        location=fields.get("location") or None,
    )
    return meeting, meeting_date, warnings


def _canonical_field(label: str) -> str:
    if "時間" in label or label == "日期":
        return "time"
    if "地點" in label:
        return "location"
    if label in ("主席", "主持人"):
        return "chair"
    if "紀錄" in label or "記錄" in label:
        return "recorder"
    return label


# 「同意備查」「洽悉」「紀錄確定」…: an item made only of these phrases is noted, not acted on.
_NOTED_ONLY = lazy_compile(
    r"^(?:(?:本案|(?:本次|上次|前次|第[0-9一二三四五六七八九十百]+次)?(?:處務)?會議)?(?:紀錄|記錄)?"
    r"(?:同意|准予|准|予以|原則同意)?"
    r"(?:備查|核備|洽悉|確定|確認|照案通過|通過|同意|知悉)(?:在案)?[，、；。\s]*)+$"
)
_TRACKING_ACTION = lazy_compile(
    r"(?P<action>解除列管|解除追蹤|賡續列管|繼續列管|持續列管|續予列管|繼續追蹤|列入列管|新增列管|予以列管|併案列管)"
)
_CASE_NUMBER = lazy_compile(r"(?<![0-9])[0-9]{3,}(?:-[0-9]+)?(?![0-9年月日時次元萬人件])")


def find_tracking(text: str, section: str) -> list[TrackingChange]:
    """列管案號 changes: each action takes the case numbers written since the previous action."""
    if "列管" not in text and "案號" not in text:
        return []
    changes: list[TrackingChange] = []
    previous_end = 0
    for match in _TRACKING_ACTION.finditer(text):
        written = match.group("action")
        if written in ("解除列管", "解除追蹤"):
            action = "解除列管"
        elif written in ("賡續列管", "繼續列管", "持續列管", "續予列管", "繼續追蹤"):
            action = "賡續列管"
        else:
            action = "other"
        for case in _CASE_NUMBER.findall(text[previous_end : match.start()]):
            changes.append(TrackingChange(case=case, action=action, action_text=written, section=section))
        previous_end = match.end()
    return changes


def _classify(text: str) -> str:
    if first_request(text):
        return "directive"
    if _TRACKING_ACTION.search(text):
        return "tracking"
    if _NOTED_ONLY.match(text):
        return "noted"
    return "directive"  # a conclusion that is neither noted nor tracking decides something to do


def _conclusion_item(
    text: str, section: str, block: _Block, reference: date | None, unit: str | None = None
) -> Item:
    kind = _classify(text)
    if kind != "directive":
        return Item(section=section, source=block.source, kind=kind, text=text, task="", topic=block.topic)
    item = _directive(text, section, block.source, block.topic, block.owner_unit, reference, context=None)
    addressed = unit or block.case_unit
    if addressed and not item.units and not item.unknown_units:
        # 「決定：洽悉，出訪經費請審慎估算」 under 國際事務組's case asks the unit that reported; 「1、…」
        # under 「（一）總務組：」 in the rulings asks 總務組.
        item = replace(item, units=[addressed])
    return item


# Work the unit takes on or has under way: 將/擬/預計… (future), 刻正/正在 (under way), 訂於/定於
# (scheduled). The verb may stand after a comma of the same sentence: 「本組配合本府資訊政策，將於
# 明年起汰換…」. Work already done (「本組已完成…」) is a report, not an item.
_OWN_SUBJECT = (
    # A clause with a subject of its own ends it: 「本組已完成搬遷，各組室將於下週進駐」 is not the unit's.
    r"(?:本組|本室|本中心)(?:(?![，,](?:各|同仁|全體|請))[^。；！？]){0,30}?"
)
_OWN_COMMITMENT = lazy_compile(
    # 擬 is a plan, but not in 原擬 (the old plan), 研擬 (being drafted: a routine word, below) or
    # 撰擬/草擬/簽擬/起擬 (drafting: 「本組已完成撰擬」 is done)
    _OWN_SUBJECT + r"(?<![原研撰草簽起])(?:將|擬|預計|預定|規劃|即將|持續|會再|會於|會在|刻正|正在|訂於|定於"
    r"|已?著手|近日(?!已|完成)"  # begun (已著手); soon (近日簽陳)
    # under way: 正進行彙整, 正與市長室洽排 (not the 正 ending 修正, 更正, 校正…: 「本組已修正辦理要點」)
    r"|(?<![修更校改訂公真端矯指糾導補核辨])正(?:進行|與|積極|陸續|洽|研|辦理|籌))(?!於.{0,6}完成後)"
)
# Routine (每日, 定期) or being studied or prepared (研議, 籌備) is work to do only in a clause that
# reports nothing finished: 「本組已完成每月公文稽催統計」, 「本室研議之修正案已於上月公告實施」;
# but 「…，明年度每月定期辦理」 and 「定期於每月5日前完成…」 are to do.
_OWN_ROUTINE = lazy_compile(_OWN_SUBJECT + r"(?P<routine>研議|研擬|籌備|籌辦|每日|每週|每月|定期)")
_CLAUSE_RUN = lazy_compile(r"[^，,；;。]+")
_FINISHED = lazy_compile(r"已[^，,；;]{0,10}?完成(?!後|率)|業已|已於|已經|已將|完竣(?!後)")
_BUYING_WORDS = "採購|採買|購置|購買|添購|汰換|租賃|承租|委外|建置|印製|製作"
_BUYING = lazy_compile(_BUYING_WORDS)
# Money spent: no purchase to route, whatever was planned.
_SPENT = lazy_compile(r"已支|計支|支用|執行率")
# Done, or compared with the past: no purchase, unless one is still planned (below).
_DONE = lazy_compile(r"已完成|業已|較去年|較上")
# A purchase still planned (「明年度維護擬委外辦理，…本組已完成需求說明書」) is one however much of
# its preparation is done; 「原擬採購之…已完成交車」 is not.
_PLANNED_BUYING = lazy_compile(rf"(?<!原)(?:擬|將|預計|預定|規劃)[^，,。；]{{0,8}}?(?:{_BUYING_WORDS})")


# In a unit's report, a sentence naming no doer (「市政會議紀錄將於會後2個工作天內陳核」, 「新進志工職前
# 訓練訂於4月13日辦理」) tells the unit's own schedule as much as 「本組將…」 does.
# The scheduled verb is work an office does (陳核, 召開, 寄發…), not weather or prices (颱風預計明日登陸,
# 油價預計下月調漲), and no other body (行政院, 衛生局) is named before it.
_SCHEDULED = lazy_compile(
    r"(?<![原研即])(?:將於|將|預計|預定|訂於|定於|刻正|正在)(?!.{0,6}完成後)[^，,；;。]{0,24}?"
    r"(?:辦理|召開|舉行|舉辦|陳核|簽陳|簽報|寄發|發送|分送|提報|彙整|規劃|籌備|執行|檢討|修訂|訂定|更新"
    r"|函送|函報|報送|陳報|公告|招募|甄選|採購|汰換|上架|刊登|發布|印製|製作|審核|審查|核發|清查|盤點|完成"
    r"|施工|動工|上線|啟用|換約|續約|移轉|搬遷|驗收|招標|發包|簽約)"
)
_OWN_SUBJECT_WORD = lazy_compile(r"本組|本室|本中心")  # a sentence naming one is judged by _own_work
_OTHER_DOER = lazy_compile(
    r"各組室|各單位|各機關|同仁|全體|民眾|市民|議員|議會|市長|廠商|中央|[\u4e00-\u9fff]{1,6}?(?:院|部|署|局|委員會)"
)


def _clause_at(sentence: str, at: int) -> re.Match[str]:
    """The clause of a sentence (between ，；。) that holds this position."""
    return next(run for run in _CLAUSE_RUN.finditer(sentence) if run.start() <= at < run.end())


def _scheduled_own(sentence: str) -> bool:
    """A sentence of a unit's report with work scheduled and no doer named before it: the unit's."""
    scheduled = _SCHEDULED.search(sentence)
    if scheduled is None or _OWN_SUBJECT_WORD.search(sentence):
        return False  # with 本組 named, _own_work judges it
    at = scheduled.start()
    clause = _clause_at(sentence, at)
    if _FINISHED.search(clause.group()):
        return False  # 「上半年預計採購之事務機器已全數完成」: the plan is done
    before = sentence[clause.start() : at]
    units, outside = find_units(before)
    return not _OTHER_DOER.search(before) and not units and not outside


def _own_work(sentence: str) -> bool:
    """A sentence of a unit's report saying work of the unit's own is still to do."""
    if _OWN_COMMITMENT.search(sentence):
        return True
    routine = _OWN_ROUTINE.search(sentence)
    if routine is None:
        return False
    # finishing counts in the routine word's own clause only
    return not _FINISHED.search(_clause_at(sentence, routine.start("routine")).group())


def _spends(sentence: str) -> bool:
    """A sentence about buying, leasing or outsourcing something for a sum (「…汰換採購案，預算金額
    新臺幣38萬元」), not one that reports money spent (「上月加油費用計新臺幣2萬元」, 「已支用…」)."""
    from approval_cli.text.amounts import find_amounts

    if not _BUYING.search(sentence) or _SPENT.search(sentence):
        return False
    if _DONE.search(sentence) and not _PLANNED_BUYING.search(sentence):
        return False
    return bool(find_amounts(sentence))


# A rule for everyone: 「皆應」「均應」「一律」「均不得」… (not 因應/回應, which contain 應).
_RULE = lazy_compile(r"(?:皆|均|一律|都|一概)(?:應|須|需|不得|要)")


def _report_item(text: str, section: str, block: _Block | None, reference: date | None) -> Item | None:
    """The sentences of a report paragraph that ask someone to act, as one directive; failing
    those, the sentences that lay down a rule for everyone (addressed to every unit); else None."""
    sentences = re.findall(r"[^。！？]+[。！？]?", text)
    owner = block.owner_unit if block else None
    asking = [sentence for sentence in sentences if first_request(sentence)]
    # In a unit's own report, 「本組將…」 is work the unit takes on: it needs routing as much as a
    # request does (taken when the paragraph asks nobody). 「本組已…」 reports what was done. A
    # sentence that states what the unit spends (「…汰換採購案，預算金額新臺幣38萬元」) is routed by
    # its amount band whatever its tense.
    own_work = not asking and bool(owner)
    if own_work:
        asking = [sentence for sentence in sentences if _own_work(sentence) or _spends(sentence)]
    rules = [] if asking else [sentence for sentence in sentences if _RULE.search(sentence)]
    if own_work and not asking and not rules:
        asking = [sentence for sentence in sentences if _scheduled_own(sentence)]
    if not asking and not rules:
        return _reported_work(text, section, block, reference) if own_work else None
    scope = "".join(asking or rules)
    source = block.source if block else "內文"
    topic = block.topic if block else None
    item = _directive(
        scope, section, source, topic, owner, reference, context=text if scope != text else None
    )
    if rules:
        # Nobody is asked: the rule binds every unit, and the titles it names (受規範對象) are
        # whom it concerns, not who acts.
        item = replace(item, units=list(_words().units), unknown_units=[], people=[], invited=[], rule=True)
    elif own_work and not item.units:
        # Work in a unit's own report that names no one (「市政宣導影片擬委外辦理，預算80萬元」)
        # is the reporting unit's: asked with no unit, it was given three other units' bands. (A
        # request in it that names no unit, 「請相關組室長官預作準備」, stays unaddressed.) A body
        # outside the table it names is whom the work goes to or is done with (「將報送兵役局」).
        item = replace(item, units=[owner])
    elif own_work and owner in item.units:
        # 「本組將協助各組室完成公務群組移轉」, 「本組將彙整各組室意見後查復」: the unit's own work; the
        # units it helps, gathers from or consults are not the ones to route it for.
        item = replace(item, units=[owner])
    return item


# What reports nothing: a label (「報告：」「說明：」), 「無」, or a pointer to papers (「詳如書面資料。」).
_NOTHING_REPORTED = lazy_compile(
    r"(?:本組|本室)?(?:(?:補充)?報告|說明)?(?:如下)?[:：]?\s*"
    r"(?:無補充(?:報告)?|無意見|無|略|[(（]略[)）]|同上|報告完畢"
    r"|(?:報告)?(?:內容)?(?:詳|如|詳如|說明如)+(?:書面資料|書面報告|附件|附表|資料)[一二三四五六七八九十0-9]*(?:所示)?)?"
)
_REPORT_PUNCTUATION = "。，、；：:;,.！!　 "


def _reported_work(text: str, section: str, block: _Block, reference: date | None) -> Item | None:
    """A paragraph of a unit's own report that asks nothing and plans nothing: work done or under
    way (「本組已完成替代役需求調查」, 「記者會直播流程均由本組統籌」). No one is asked to act, but
    the clerk who files the minutes looks up which row it falls under (who should have signed it;
    every blind-set writer listed such lines among those to look up), so it is a `report` item,
    routed for the reporting unit and shown apart from the directives. A paragraph that reports
    nothing (「報告：」, 「文書組：無。」, 「詳如書面資料。」) is none."""
    head, colon, rest = text.partition("：")
    substance = rest if colon and _unit_heading(head) else text
    if _NOTHING_REPORTED.fullmatch(substance.strip(_REPORT_PUNCTUATION)):
        return None
    item = _directive(text, section, block.source, block.topic, block.owner_unit, reference, context=None)
    return replace(item, kind="report", units=[block.owner_unit], people=[], invited=[], deadline=None, task=item.text)


_INVITE = lazy_compile(r"邀請|邀集|邀")
# 「處長及副處長部分，再請秘書協助邀請」: the people of a 「…部分」 clause followed by an invitation.
_PART_CLAUSE = lazy_compile(r"(?P<who>[^，。；,]*?)部分[，,]")


def split_invited(body: str, people: list[Person]) -> tuple[list[Person], list[Person]]:
    """(assigned, invited): people named as the object of 邀請, or in a 「…部分」 clause whose
    sentence goes on to an invitation, are to be invited; the others are asked to act."""
    spans: list[tuple[int, int]] = []
    for match in _INVITE.finditer(body):
        end, _ = _addressee_span(body, match.end())
        spans.append((match.end(), end))
    for match in _PART_CLAUSE.finditer(body):
        rest = body[match.end() :]
        sentence = rest.split("。", 1)[0]
        if _INVITE.search(sentence):
            spans.append(match.span("who"))
    if not spans:
        return people, []
    assigned: list[Person] = []
    invited: list[Person] = []
    for person in people:
        positions = [m.start() for m in re.finditer(re.escape(person.name), body)]
        if positions and all(any(low <= at < high for low, high in spans) for at in positions):
            invited.append(person)
        else:
            assigned.append(person)
    return assigned, invited


def _directive(
    text: str,
    section: str,
    source: str,
    topic: str | None,
    owner_unit: str | None,
    reference: date | None,
    *,
    context: str | None,
) -> Item:
    units, unknown_units = find_units(text, owner_unit)
    deadline = find_deadline(text, reference)
    task, addressee_titles = derive_task(text, deadline)
    body = text.strip().rstrip("。")
    people, invited = split_invited(body, find_people(body, addressee_titles))
    return Item(
        section=section,
        source=source,
        kind="directive",
        text=text,
        task=task,
        units=units,
        unknown_units=unknown_units,
        people=people,
        invited=invited,
        deadline=deadline,
        topic=topic,
        context=context,
    )


# --------------------------------------------------------------------------------------------
# Routing and export
# --------------------------------------------------------------------------------------------

# matcher(task, unit, addressed): `addressed` when the item names this unit among at most two, as a
# clerk chooses a unit for route (not one of the nine of 各組室, nor a guess with no unit).
Matcher = Callable[[str, "str | None", bool], list[dict[str, Any]]]


def route_items(
    record: Record, matcher: Matcher, *, min_score: float, per_unit: int = 3, per_unit_when_many: int = 1
) -> Record:
    """Fill `matches` of each directive: matcher(task, unit) once per unit (once with None when the
    item names no unit of the table), keeping per unit the best `per_unit` rows scoring at least
    `min_score` — or `per_unit_when_many` when the item names more than two units (各組室 would
    otherwise list 27 rows). Each kept row is the matcher's dict plus `for_unit` (the unit it
    was asked for). Rows found for several units are kept once, under the first."""
    routed: list[Item] = []
    for item in record.items:
        if item.kind not in ROUTED_KINDS:
            routed.append(item)
            continue
        matches: list[dict[str, Any]] = []
        seen_ids: set[Any] = set()
        limit = per_unit if len(item.units) <= 2 else per_unit_when_many
        # A directive only to an outside body goes to the unit that supervises it (公管中心 → 總務組).
        supervisors = list(dict.fromkeys(u.supervised_by for u in item.unknown_units if u.supervised_by))
        if item.task:
            addressed = bool(item.units) and len(item.units) <= 2
            for unit in item.units or supervisors or [None]:
                rows = [row for row in matcher(item.task, unit, addressed) if _score(row) >= min_score]
                rows.sort(key=_score, reverse=True)
                for row in rows[:limit]:
                    if row.get("id") in seen_ids:
                        continue
                    seen_ids.add(row.get("id"))
                    matches.append({**row, "for_unit": unit})
        note = None if matches else (NO_MATCH_NOTE if item.kind == "directive" else REPORT_NO_MATCH_NOTE)
        if not item.units and item.unknown_units:
            outside = "、".join(unit.name for unit in item.unknown_units)
            if supervisors:
                note = f"受文單位（{outside}）由{'、'.join(supervisors)}督導；以下為{'、'.join(supervisors)}的項目" + (
                    "" if matches else f"；{NO_MATCH_NOTE}"
                )
            else:
                note = f"受文單位（{outside}）不在本處分層負責明細表內；" + (
                    "以下為本處類似項目，僅供參考" if matches else NO_MATCH_NOTE
                )
        routed.append(replace(item, matches=matches, match_note=note))
    return replace(record, items=routed)


def _score(row: dict[str, Any]) -> float:
    score = row.get("score")
    return float(score) if isinstance(score, (int, float)) else float("-inf")


def _people_cell(people: list[Person]) -> str:
    return "、".join(
        f"{person.name}（{person.role}）" if person.role and person.role != person.title else person.name
        for person in people
    )


def to_csv(record: Record) -> str:
    """One row per item and one per 列管 change, header in Traditional Chinese. 建議項目 holds
    only row ids; why there are none (請人工判斷, 表外單位…) is in 說明. The caller writes the BOM."""
    from approval_cli.output.render import csv_cell  # one formula guard for every CSV the tool writes

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)

    def row(**cells: Any) -> None:
        writer.writerow([csv_cell(cells.get(name, "")) for name in CSV_HEADER])

    for item in record.items:
        changes = [change for change in record.tracking if change.section == item.section]
        if item.kind == "tracking" and changes:
            for change in changes:
                row(段落=item.section, 類別=KIND_LABELS["tracking"], 內容=f"列管案號{change.case}：{change.action_text}",
                    列管案號=change.case, 列管異動=change.action)  # fmt: skip
            continue
        deadline = item.deadline
        row(
            段落=item.section,
            類別=KIND_LABELS.get(item.kind, item.kind),
            單位="、".join(item.units),
            表外單位="、".join(
                f"{unit.name}（{unit.full_name}）" if unit.full_name else unit.name for unit in item.unknown_units
            ),
            人員=_people_cell(item.people),
            邀請=_people_cell(item.invited),
            期限=deadline.text if deadline else "",
            期限日期=(deadline.date or ("定期" if deadline.recurring else "")) if deadline else "",
            內容=item.text,
            建議項目="；".join(str(match.get("id", "")) for match in item.matches),
            決行者="；".join(str(match.get("final_approver") or "") for match in item.matches),
            說明="；".join(
                note for note in ("全體適用的規定（未指定承辦人）" if item.rule else "", item.match_note or "") if note
            ),
            # A suggested row the source leaves unclear carries its warning here too.
            注意事項="；".join(
                f"{match.get('id')}：{warning['message']}"
                for match in item.matches
                for warning in match.get("warnings", [])
            ),
        )
    return buffer.getvalue()
