"""clean_text for display and fold for matching.

Expected values follow DOMAIN.md (「台北市」 vs the table's 「臺北市」, 「姊妹市」 vs 「姐妹市」,
遴定/選定, 分辦/分辨, 外賓/貴賓, Simplified 「采购」) and the Unicode rules (NFKC).
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))  # a plain checkout works too

from approval_cli.text import normalize  # noqa: E402
from approval_cli.text.normalize import (  # noqa: E402
    FOLD_VARIANTS,
    build_fold_map,
    clean_text,
    fold,
)

FAST = settings(max_examples=200, deadline=None)


# ------------------------------------------------------------------------------ clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("質詢案 件", "質詢案件"),  # line wrap inside a word
        ("1萬5,000 元以下免 會政風室", "1萬5,000元以下免會政風室"),  # wrap between number and unit
        ("總務組 會計室 政風室", "總務組會計室政風室"),  # DOMAIN.md: same three units either way
        ("hello   world", "hello world"),  # Latin words keep one space
        ("PDF 檔", "PDF 檔"),  # Latin next to CJK keeps its space
        ("  採購  ", "採購"),
        ("３０萬", "30萬"),  # NFKC: full-width digits
        ("ＮＴ＄６００", "NT$600"),  # NFKC: full-width letters and $
        ("１５０，０００", "150,000"),  # a full-width comma between digits is a thousands separator
        ("涉及重大或爭議事項，向上陳核", "涉及重大或爭議事項，向上陳核"),  # Chinese comma stays
        ("秘書、視察、專員。", "秘書、視察、專員。"),  # 、 and 。 are not compatibility forms
        ("a\tb\nc", "a b c"),  # tabs and newlines are spaces
        ("採\x00購", "採購"),  # NUL removed
        ("採\u200b購", "採購"),  # zero-width space removed
        ("\ufeff採購", "採購"),  # BOM removed
        ("採購\x85", "採購"),  # C1 NEL is a line break: a space, then stripped
        ("\u3000採購\u3000", "採購"),  # ideographic space
        ("", ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@FAST
@given(st.text())
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


@FAST
@given(st.text())
def test_clean_text_has_no_controls_or_edge_spaces(text):
    once = clean_text(text)
    # No control, format (zero-width, BOM, bidi) or lone surrogate characters survive.
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in once)
    assert once == once.strip()
    assert "  " not in once


# ----------------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("采购", "採購"),  # Simplified pasted from elsewhere
        ("台北市", "臺北市"),  # 台/臺
        ("姊妹市", "姐妹市"),  # the table writes 姐妹市
        ("３０萬", "30萬"),  # full-width
        ("遴定", "選定"),  # the source spells the same task both ways
        ("外賓", "貴賓"),
        ("贵宾", "外賓"),  # the variant holds for Simplified input too
        ("分辨", "分辦"),
        ("随着", "隨著"),
        ("採購, 電腦。", "採購電腦"),  # punctuation and spaces are not part of the key
        ("NT$ABC", "nt$abc"),  # ASCII case
        ("（單位）", "(單位)"),
    ],
)
def test_fold_equal(a, b):
    assert fold(a) == fold(b)


def test_fold_keeps_vocabulary_differences():
    # 硬盘 vs 硬碟 is a different word, not a script difference; 报废 vs 報廢 is script only.
    assert fold("硬盘报废")[2:] == fold("硬碟報廢")[2:]
    assert fold("硬盘") != fold("硬碟")


@pytest.mark.parametrize("a, b", [("採購", "總務"), ("30萬", "50萬"), ("會計室", "政風室")])
def test_fold_keeps_different_words_apart(a, b):
    assert fold(a) != fold(b)


def test_fold_with_map_and_without_opencc():
    fold_map = build_fold_map("採購臺北市萬")
    assert fold_map["採"] == "采" and fold_map["購"] == "购" and fold_map["萬"] == "万"
    assert "北" not in fold_map  # unchanged characters are left out
    assert fold("採購", fold_map, convert_unknown=False) == fold("采购", fold_map, convert_unknown=False)
    # 臺→台 is a listed variant, so it folds even without OpenCC.
    assert fold("台北市", None, convert_unknown=False) == fold("臺北市", None, convert_unknown=False)


def test_build_fold_map_accepts_strings_and_chars():
    assert build_fold_map(["採", "購"]) == build_fold_map(["採購"])


def test_folded_variants_match_opencc():
    # The hand-written Simplified copy of FOLD_VARIANTS must be what t2s makes of it.
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    expected = {t2s(k): t2s(v) for k, v in FOLD_VARIANTS.items() if t2s(k) != t2s(v)}
    assert expected == normalize._FOLDED_VARIANTS


def test_importing_does_not_load_opencc():
    # Most runs fold with the catalogue's precomputed map; they must not pay OpenCC's import.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import approval_cli.text.amounts, approval_cli.text.normalize as n;"
        "n.clean_text('採購 30萬'); n.fold('臺北市 採購', {'購': '购', '採': '采'}, convert_unknown=False);"
        "approval_cli.text.amounts.parse_amount('30萬');"
        "print('opencc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(SRC)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_known_simplified_chars_skip_opencc(monkeypatch):
    # A character that is a value of the fold map is already folded: no conversion needed.
    monkeypatch.setattr(normalize, "_converter", False)  # as if OpenCC were unavailable
    monkeypatch.setattr(normalize, "_T2S_CACHE", {})
    assert fold("采購", {"購": "购"}) == "采购"


# Characters of the table, Simplified counterparts, ASCII and punctuation: no OpenCC surprises.
TABLE_ALPHABET = (
    "採購管理簽擬辦小額案件金額新臺幣萬元以下逾總務組會計室政風室文書國際事務機要市民服務媒體"
    "人事議員索取資料質詢協調硬碟報廢姐妹市遴定選定分辦辨外賓貴賓核定陳股長處秘書視察專員"
    "采购签拟办额台币万总务会计风书际机体议员质询协调报废贵宾选处长"
    "abcXYZ0123456789 ,.、，。（）「」()３０ＡＢ\t"
)


@FAST
@given(st.text(alphabet=TABLE_ALPHABET, max_size=30))
def test_fold_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@FAST
@given(st.text())
def test_fold_never_raises(text):
    key = fold(text)
    assert not any(ch.isspace() for ch in key)


def test_terminal_escape_sequences_are_removed_whole():
    # (the space between 採購 and 30 goes too: clean_text removes CJK-digit gaps)
    assert clean_text("採購\x1b[31m 30萬\x1b[0m") == "採購30萬"


@given(st.text(max_size=40))
def test_the_translate_tables_drop_exactly_what_their_rules_say(text):
    """_key_chars and _drop_invisible run str.translate with tables that decide each character
    once (for speed); the rules, written out per character, must give the same text."""
    kept = "".join(
        ch
        for ch in text
        if ch not in normalize._EXTRA_DROP
        and not unicodedata.category(ch).startswith(("P", "Z"))
        and not ch.isspace()
    )
    assert normalize._key_chars(text) == kept
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cs"))
    assert text.translate(normalize._INVISIBLE) == visible


@FAST
@given(st.one_of(st.text(), st.text(alphabet=TABLE_ALPHABET + "\u3000\u200b\x1b[m，；：！？１２,", max_size=40)))
def test_a_key_skips_tidying_only_what_it_drops(text):
    """fold builds the key from _key_source, not clean_text: the spaces and punctuation that
    clean_text tidies are all dropped from a key, so both give the same key."""
    def key(source: str) -> str:
        return normalize._key_chars(source.translate(normalize._ASCII_LOWER))

    assert key(normalize._key_source(text)) == key(clean_text(text))
    assert normalize._ascii_lower(text) == text.translate(normalize._ASCII_LOWER)
