"""The command line: through Typer's CliRunner, and through the installed `approval` entry point."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from approval_cli.cli import app, complete_unit
from conftest import call

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def entry_point() -> list[str]:
    found = Path(sys.executable).parent / "approval"
    if found.exists():
        return [str(found)]
    on_path = shutil.which("approval")
    return [on_path] if on_path else [sys.executable, "-m", "approval_cli"]


def run(*args: str, stdin: str | None = None, env: dict | None = None, cwd: Path | None = None):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [*entry_point(), *args], input=stdin, capture_output=True, text=True, env=environment,
        cwd=cwd, timeout=60,
    )  # fmt: skip


# ---------------------------------------------------------------- CliRunner


def test_route_json_contract_via_clirunner():
    result = runner.invoke(app, ["route", "--unit", "文書組", "--amount", "300000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("query", "unit", "amount", "match", "cosign_required", "cosign_waived",
                "conditions_applied", "alternatives", "references"):  # fmt: skip
        assert key in data
    for key in ("id", "unit", "table", "item", "content", "business", "chain", "final_approver", "cosign",
                "notes", "amount_range", "conditions", "flags", "source_line"):  # fmt: skip
        assert key in data["match"]
    assert data["match"]["id"] == "DOC-056" and data["final_approver"] == "副處長"


def test_human_route_shows_chain_decider_alias_and_source():
    result = runner.invoke(app, ["route", "--unit", "文書組", "--amount", "30萬"])
    assert result.exit_code == 0
    text = result.stdout
    assert "副處長（副秘書長）" in text and "核定" in text
    assert "總務組、會計室、政風室" in text
    assert "112.9.21" in text and "府人管字第11201393822號" in text
    assert "\x1b[" not in text  # not a terminal: no colour codes
    from rich.cells import cell_len

    assert max(cell_len(line) for line in text.splitlines()) <= 80  # 80 terminal cells, CJK counted double


def test_find_list_units_show_export_lint_run():
    assert runner.invoke(app, ["find", "議員", "索取資料", "--limit", "3"]).exit_code == 0
    assert runner.invoke(app, ["list", "--unit", "人事室", "--approver", "秘書長"]).exit_code == 0
    units = json.loads(runner.invoke(app, ["units", "--json"]).stdout)
    assert sum(u["total"] for u in units) == 272
    shown = json.loads(runner.invoke(app, ["show", "L153", "--json"]).stdout)
    assert shown["id"] == "DOC-056" and "\t" in shown["raw"]
    assert "原表原文" in runner.invoke(app, ["show", "doc-056"]).stdout


def test_explain_says_why():
    result = runner.invoke(app, ["route", "--unit", "文書組", "採購", "1萬5,000元", "--explain"])
    assert result.exit_code == 0
    assert "為什麼是這一列" in result.stdout and "15,000 元" in result.stdout
    assert "免會政風室" in result.stdout


def test_help_is_in_traditional_chinese():
    text = runner.invoke(app, ["--help"]).stdout
    assert "分層負責明細表" in text
    for command in ("find", "route", "list", "batch", "units", "show", "export", "lint", "triage"):
        assert command in text


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [c.name for c in app.registered_commands]
    assert commands
    for name in commands:
        assert f"approval {name}" in readme, name


def test_unit_completion():
    assert complete_unit("文") == ["文書組"]
    assert set(complete_unit("")) >= {"總務組", "政風室"}


# ---------------------------------------------------------------- exit codes and errors, in-process


@pytest.mark.parametrize("amount", ["-5", "abc", "1e400", "0", "30萬萬", ""])
def test_bad_amounts_exit_2_with_a_message(capsys, amount):
    code, _, err = call(capsys, "route", "--unit", "文書組", "--amount", amount)
    assert code == 2
    assert err.startswith("approval：") and "Traceback" not in err


def test_unknown_unit_suggests_names(capsys):
    code, _, err = call(capsys, "route", "--unit", "文書處", "--amount", "1000")
    assert code == 2 and "文書組" in err


@pytest.mark.parametrize(
    "args", [("find",), ("find", "   "), ("route", "--unit", "文書組"), ("show", "XYZ-999")]
)
def test_empty_or_unknown_input_exits_2(capsys, args):
    code, _, err = call(capsys, *args)
    assert code == 2 and err and "Traceback" not in err


def test_no_match_exits_1(capsys):
    code, out, _ = call(capsys, "route", "--unit", "機要組", "採購", "30萬", "--json")
    assert code == 1
    assert json.loads(out)["match"] is None


def test_needs_amount_prints_the_bands_and_exits_2(capsys):
    code, out, err = call(capsys, "route", "--unit", "文書組", "採購")
    assert code == 2 and "--amount" in err
    assert "15萬元以下" in out


def test_usage_error_exits_2(capsys):
    code, _, err = call(capsys, "route", "--nonsense")
    assert code == 2 and "用法錯誤" in err


def test_lint_strict(capsys):
    code, out, _ = call(capsys, "lint", "--json")
    assert code == 0
    report = json.loads(out)
    flagged = {item["source_line"] for item in report["flagged"]}
    assert {149, 150, 14, 82, 7, 12, 233} <= flagged  # read off the source (see test_parse.py)
    # 議會案件 differs between units: 文書組's two rows have no 核定, the others end at 處長.
    council = [d for d in report["differences"] if d["item"] == "議會案件"]
    assert council and "final_approver" in council[0]["differs_in"]
    assert call(capsys, "lint", "--strict")[0] == 1


# ---------------------------------------------------------------- the catalogue file


def test_export_round_trips_through_catalogue(tmp_path, capsys):
    for fmt in ("yaml", "json"):
        target = tmp_path / f"copy.{fmt}"
        assert call(capsys, "export", "--format", fmt, "-o", str(target))[0] == 0
        code, out, _ = call(capsys, "--catalogue", str(target), "export", "--format", fmt)
        assert code == 0 and out == target.read_text(encoding="utf-8")
    builtin = (ROOT / "data" / "tables.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "copy.yaml").read_text(encoding="utf-8") == builtin


def test_export_csv_has_a_bom_and_every_row(capsys):
    code, out, _ = call(capsys, "export", "--format", "csv")
    assert code == 0 and out.startswith("\ufeff編號,")
    assert len(out.strip().splitlines()) == 273


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "找不到目錄檔"),
        (b"\xff\xfe\x00garbage", "不是 UTF-8"),
        (b"", "是空的"),
        (b"metadata: [unclosed", "YAML 格式錯誤"),
        (b'{"metadata": 1', "JSON 格式錯誤"),
        (b"- just\n- a list\n", "缺少 metadata"),
    ],
)
def test_broken_catalogue_files(tmp_path, capsys, content, expected):
    path = tmp_path / ("broken.json" if content and content.startswith(b"{") else "broken.yaml")
    if content is not None:
        path.write_bytes(content)
    code, _, err = call(capsys, "--catalogue", str(path), "find", "採購")
    assert code == 2 and expected in err and str(path) in err and "Traceback" not in err


def test_schema_violation_names_entry_and_field(tmp_path, capsys):
    data = json.loads(call(capsys, "export", "--format", "json")[1])
    data["entries"][5]["approver"] = "處長"  # an unknown field
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, _, err = call(capsys, "--catalogue", str(path), "units")
    assert code == 2
    assert "第 6 筆條目" in err and "GA-006" in err and "原表第 12 行" in err and "approver" in err


# ---------------------------------------------------------------- the installed entry point


def test_entry_point_json_contract_and_exit_codes(tmp_path):
    ok = run("route", "--unit", "文書組", "--amount", "300000", "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["match"]["source_line"] == 153 and data["cosign_required"] == ["總務組", "會計室", "政風室"]
    none = run("route", "--unit", "機要組", "採購", "30萬", "--json", cwd=tmp_path)
    assert none.returncode == 1 and json.loads(none.stdout)["match"] is None
    bad = run("route", "--unit", "文書組", "--amount", "-5", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.strip()


def test_entry_point_uses_environment_catalogue(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    result = run("units", env={"APPROVAL_CATALOGUE": str(missing)}, cwd=tmp_path)
    assert result.returncode == 2 and str(missing) in result.stderr


def test_entry_point_export_from_another_directory(tmp_path):
    result = run("export", "--format", "json", cwd=tmp_path)
    entries = json.loads(result.stdout)["entries"]
    assert len(entries) == 272 and len({e["source_line"] for e in entries}) == 272


def test_module_invocation_works():
    result = subprocess.run([sys.executable, "-m", "approval_cli", "units", "--json"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and json.loads(result.stdout)


def test_piped_human_output_has_no_colour(tmp_path):
    result = run("find", "採購", cwd=tmp_path)
    assert result.returncode == 0 and "\x1b[" not in result.stdout


def test_long_query_and_control_characters_answered_or_refused_fast(tmp_path):
    started = time.perf_counter()
    long = run("find", "採購" * 15000, cwd=tmp_path)
    control = run("find", "採購\x07\x1b 30萬", cwd=tmp_path)
    assert long.returncode == 2 and "太長" in long.stderr
    assert control.returncode == 0
    assert time.perf_counter() - started < 30  # seconds, not minutes; speed itself is in scripts/bench.py


# ---------------------------------------------------------------- batch


def test_batch_keeps_every_line_in_order(tmp_path):
    lines = [
        "文書組\t採購 30萬",
        "文書組\t",  # a unit and no task
        "資訊局\t採購 30萬",  # unknown unit
        "硬碟報廢",  # no unit, one unit owns it
        "議員索取資料",  # no unit, every unit has it: ask for one
        "機要組\t採購 30萬",  # no row in that unit
        "文書組\t" + "採購" * 50000,  # a 100,000-character line
        "文書組\t採購",  # needs an amount
    ]
    source = tmp_path / "tasks.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("batch", str(source), cwd=tmp_path)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == list(range(1, len(lines) + 1))
    assert out[0]["match"]["source_line"] == 153 and "error" not in out[0]
    assert "error" in out[1] and out[1]["exit"] == 2
    assert "找不到單位" in out[2]["error"]
    assert out[3]["match"]["source_line"] == 137
    assert "多個單位" in out[4]["error"]
    assert out[5]["match"] is None and out[5]["exit"] == 1 and out[5]["references"]
    assert "太長" in out[6]["error"]
    assert "金額" in out[7]["error"]
    assert result.returncode == 2  # some lines were bad input


def test_batch_from_stdin_with_default_unit_and_bad_bytes(tmp_path):
    data = "採購 30萬\n硬碟報廢\n".encode() + b"\xff\xfe bad\n" + "退文改分\n".encode()
    result = subprocess.run([*entry_point(), "batch", "-", "--unit", "文書"], input=data, capture_output=True,
                            timeout=60)  # fmt: skip
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert out[0]["unit"] == "文書組" and out[0]["match"]["source_line"] == 153
    assert out[2]["error"] == "這一行不是 UTF-8 文字。"
    assert out[3]["match"]["source_line"] == 157


def test_batch_missing_file_exits_2(tmp_path):
    result = run("batch", str(tmp_path / "none.txt"), cwd=tmp_path)
    assert result.returncode == 2 and "無法開啟" in result.stderr


def test_no_traceback_anywhere_in_stderr_for_odd_input(tmp_path):
    for args in (
        ["find", "\x01"],
        ["list", "--table", "丙"],
        ["show", ""],
        ["--catalogue", str(tmp_path), "units"],
    ):
        result = run(*args, cwd=tmp_path)
        assert "Traceback" not in result.stderr, args
        assert re.match(r"approval：", result.stderr), (args, result.stderr)


# ---------------------------------------------------------------- triage

SEED_MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"


def test_triage_seed_json(capsys):
    code, out, _ = call(capsys, "triage", str(SEED_MINUTES), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["meeting"]["date"] == "2022-01-20"  # 民國111年1月20日
    items = {item["section"]: item for item in record["items"]}
    line = items["參、三、(三)"]  # 請文書組於一月底前將本處群組由Line移轉至TAIPEION即時通
    assert line["units"] == ["文書組"] and line["deadline"]["date"] == "2022-01-31"
    # Issue 8 names this a clear case: moving the office's LINE groups to TAIPEION, the City's own
    # app, carries out 本府資訊政策 — 文書組's 「配合本府資訊政策，執行本處資訊業務事項」 (DOC-042, line 133).
    assert line["matches"][0]["id"] == "DOC-042" and line["matches"][0]["source_line"] == 133
    cars = items["參、二、(三)"]  # 公務車輛(含駕駛)統一調派 … 統計資料, for 總務組
    assert cars["matches"][0]["id"] == "GA-031"  # 公務車輛統一調派督導事項
    assert {t["action"] for t in record["tracking"]} == {"解除列管", "賡續列管"}


def test_triage_human_and_csv(capsys):
    code, out, _ = call(capsys, "triage", str(SEED_MINUTES))
    assert code == 0 and "第108次處務會議" in out and "一月底前（2022-01-31）" in out
    code, out, _ = call(capsys, "triage", str(SEED_MINUTES), "--format", "csv")
    assert code == 0 and out.startswith("\ufeff段落,類別,單位")


def test_triage_junk_input(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, out, _ = call(capsys, "triage", str(empty), "--json")
    assert code == 1 and json.loads(out)["items"] == []
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    code, _, err = call(capsys, "triage", str(binary))
    assert code == 2 and "Traceback" not in err
    big = tmp_path / "big.txt"
    big.write_bytes(("會議結論：請文書組辦理。\n" * 250_000).encode())  # about 5 MB
    started = time.perf_counter()
    code, _, err = call(capsys, "triage", str(big))
    assert code == 2 and err and time.perf_counter() - started < 10
    code, _, err = call(capsys, "triage", str(tmp_path / "missing.txt"))
    assert code == 2 and "無法開啟" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_find_list_is_styled_only_on_a_terminal(store, monkeypatch):
    from approval_cli.answers.core import find
    from approval_cli.output.render import print_find

    result = find(store, "硬碟報廢", limit=1)
    terminal = _Terminal()
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    print_find(result, stream=terminal)
    assert "\x1b[1m專門委員\x1b[0m" in terminal.getvalue()  # line 137: 核定 by 專門委員, in bold
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    print_find(result, stream=plain)
    assert "\x1b[" not in plain.getvalue() and "決行：專門委員" in plain.getvalue()


def test_list_shows_the_warnings_of_flagged_rows(capsys):
    # Line 14 (GA-008): 核定 at col 4 then V at col 6 — decided by 承辦人員 as written, flagged.
    code, out, _ = call(capsys, "list", "--approver", "承辦人員")
    assert code == 0 and "GA-008" in out and "⚠" in out and "擬辦" in out


def test_find_groups_the_same_row_across_units_and_marks_the_band(capsys):
    # 採購 30萬: the 逾15萬元、50萬元以下 band repeats in eight units (all but 機要組), each decided
    # by 副處長; the list shows it once, naming the units, and says the amount is in that band.
    code, out, _ = call(capsys, "find", "採購", "30萬", "-n", "8")
    assert code == 0
    assert "8 個單位，決行相同" in out and "金額在此級距內" in out and "副處長（副秘書長）" in out


@pytest.mark.parametrize("name", sorted(c.name for c in app.registered_commands if c.name))
def test_a_command_named_first_runs_alone_with_the_same_help(name):
    """main() builds only the command a run names first (typer builds every command's
    parameters otherwise); its help is what the whole app shows for it."""
    from approval_cli.cli import _app_for

    narrowed = _app_for([name, "--help"])
    assert [c.name for c in narrowed.registered_commands] == [name]
    alone = runner.invoke(narrowed, [name, "--help"], prog_name="approval", terminal_width=100)
    whole = runner.invoke(app, [name, "--help"], prog_name="approval", terminal_width=100)
    assert alone.exit_code == whole.exit_code == 0
    assert alone.output == whole.output


@pytest.mark.parametrize("args", [[], ["--help"], ["--catalogue", "x.yaml", "find", "採購"], ["rout", "文書組"]])
def test_global_options_first_or_no_known_command_get_the_whole_app(args):
    from approval_cli.cli import _app_for

    assert _app_for(args) is app


def test_batch_problems_are_said_in_the_clerks_words(capsys, tmp_path):
    """Clerk trial: a missing file said 「No such file or directory」 (the system's English); --amount
    was answered 「您是不是要打：--unit？」; a line with no unit and no row was labelled 「本單位無此項目」."""
    code, _, err = call(capsys, "batch", str(tmp_path / "沒有這個檔案.txt"))
    assert code == 2 and "找不到這個檔案" in err and "No such file" not in err
    lines = tmp_path / "lines.txt"
    lines.write_text("採購 30萬\n", encoding="utf-8")
    code, _, err = call(capsys, "batch", str(lines), "--amount", "30萬")
    assert code == 2 and "金額寫在每一行的描述裡" in err
    lines.write_text("星際旅行簽證\n", encoding="utf-8")
    code, out, _ = call(capsys, "batch", str(lines), "--format", "csv")
    assert code == 1 and "表內無此項目" in out and "本單位無此項目" not in out
