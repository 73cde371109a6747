"""Text clean-up for display and the folded key the matcher compares.

clean_text keeps what a clerk should see; fold turns text into a matching key on which
Traditional and Simplified script, full-width and half-width forms, 台/臺 and the spelling
variants the table itself uses all agree. OpenCC is imported only when a character actually
needs it: most lookups fold with the catalogue's precomputed map and never pay its import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from approval_cli.text.lazyre import lazy_compile

__all__ = [
    "FOLD_VARIANTS",
    "build_fold_map",
    "clean_text",
    "fold",
]

# Spelling variants that OpenCC t2s does not unify, in the table's or the clerk's spelling.
# Phrases win over single characters (longest match first). The source spells the same task
# 遴定/選定, 分辦/分辨 and 外賓/貴賓 in different units; clerks type 姊妹市 for the table's
# 姐妹市. 臺→台 is also what t2s does, listed so that folding without OpenCC still unifies it.
# 裡/裏 need no entry: t2s folds both to 里.
FOLD_VARIANTS: dict[str, str] = {
    "遴定": "選定",
    "貴賓": "外賓",
    "分辨": "分辦",
    "姊": "姐",
    "臺": "台",
    "着": "著",  # Simplified text writes 隨着 where the table writes 隨著; t2s keeps both
    "提贈": "題贈",  # 機要組 writes both for the same 題詞 task
    "回覆": "回復",  # both spellings are current; the table writes 回復 / 核復
    "答覆": "答復",
}

# FOLD_VARIANTS after t2s, applied again after character folding so that Simplified input
# (贵宾, 分辨 pasted from elsewhere) meets the same replacement. A test keeps it in step.
_FOLDED_VARIANTS: dict[str, str] = {
    "遴定": "选定",
    "贵宾": "外宾",
    "分辨": "分办",
    "提赠": "题赠",
    "姊": "姐",
    "着": "著",
}

# Chinese sentence punctuation stays full-width for display; NFKC would make ，→, and ：→:.
_KEEP_FULLWIDTH = "，；：！？"
_KEEP_SPLIT_RE = lazy_compile(f"([{_KEEP_FULLWIDTH}])")
_THOUSANDS_COMMA_RE = lazy_compile(r"(?<=[0-9])，(?=[0-9]{3}(?![0-9]))")
_C0C1_SPACE_RE = lazy_compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_C0C1_DROP_RE = lazy_compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_WHITESPACE_RE = lazy_compile(r"\s+")

# Han ideographs, CJK punctuation, kana/bopomofo and full-width/compatibility forms, as
# code-point ranges: a regex class holding the astral Han planes costs ~20 ms to compile.
_CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x3100, 0x312F),
    (0x3190, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)

_ASCII_DIGITS = frozenset("0123456789")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Punctuation the key drops on top of every Unicode P*/Z* character.
_EXTRA_DROP = frozenset("、，。；：「」『』()（）,.;:!?！？\"'-–—/／")


def _variant_re(table: Mapping[str, str]) -> re.Pattern[str]:
    return lazy_compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))


_VARIANT_RE = _variant_re(FOLD_VARIANTS)
_FOLDED_VARIANT_RE = _variant_re(_FOLDED_VARIANTS)
# A text holding none of a table's first characters holds none of its variants: no pattern is
# run on it (most texts; a big catalogue folds 150,000 of them).
_VARIANT_FIRST = frozenset(key[0] for key in FOLD_VARIANTS)
_FOLDED_VARIANT_FIRST = frozenset(key[0] for key in _FOLDED_VARIANTS)


def _unify_variants(key: str) -> str:
    if _VARIANT_FIRST.isdisjoint(key):
        return key
    return _VARIANT_RE.sub(lambda m: FOLD_VARIANTS[m.group()], key)


def _unify_folded_variants(key: str) -> str:
    if _FOLDED_VARIANT_FIRST.isdisjoint(key):
        return key
    return _FOLDED_VARIANT_RE.sub(lambda m: _FOLDED_VARIANTS[m.group()], key)

# Per-character t2s results, shared by build_fold_map and fold.
_T2S_CACHE: dict[str, str] = {}
_converter = None  # None: not loaded yet; False: OpenCC is unavailable


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF
    )


def _t2s():  # -> opencc.OpenCC | False, kept untyped so typing need not be imported
    """The OpenCC t2s converter, loaded on first use (the import costs about 50 ms)."""
    global _converter
    if _converter is None:
        try:
            import opencc

            _converter = opencc.OpenCC("t2s")
        except Exception:  # a missing or broken OpenCC must not break a lookup
            _converter = False
    return _converter


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(low <= cp <= high for low, high in _CJK_RANGES)


def _drop_cjk_gaps(text: str) -> str:
    """Drop the single spaces a PDF line wrap left inside a word.

    The wrap splits words (質詢案 件) and numbers from their unit (1萬5,000 元); spaces between
    Latin words, or between Latin and CJK, are meaningful and stay.
    """
    if " " not in text:
        return text
    pieces = text.split(" ")
    out = [pieces[0]]
    for piece in pieces[1:]:
        left, right = out[-1][-1], piece[0]
        left_cjk, right_cjk = _is_cjk(left), _is_cjk(right)
        if (left_cjk and (right_cjk or right in _ASCII_DIGITS)) or (right_cjk and left in _ASCII_DIGITS):
            out[-1] += piece
        else:
            out.append(piece)
    return " ".join(out)


# Terminal colour/cursor sequences in pasted text (ESC [ 31 m): removed whole, not just their ESC.
_ANSI_RE = lazy_compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _drop_invisible(text: str) -> str:
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    text = _C0C1_SPACE_RE.sub(" ", text)
    text = _C0C1_DROP_RE.sub("", text)
    if text.isascii():
        return text
    # Zero-width spaces, BOMs, bidi marks (Cf) and lone surrogates (Cs) from pasted text.
    return text.translate(_INVISIBLE)


class _DropTable(dict):
    """A str.translate table that drops the characters `dropped(ch)` says to, deciding each
    character once, so that translate runs in C (a 50,000-row catalogue folds 150,000 texts)."""

    def __init__(self, dropped: Callable[[str], bool]) -> None:
        super().__init__()
        self.dropped = dropped

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        kept = None if self.dropped(ch) else ch
        if code <= 0xFFFF:  # remembered for the Basic Multilingual Plane only: a bounded table
            self[code] = kept
        return kept


# Zero-width spaces, BOMs, bidi marks (Cf) and lone surrogates (Cs).
_INVISIBLE = _DropTable(lambda ch: unicodedata.category(ch) in ("Cf", "Cs"))


def clean_text(text: str) -> str:
    """Text for display and storage: NFKC, no control characters, single spaces.

    Full-width digits and letters become half-width; Chinese sentence punctuation (，；：！？)
    stays full-width, except a ， between digits, which is a thousands separator. A space
    between two CJK characters, or between a digit and a CJK character, is removed.
    """
    if (
        text.isprintable()
        and (not text or text.split() == [text])  # no whitespace at all (str.isspace), in C
        and unicodedata.is_normalized("NFKC", text)
    ):
        return text  # nothing to clean (a unit name, a one-word query): no pattern compiled
    text = _drop_invisible(text)
    parts = _KEEP_SPLIT_RE.split(text)
    text = "".join(
        part if len(part) == 1 and part in _KEEP_FULLWIDTH else unicodedata.normalize("NFKC", part)
        for part in parts
    )
    text = _THOUSANDS_COMMA_RE.sub(",", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return _drop_cjk_gaps(text)


def build_fold_map(chars: Iterable[str]) -> dict[str, str]:
    """Each character's t2s fold, for the characters whose fold differs.

    Build it once from the catalogue's characters and pass it to fold(); OpenCC is imported
    here, so a missing OpenCC raises ImportError at build time rather than degrading silently.
    """
    import opencc

    global _converter
    if not _converter:
        _converter = opencc.OpenCC("t2s")
    fold_map: dict[str, str] = {}
    for item in chars:
        for ch in item:
            folded = _T2S_CACHE.get(ch)
            if folded is None:
                folded = _converter.convert(ch)
                _T2S_CACHE[ch] = folded
            if folded != ch:
                fold_map[ch] = folded
    return fold_map


# What a matching key leaves out: punctuation, separators, spaces.
_KEY_CHARS = _DropTable(
    lambda ch: ch in _EXTRA_DROP or unicodedata.category(ch).startswith(("P", "Z")) or ch.isspace()
)


def _key_chars(text: str) -> str:
    return text.translate(_KEY_CHARS)


_ASCII_UPPER_RE = lazy_compile("[A-Z]")


def _ascii_lower(text: str) -> str:
    """ASCII letters lower-cased, nothing else (str.lower would change Greek, Cyrillic…); the
    translate runs only when there is one (most catalogue texts have none: 8× faster to ask)."""
    return text.translate(_ASCII_LOWER) if _ASCII_UPPER_RE.search(text) else text


def _key_source(text: str) -> str:
    """What a matching key needs of clean_text: no invisible characters, NFKC. The spaces and
    punctuation clean_text tidies (thousands commas, full-width ，；：, gaps between CJK) are all
    dropped from the key, so they are not tidied first: a third of a 50,000-row catalogue's
    texts hold full-width punctuation, and their clean_text was a tenth of its first lookup.
    tests/test_normalize.py checks the key is the one clean_text would give."""
    if not text.isprintable():  # control, format (zero-width, bidi) or surrogate characters
        text = _drop_invisible(text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


_VALUES_OF: list = [None, frozenset()]  # the last fold map seen and the set of its values


def _folded_values(mapping: Mapping[str, str]) -> frozenset[str]:
    """The characters a fold map folds to, for the last map asked about (a process folds with one
    catalogue's map): a text with a character the map lacks rebuilt this set of ~900 every time
    (1.5 % of a batch line). Keyed by identity: a catalogue's map is not changed once loaded."""
    if _VALUES_OF[0] is not mapping:
        _VALUES_OF[:] = [mapping, frozenset(mapping.values())]
    return _VALUES_OF[1]


def fold(text: str, fold_map: Mapping[str, str] | None = None, *, convert_unknown: bool = True) -> str:
    """The matching key: cleaned, lower-case ASCII, variants unified, t2s-folded, no spaces or punctuation.

    Characters in fold_map use it. A Han character outside it is folded with OpenCC only when
    convert_unknown is True and it is not already known to be unchanged by t2s (a value of
    fold_map, or cached from an earlier lookup).
    """
    key = _unify_variants(_key_chars(_ascii_lower(_key_source(text))))
    mapping: Mapping[str, str] = fold_map or {}
    if mapping and set(key) <= mapping.keys():
        # Every character has its fold in the map (always so for the catalogue's own text): in C.
        return _unify_folded_variants("".join(map(mapping.__getitem__, key)))
    known_simplified: frozenset[str] | None = None
    out: list[str] = []
    for ch in key:
        folded = mapping.get(ch)
        if folded is None and convert_unknown:
            folded = _T2S_CACHE.get(ch)
        if folded is None:
            folded = ch
            if convert_unknown and _is_han(ch):
                if known_simplified is None:
                    known_simplified = _folded_values(mapping)
                if ch not in known_simplified:
                    converter = _t2s()
                    if converter:
                        folded = converter.convert(ch)
                        _T2S_CACHE[ch] = folded
        out.append(folded)
    return _unify_folded_variants("".join(out))
