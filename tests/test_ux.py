"""Issue 11: the frictions a clerk met in the trial — options, messages, layout, batch, slip."""

from __future__ import annotations

from pathlib import Path

import pytest

from approval_cli.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED_MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"


def call(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


# ---------------------------------------------------------------- options and usage messages


@pytest.mark.parametrize(
    "args",
    [
        ("find", "採購", "--debug"),
        ("route", "--unit", "文書組", "--amount", "30萬", "--debug"),
        ("list", "--unit", "文書組", "--debug"),
        ("batch", "-", "--debug"),
        ("units", "--debug"),
        ("show", "DOC-056", "--debug"),
        ("export", "--format", "json", "--debug"),
        ("lint", "--debug"),
        ("triage", str(SEED_MINUTES), "--debug"),
    ],
)
def test_debug_is_accepted_after_every_command(capsys, monkeypatch, args):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _, err = call(capsys, *args)
    assert code == 0, err
    from approval_cli.cli import state

    assert state.debug is True


def test_debug_after_the_command_shows_the_traceback(monkeypatch):
    import approval_cli.core as core

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(core, "units_summary", broken)
    with pytest.raises(RuntimeError, match="boom"):
        main(["units", "--debug"])


def test_version(capsys):
    from approval_cli import __version__

    code, out, _ = call(capsys, "--version")
    assert code == 0 and out.strip() == f"approval {__version__}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("show",), "缺少參數「ID」"),
        (("route", "--bogus"), "沒有「--bogus」這個選項"),
        (("find", "--limit", "x", "採購"), "「--limit」的值不正確：「x」不是整數"),
        (("find", "--limit", "0", "採購"), "0 不在允許的範圍（1～200）內"),
        (("list", "--unit"), "選項「--unit」後面要接一個值"),
        (("rout",), "沒有「rout」這個指令"),
        (("units", "extra"), "多了參數：extra"),
    ],
)
def test_usage_errors_are_in_traditional_chinese(capsys, args, expected):
    code, _, err = call(capsys, *args)
    assert code == 2
    assert expected in err
    for english in ("Missing", "No such", "Invalid value", "requires", "Got unexpected", "Try '"):
        assert english not in err


def test_mistyped_option_and_command_suggest_the_right_one(capsys):
    assert "--unit" in call(capsys, "route", "--uni", "文書組")[2]
    assert "route" in call(capsys, "rout")[2]


@pytest.mark.parametrize("columns", ["60", "80", "120"])
def test_help_never_cuts_its_own_text(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    for command in ("find", "route", "list", "batch", "show", "export", "lint", "triage", "units"):
        code, out, _ = call(capsys, command, "--help")
        assert code == 0 and "…" not in out, (command, columns)
    code, out, _ = call(capsys, "find", "--help")
    assert "NT$300,000" in out.replace("│", "").replace(" ", "").replace("\n", "")


def test_top_level_help_explains_the_terms(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = call(capsys, "--help")
    assert code == 0
    for term in ("甲表", "乙表", "機關共同乙", "第二層", "待查", "表頭未列職稱", "⚠", "ⓘ", "--version"):
        assert term in out, term


def test_readme_explains_the_terms_where_the_clerk_meets_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 用語與標記") : readme.index("### 結束代碼")]
    for term in ("甲表", "乙表", "機關共同乙", "第二層", "待查", "表頭未列職稱", "⚠", "ⓘ", "--debug", "--version"):
        assert term in section, term


# ---------------------------------------------------------------- show: ids as people type them


@pytest.mark.parametrize(
    "typed",
    ["DOC-056", "doc-56", "DOC56", "DOC 56", "ＤＯＣ－５６", "doc_056", "L153", "l153", "153", "第153行",
     "第 153 行", "原表第153行"],
)  # fmt: skip
def test_show_accepts_what_a_person_types(capsys, typed):
    # Line 153 of the dump is 文書組's 採購金額逾新臺幣15萬元、50萬元以下案件, numbered DOC-056.
    import json

    code, out, err = call(capsys, "show", *typed.split(" ") if " " in typed and "第" not in typed else [typed],
                          "--json")  # fmt: skip
    assert code == 0, err
    entry = json.loads(out)
    assert entry["id"] == "DOC-056" and entry["source_line"] == 153


def test_show_still_refuses_what_is_not_an_id(capsys):
    code, _, err = call(capsys, "show", "DOC-999")
    assert code == 2 and "找不到編號" in err


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("unit", "ask", "never"),
    [
        ("人事室", "請洽人事室主任確認", "或人事室"),
        ("政風室", "請洽政風室主任或人事室", "單位主管或人事室"),
        ("機要組", "請洽機要組組長或人事室", "單位主管或人事室"),
    ],
)
def test_refusal_says_whom_to_ask_for_each_unit(capsys, unit, ask, never):
    # 硬碟報廢 is 文書組's row (line 137); no other unit has it.
    code, out, _ = call(capsys, "route", "--unit", unit, "硬碟報廢")
    assert code == 1
    text = out.replace("\n", "")
    assert ask in text and never not in text


# ---------------------------------------------------------------- a row without 核定 is not an answer


def test_route_of_a_row_without_a_decider_is_not_an_answer(capsys):
    # Lines 149/150 of the dump, 文書組 議會案件: 擬辦 then four V, and no 核定 in any column.
    import json

    code, out, _ = call(capsys, "route", "--unit", "文書組", "議會案件", "--json")
    data = json.loads(out)
    assert data["match"]["source_line"] in (149, 150)
    assert data["final_approver"] is None
    assert data["answered"] is False and data["status"] == "no_final_approver"
    assert code == 4
    assert call(capsys, "route", "--unit", "文書組", "議會案件")[0] == 4


def test_route_answer_and_refusal_carry_their_status(capsys):
    import json

    code, out, _ = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--json")
    assert code == 0 and json.loads(out)["answered"] is True and json.loads(out)["status"] == "answered"
    code, out, _ = call(capsys, "route", "--unit", "機要組", "採購", "30萬", "--json")
    assert code == 1 and json.loads(out)["status"] == "no_row_in_unit" and json.loads(out)["answered"] is False


def test_batch_line_without_a_decider_has_its_own_exit(capsys, monkeypatch, tmp_path):
    import json

    source = tmp_path / "tasks.txt"
    source.write_text("文書組\t採購 30萬\n文書組\t議會案件\n", encoding="utf-8")
    code, out, _ = call(capsys, "batch", str(source))
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["answered"] is True and first["exit"] == 0
    assert second["answered"] is False and second["status"] == "no_final_approver" and second["exit"] == 4
    assert "核定" in second["error"]
    assert code == 4
