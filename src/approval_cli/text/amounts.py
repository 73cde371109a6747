"""Amounts of NT$ money as clerks and the delegation table write them.

Clerks type 300000, 300,000, 30萬, 三十萬元, 1萬5,000元, NT$300,000 or full-width ３０萬; the
table states bands such as 「逾新臺幣15萬元、50萬元以下」. Everything here is standard library
only because the CLI imports it on every run. cn2an is not used: it rejects 1萬5,000元 and
costs 0.3 s to import.

Values are computed as integers scaled by 10**12 so that 1.5萬 is exact without importing
fractions/decimal; a result that is not a whole number of dollars is rejected.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

from approval_cli.errors import AmountError
from approval_cli.text.lazyre import lazy_compile

__all__ = [
    "BAND_WORDS",
    "MAX_AMOUNT",
    "AmountMention",
    "ambiguous_amount",
    "find_amounts",
    "format_amount",
    "is_quantity",
    "parse_amount",
    "parse_amount_range",
    "parse_threshold_clause",
    "strip_amounts",
]

MAX_AMOUNT = 10**12  # 1兆: no procurement band in the table comes near it; larger is a typo.

_SCALE = 10**12  # fixed-point scale; 12 decimals is more than any unit can turn into whole dollars
_MAX_FRACTION_DIGITS = 12

# Full-width ASCII forms map one-to-one onto ASCII, so indices into the text stay valid.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALF.update({0x3000: 0x20, 0x2212: 0x2D, 0xFE63: 0x2D, 0xFE69: 0x24})

_DIGITS = {
    "一": 1, "壹": 1,
    "二": 2, "兩": 2, "两": 2, "貳": 2, "贰": 2,
    "三": 3, "參": 3, "叁": 3, "叄": 3, "参": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陸": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
_ZEROS = "零〇"
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"萬": 10**4, "万": 10**4, "億": 10**8, "亿": 10**8, "兆": 10**12}
# Units that make a number money on their own (百/十 do not: 三百人, 十次).
_MONEY_UNITS = frozenset("萬万億亿兆千仟")

_CN_DIGITS = "".join(_DIGITS) + _ZEROS
_UNITS = "".join(_SMALL) + "".join(_BIG)
# A text holding none of these characters holds no amount (digits in both widths, numerals, units).
_AMOUNT_MARKS = frozenset("0123456789０１２３４５６７８９" + _CN_DIGITS + _UNITS)

# Spelled out case-insensitively: re.IGNORECASE makes the CJK classes below slow to compile.
_PREFIX = r"新[臺台]幣|[臺台]幣|[Nn][Tt]\$|[Nn][Tt][Dd]|[Tt][Ww][Dd]|\$"
_NT = r"[Nn][Tt]"
_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_NUM_RE = lazy_compile(_NUM)

_PREFIX_RE = lazy_compile(rf"(?:{_PREFIX}|{_NT})\s*")
_SUFFIX_RE = lazy_compile(r"\s*(?:元整?|整|[臺台]幣)$")
_NEGATIVE_RE = lazy_compile(rf"(?:(?:{_PREFIX}|{_NT})\s*)?[-負]")
_SCIENTIFIC_RE = lazy_compile(
    rf"(?:(?:{_PREFIX}|{_NT})\s*)?[0-9][0-9,]*(?:\.[0-9]*)?\s*[eE]\s*[-+]?[0-9]+\s*(?:元)?"
)
_DIGIT_GAP_RE = lazy_compile(r"[0-9.,]\s+[0-9.,]")
_SPACES_RE = lazy_compile(r"\s+")

# A mention never starts inside another number or word (ISO9001, US$300, 1,234 from 11,234).
# The longest real amount (九千九百九十九億九千九百九十九萬九千九百九十九) has 23 tokens; the cap
# keeps a long run of numerals from being rescanned at every position (quadratic time).
_CANDIDATE_RE = lazy_compile(
    rf"(?<![0-9A-Za-z$])(?<![0-9][.,])"
    rf"(?:(?P<prefix>{_PREFIX})[ \t]*)?"
    rf"(?P<body>(?:{_NUM}|[{_CN_DIGITS}十拾])(?:{_NUM}|[{_CN_DIGITS}]|[ \t]*[{_UNITS}]){{0,40}})"
)
_YUAN_RE = lazy_compile(r"[ \t]*(?:元整?|[臺台]幣)")
_TRAILING_CN_RE = lazy_compile(rf"(?<=[{_UNITS}])[{_CN_DIGITS}]+$")
# After a bare number these make it a count, a date or a floor, not money.
_COUNTERS = "人年月日號号次件頁页樓楼層层時时分秒個个張张台臺輛辆天週周名位份本箱條条項项%度歲岁届屆"
# Before a bare number these make it an ordinal, a case, document or phone number.
_NUMBER_LABELS = ("第", "號", "号", "碼", "码", "電話", "电话", "傳真", "传真", "分機", "分机")
_NUMBER_LIST_CHARS = frozenset("0123456789,、及和與与 \t")
_FOREIGN_RE = lazy_compile(
    r"[ \t]*(?:美元|美金|日圓|日元|日幣|港幣|港元|歐元|人民幣|英鎊|USD|EUR|JPY|RMB|CNY)"
)
_STRIP_SUFFIX_RE = lazy_compile(r"(?:\s*(?:元|整|以下|以上|以內|以内))*")

_LOWER_EXCLUSIVE = ("逾", "超過", "超过", "高於", "高于", "大於", "大于", "多於", "多于")
_UPPER_EXCLUSIVE = ("未滿", "未满", "不足", "低於", "低于", "少於", "少于", "小於", "小于", "不到")
_LOWER_INCLUSIVE_BEFORE = ("至少", "滿", "满", "達", "达")
_UPPER_INCLUSIVE_AFTER = ("以下", "以內", "以内")
_RANGE_JOINERS = frozenset({"至", "到", "~", "-", "–", "—"})
# Every word that makes an amount a band, for callers that must not read them as task words.
BAND_WORDS = frozenset(
    (
        *_LOWER_EXCLUSIVE,
        *_UPPER_EXCLUSIVE,
        *_LOWER_INCLUSIVE_BEFORE,
        *_UPPER_INCLUSIVE_AFTER,
        "以上",
        *_RANGE_JOINERS,
    )
)

_EXAMPLES_HINT = "請輸入如 300000、300,000、30萬、三十萬元、1萬5,000元 或 新臺幣15萬元 的金額。"


class _Bad(Exception):
    """Internal: why a text is not an amount; parse_amount turns it into a clerk's message."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


class AmountMention(NamedTuple):
    """An amount written inside free text; start/end index the text that was searched. (Immutable;
    a NamedTuple, not a frozen dataclass, which cost 0.3 ms to create at every start.)"""

    value: int
    start: int
    end: int
    text: str


def _scaled(number: str) -> int:
    digits = number.replace(",", "")
    whole, _, fraction = digits.partition(".")
    whole = whole.lstrip("0")
    # Checked before int() so a 5,000-digit paste cannot hit Python's int-conversion limit.
    if len(whole) > len(str(MAX_AMOUNT)):
        raise _Bad("large")
    fraction = fraction.rstrip("0")
    if len(fraction) > _MAX_FRACTION_DIGITS:
        raise _Bad("fraction")
    return int(whole or "0") * _SCALE + int(fraction.ljust(_MAX_FRACTION_DIGITS, "0"))


def _tokens(body: str) -> list[tuple[str, int]]:
    tokens: list[tuple[str, int]] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if "0" <= ch <= "9":
            match = _NUM_RE.match(body, i)
            assert match is not None  # a digit always starts a number
            # A lone digit is told apart: after a unit it is ambiguous (1萬5: 10,005 or 15,000?).
            kind = "num1" if len(match.group()) == 1 else "num"
            tokens.append((kind, _scaled(match.group())))
            i = match.end()
            continue
        if ch in _DIGITS:
            tokens.append(("digit", _DIGITS[ch] * _SCALE))
        elif ch in _ZEROS:
            tokens.append(("zero", 0))
        elif ch in _SMALL:
            tokens.append(("small", _SMALL[ch]))
        elif ch in _BIG:
            tokens.append(("big", _BIG[ch]))
        else:
            raise _Bad("syntax", body[i:])
        i += 1
    return tokens


def _evaluate(body: str) -> tuple[int, bool]:
    """Value of a number body (no prefix/元), scaled by _SCALE, and whether it used a unit.

    Chinese grouping: sections of up to 千/百/十 multiplied by 萬/億/兆 in decreasing order.
    A trailing bare Chinese digit is the colloquial short form (一萬五 = 15,000); trailing
    Arabic digits are literal (15萬10 = 150,010). A single trailing Arabic digit after 千, 萬 or
    億 (1萬5) is refused: clerks write it for 15,000, the digits say 10,005, and 15,000 is one of
    the table's thresholds.
    """
    total = section = 0
    coef: int | None = None
    coef_is_chinese = False
    coef_is_lone_digit = False
    zero_seen = False
    last_small: int | None = None
    last_big: int | None = None
    last_unit: int | None = None
    used_unit = False
    for kind, value in _tokens(body):
        if kind == "zero":
            if coef is not None:
                raise _Bad("syntax", body)  # digit-by-digit 一〇〇 is not supported
            zero_seen = True
        elif kind in ("num", "num1", "digit"):
            if coef is not None:
                raise _Bad("syntax", body)
            coef, coef_is_chinese, coef_is_lone_digit = value, kind == "digit", kind == "num1"
        elif kind == "small":
            used_unit = True
            if last_small is not None and value >= last_small:
                raise _Bad("units")
            if coef is None:
                # 十五 and 一百十五 leave out the 一 before 十; no other unit may.
                if value == 10 and not zero_seen:
                    coef = _SCALE
                else:
                    raise _Bad("units")
            if coef >= 10 * _SCALE:
                raise _Bad("units")  # 15千 is not a way to write 15,000
            section += coef * value
            coef, zero_seen, last_small, last_unit = None, False, value, value
        else:  # big unit
            used_unit = True
            if coef is not None:
                if last_small is not None and coef >= last_small * _SCALE:
                    raise _Bad("units")
                section += coef
                coef = None
            if section == 0:
                raise _Bad("units")  # 萬 with nothing before it, or 30萬萬
            if last_big is not None and (value >= last_big or section >= last_big // value * _SCALE):
                raise _Bad("units")
            total += section * value
            section, zero_seen, last_small, last_big, last_unit = 0, False, None, value, value
    if coef is not None:
        if last_unit is not None and last_unit >= 1000 and coef_is_lone_digit and not zero_seen:
            raise _Bad("ambiguous")
        if last_unit is not None:
            if coef_is_chinese and not zero_seen and coef < 10 * _SCALE:
                coef *= last_unit // 10
            if coef >= last_unit * _SCALE:
                raise _Bad("units")  # 1萬15000, 5千1500
        section += coef
    return total + section, used_unit


def _shown(text: str) -> str:
    visible = "".join(ch if ch.isprintable() else "�" for ch in text.strip())
    return visible if len(visible) <= 30 else visible[:30] + "…"


def _fraction_text(scaled: int) -> str:
    whole, rest = divmod(scaled, _SCALE)
    return f"{whole:,}." + str(rest).rjust(_MAX_FRACTION_DIGITS, "0").rstrip("0")


def parse_amount(text: str) -> int:
    """The whole text as one NT$ amount in whole dollars; AmountError says why not."""
    if text.isascii() and text.isdigit() and 0 < len(text) <= 12 and int(text) > 0:
        return int(text)  # plain digits, the common case: no pattern compiled
    shown = _shown(text)
    s = text.translate(_HALF).strip()
    if not s:
        raise AmountError("沒有輸入金額。", _EXAMPLES_HINT)
    if _NEGATIVE_RE.match(s):
        raise AmountError(f"金額「{shown}」是負數；金額必須大於 0。", _EXAMPLES_HINT)
    if _SCIENTIFIC_RE.fullmatch(s):
        raise AmountError(f"「{shown}」是科學記號，金額不會這樣寫。", "請直接寫出數字，例如 100000 或 10萬。")
    prefix = _PREFIX_RE.match(s)
    rest = s[prefix.end() :] if prefix else s
    rest = _SUFFIX_RE.sub("", rest, count=1)
    if _DIGIT_GAP_RE.search(rest):
        raise AmountError(f"「{shown}」的數字中間有空白，看不出是一個金額。", _EXAMPLES_HINT)
    body = _SPACES_RE.sub("", rest)
    try:
        if not body:
            raise _Bad("syntax")
        scaled, used_unit = _evaluate(body)
    except _Bad as bad:
        raise _amount_error(bad, shown) from None
    if scaled > MAX_AMOUNT * _SCALE:
        raise _amount_error(_Bad("large"), shown)
    if scaled % _SCALE:
        if used_unit:
            raise AmountError(
                f"金額「{shown}」換算後是 {_fraction_text(scaled)} 元，不是整數元。",
                "請寫到元為止，例如 1萬2,346 元。",
            )
        raise AmountError(f"金額「{shown}」有小數；金額必須是整數元。", "請寫成整數，例如 2 或 15000。")
    if scaled == 0:
        raise AmountError(f"金額「{shown}」是 0；金額必須大於 0。", _EXAMPLES_HINT)
    return scaled // _SCALE


def _amount_error(bad: _Bad, shown: str) -> AmountError:
    if bad.kind == "large":
        return AmountError(f"金額「{shown}」太大，超過 1 兆元（10^12 元）。", "請確認是否多打了位數或單位。")
    if bad.kind == "ambiguous":
        return AmountError(
            f"金額「{shown}」有兩種讀法（例如 1萬5 可能是 15,000 元，也可能是 10,005 元）。",
            "請寫完整的數字，例如 1萬5,000、15000 或 一萬五千。",
        )
    if bad.kind == "fraction":
        return AmountError(f"金額「{shown}」的小數位數太多，換算後不是整數元。", "請寫到元為止。")
    if bad.kind == "units" and not any(ch.isdigit() or ch in _DIGITS or ch in "十拾" for ch in shown):
        return AmountError(f"「{shown}」只有單位，沒有數字。", _EXAMPLES_HINT)  # 萬, 千萬
    if bad.kind == "units":
        return AmountError(
            f"金額「{shown}」的單位重複或順序不對。", "請寫成如 1億2,000萬、30萬 或 1萬5,000元。"
        )
    if bad.detail and bad.detail != shown:
        odd = _shown(bad.detail)
        return AmountError(f"「{shown}」不是看得懂的金額：無法辨識「{odd}」。", _EXAMPLES_HINT)
    return AmountError(f"「{shown}」不是看得懂的金額。", _EXAMPLES_HINT)


# What may follow an amount written without 元 and still leave it an amount: a band or range word,
# a colloquial unit (塊), 整, 含稅 (「4500以下」, 「3000至9000」, 「2000塊」, 「4500含稅」).
_AMOUNT_FOLLOWERS = frozenset("以至到起逾塊整含元萬万千仟百左上下多餘余")


def _names_or_dates(nxt: str) -> bool:
    return "\u4e00" <= nxt <= "\u9fff" and nxt not in _AMOUNT_FOLLOWERS


def _bare_number_is_money(half: str, start: int, end: int) -> bool:
    """A plain Arabic number without any money cue: money only if it looks like one."""
    before = half[start - 1] if start > 0 else ""
    after = half[end:].lstrip(" \t")
    if (after and after[0] in _COUNTERS) or half[end : end + 2] == "小時":
        return False
    # Look back over a list of numbers (案號9903、9904及10502) to what introduces it.
    lead = start
    while lead > 0 and start - lead < 200 and half[lead - 1] in _NUMBER_LIST_CHARS:
        lead -= 1
    if half.endswith(_NUMBER_LABELS, 0, lead):
        return False
    nxt = half[end] if end < len(half) else ""
    if nxt.isascii() and nxt.isalpha():
        return False  # 3000mAh, 2000x
    if end - start == 4 and 1900 <= int(half[start:end]) <= 2099 and _names_or_dates(nxt):
        return False  # a year-like number run into a word names or dates it: 1999專線, 2024姊妹市交流
    # Dates, phone numbers, document numbers: 2023/09/21, 2720-8889, 10:30.
    if nxt in "-/:." and half[end + 1 : end + 2].isdigit():
        return False
    return not (before in "-/:" and start > 1 and half[start - 2].isdigit())


def _scan(text: str) -> list[AmountMention]:
    half = text.translate(_HALF)
    mentions: list[AmountMention] = []
    pos = 0
    while True:
        match = _CANDIDATE_RE.search(half, pos)
        if match is None:
            return mentions
        start = match.start()
        mention = _mention_at(text, half, match)
        if mention is None:
            # Retry just after the start: 「萬一30萬」 fails as a whole but holds 30萬.
            pos = start + 1
        else:
            mentions.append(mention)
            pos = mention.end


def _mention_at(text: str, half: str, match: re.Match[str]) -> AmountMention | None:
    start = match.start()
    prefix = match.group("prefix")
    body_start = match.start("body")
    body = match.group("body")
    trailing = _TRAILING_CN_RE.search(body)
    if trailing is not None:
        # The ones after 十 (一百二十三), after 零 (一萬零五) and the short form 一萬五 (15,000)
        # belong to the number; in 30萬一台 or 三十萬兩台 the digit starts the next word.
        head = body[: trailing.start()]
        keep = (
            head[-1] in "十拾"
            or any(z in trailing.group() for z in _ZEROS)
            or (len(trailing.group()) == 1 and len(head) == 2 and head[0] in _DIGITS)
        )
        if not keep:
            body = head.rstrip(" \t")
    end = body_start + len(body)
    yuan = _YUAN_RE.match(half, end)
    if yuan is not None:
        end = yuan.end()
    if _FOREIGN_RE.match(half, end):
        return None  # 3000美元 is not an NT$ amount; guessing a rate would be worse than nothing
    try:
        scaled, _ = _evaluate(_SPACES_RE.sub("", body))
    except _Bad:
        return None
    if scaled % _SCALE or scaled == 0 or scaled > MAX_AMOUNT * _SCALE:
        return None
    has_cue = bool(prefix) or yuan is not None or any(ch in _MONEY_UNITS for ch in body)
    if not has_cue:
        plain = body.replace(",", "")
        if not plain.isdigit() or len(plain) < 4 or not _bare_number_is_money(half, start, end):
            return None
    return AmountMention(scaled // _SCALE, start, end, text[start:end])


def may_hold_amount(text: str) -> bool:
    """False when the text holds no digit, numeral or unit, hence no amount (a set test, no pattern)."""
    return isinstance(text, str) and not _AMOUNT_MARKS.isdisjoint(text)


def find_amounts(text: str) -> list[AmountMention]:
    """Amounts written inside free text, in order. Never raises."""
    if not may_hold_amount(text):
        return []  # most queries hold no amount at all: no pattern needs compiling for them
    return list(_scan_remembered(text))


@functools.lru_cache(maxsize=64)
def _scan_remembered(text: str) -> tuple[AmountMention, ...]:
    # Understanding one line scans the same text three or four times (the whole, its parts, after
    # joining split amounts); the mentions are immutable and a pure function of the text.
    return tuple(_scan(text))


def strip_amounts(text: str) -> tuple[str, list[AmountMention]]:
    """The text without its amounts (and an attached 元/整/以下/以上), spaces collapsed."""
    mentions = find_amounts(text)
    if not mentions:
        return " ".join(text.split()), mentions
    pieces: list[str] = []
    pos = 0
    for mention in mentions:
        pieces.append(text[pos : mention.start])
        suffix = _STRIP_SUFFIX_RE.match(text, mention.end)
        pos = suffix.end() if suffix else mention.end
    pieces.append(text[pos:])
    return _SPACES_RE.sub(" ", "".join(pieces)).strip(), mentions


# A lone digit after 千/萬/億 that no smaller unit follows: 1萬5 (but not 1萬2千 or 1萬5,000).
_AMBIGUOUS_RE = lazy_compile(r"(?<![0-9,.])[0-9][0-9,]*[千仟萬万億亿][0-9](?![0-9,.千仟百佰十拾])")
_QUANTITY_RE = lazy_compile(rf"[0-9]+[{_COUNTERS}]")


def ambiguous_amount(text: str) -> str | None:
    """An amount in free text that parse_amount refuses as ambiguous (1萬5: 15,000 or 10,005?)."""
    if _AMOUNT_MARKS.isdisjoint(text):
        return None
    found = _AMBIGUOUS_RE.search(text.translate(_HALF))
    return found.group() if found else None


def is_quantity(text: str) -> bool:
    """A count of things (10份, 5台), not a word of a task description."""
    return bool(text) and text[0].isdigit() and bool(_QUANTITY_RE.fullmatch(text.translate(_HALF)))


def parse_amount_range(text: str) -> tuple[int | None, int | None] | None:
    """The money band a table row states, as inclusive (min, max); None for an open side.

    以下/以內 and 以上 include the amount; 逾/超過 and 未滿/不足 exclude it. Returns None when
    the text states no band (an amount without a qualifier, or no amount at all).
    """
    half = text.translate(_HALF)
    mentions = find_amounts(text)
    low: int | None = None
    high: int | None = None
    stated = False
    for i, mention in enumerate(mentions):
        before = half[: mention.start].rstrip()
        after = half[mention.end :].lstrip()
        value = mention.value
        if before.endswith(_UPPER_EXCLUSIVE):
            high, stated = _tighter(high, value - 1, min), True
        elif before.endswith(_LOWER_EXCLUSIVE):
            low, stated = _tighter(low, value + 1, max), True
        elif before.endswith(_LOWER_INCLUSIVE_BEFORE):
            low, stated = _tighter(low, value, max), True
        if after.startswith(_UPPER_INCLUSIVE_AFTER):
            high, stated = _tighter(high, value, min), True
        elif after.startswith("以上"):
            low, stated = _tighter(low, value, max), True
        elif i + 1 < len(mentions):
            following = mentions[i + 1]
            if half[mention.end : following.start].strip() in _RANGE_JOINERS:
                # 10萬元至50萬元: both ends included unless a qualifier says otherwise.
                if not before.endswith(_LOWER_EXCLUSIVE + _UPPER_EXCLUSIVE):
                    low = _tighter(low, value, max)
                if not half[following.end :].lstrip().startswith(("以上", "以下", "以內", "以内")):
                    high = _tighter(high, following.value, min)
                stated = True
    if not stated or (low is not None and high is not None and low > high):
        return None
    return low, high


def _tighter(current: int | None, new: int, pick: Callable[[int, int], int]) -> int:
    return new if current is None else pick(current, new)


def parse_threshold_clause(text: str) -> tuple[int, str] | None:
    """A waiver note 「1萬5,000元以下免會政風室」 as (15000, "免會政風室"); None if none.

    Spaces are dropped first: the source wraps lines inside the note (「1萬5,000 元以下免 會政風室」).
    """
    compact = _SPACES_RE.sub("", text)
    for mention in find_amounts(compact):
        rest = compact[mention.end :]
        if rest.startswith("以下"):
            clause = rest[2:].strip("，,、：:；;。. ")
            return mention.value, clause
    return None


def format_amount(n: int) -> str:
    """How a clerk reads an amount: 300000 → "300,000 元（30萬）"."""
    plain = f"{n:,} 元"
    if n < 10_000:
        return plain
    yi, rest = divmod(n, 10**8)
    wan, units = divmod(rest, 10**4)
    parts = []
    if yi:
        parts.append(f"{yi:,}億")
    if wan:
        parts.append(f"{wan:,}萬")
    if 0 < units < 10:
        return plain  # 15萬1 would read as 15萬1千 to many; parse_amount refuses it too
    if units:
        parts.append(f"{units:,}")
    return f"{plain}（{''.join(parts)}）"
