"""Issue 9, S6/S7/R11: what reaches a terminal, a JSON Lines reader or a spreadsheet is inert."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from approval_cli.output.jsonout import json_line, write_json
from approval_cli.output.render import CSV_BOM, csv_cell
from approval_cli.text.safetext import neutralise, neutralise_deep
from editing import entry, write_catalogue


def test_control_characters_are_shown_not_sent():
    # ESC, CR, DEL, a C1 CSI, NEL and a right-to-left override each become their escape text;
    # tab and newline are layout and stay.
    assert neutralise("\x1b[31mX") == "\\x1b[31mX"
    assert neutralise("a\rb\x7fc\x9bd\x85e") == "a\\x0db\\x7fc\\x9bd\\x85e"
    assert neutralise("abc\u202edef\u2028") == "abc\\u202edef\\u2028"
    assert neutralise("採購\t30萬\n") == "採購\t30萬\n"
    nested = neutralise_deep({"a": ["\x1b", ("\x07",)], "n": 3})
    assert nested == {"a": ["\\x1b", ("\\x07",)], "n": 3}


def test_json_escapes_the_characters_that_break_lines():
    text = "甲\u2028乙\u2029丙\x85丁"
    line = json_line({"input": text})
    # One physical line for every line-splitting reader, the same text once parsed.
    assert line.splitlines() == [line] and "\u2028" not in line and "\x85" not in line
    assert "\\u2028" in line and "\\u2029" in line and "\\u0085" in line
    assert json.loads(line) == {"input": text}
    out = io.StringIO()
    write_json({"input": text}, out)
    assert "\u2029" not in out.getvalue() and json.loads(out.getvalue())["input"] == text


# What a spreadsheet skips before reading a formula, and the full-width equals sign.
PREFIXES = [" ", "\u3000", "\u00a0", "\u200b", "\ufeff", "\n", "\t ", "  \u3000"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_csv_guard_sees_through_blanks_before_a_formula(prefix):
    cell = csv_cell(prefix + "=HYPERLINK(\"http://x\")")
    assert cell.startswith("'")


@pytest.mark.parametrize("value", ["＝1+1", "＋1", "－1", "＠SUM(A1)", "=1", "+1", "-1", "@x"])
def test_csv_guard_formula_signs_ascii_and_full_width(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["採購管理", "a=b", "30萬", "（=）"])
def test_csv_guard_leaves_ordinary_text(value):
    assert csv_cell(value) == value
    assert csv_cell(153) == 153


def test_exported_csv_cells_with_hidden_formula_prefixes(tmp_path):
    ids = ["GA-001", "GA-002", "GA-003", "GA-004", "GA-005", "GA-006", "GA-007"]
    starts = [" =1+1", "\u3000=1+1", "\u00a0=1+1", "\u200b=1+1", "\ufeff=1+1", "\n=1+1", "＝1+1"]

    def plant(data):
        for entry_id, start in zip(ids, starts, strict=True):
            entry(data, entry_id)["content"] = start

    path = write_catalogue(tmp_path / "formulas.json", plant)
    result = subprocess.run(
        [sys.executable, "-m", "approval_cli", "--catalogue", str(path), "export", "--format", "csv"],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode("utf-8")
    assert text.startswith(CSV_BOM)
    rows = {row[0]: row for row in csv.reader(io.StringIO(text[1:]))}
    for entry_id in ids:
        assert rows[entry_id][4].startswith("'"), (entry_id, rows[entry_id][4])


@pytest.mark.parametrize("special", ["\x85", "\x9f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_printable_text_skips_the_search_and_no_special_character_is_printable(special):
    """jsonout._escaped returns a printable text as it is (isprintable, twice as fast as the
    search): right only because every character it escapes is unprintable."""
    from approval_cli.output.jsonout import _escaped

    assert not special.isprintable()
    assert _escaped(f"採購{special}30萬") == f"採購\\u{ord(special):04x}30萬"
    assert _escaped("採購\u200b30萬") == "採購\u200b30萬"  # unprintable but not one of them: unchanged
