"""Issue 11: the frictions a clerk met in the trial — options, messages, layout, batch, slip."""

from __future__ import annotations

from pathlib import Path

import pytest

from approval_cli.cli import main
from conftest import call

ROOT = Path(__file__).resolve().parents[1]
SEED_MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"


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
    import approval_cli.answers.core as core

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


@pytest.mark.parametrize("command", [(), ("route",), ("triage",)])
def test_help_chrome_is_in_traditional_chinese(capsys, monkeypatch, command):
    """typer's own labels (Options, [env var: …], Show this message and exit.) used to be English."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = call(capsys, *command, "--help")
    assert code == 0
    assert "選項" in out and "顯示本說明後結束" in out
    assert "用法 Usage: approval" in out  # clerk trial: the first line read 「Usage:」 alone
    for english in ("─ Options ", "─ Arguments ", "─ Commands ", "Show this message", "[env var", "[default"):
        assert english not in out, english


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


# ---------------------------------------------------------------- wrapping at the terminal width

ID = r"\b[A-Z]+-\d{3}\b"
LINE_START_PUNCTUATION = tuple("、，。；：）」』】")


def _cell_len(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


def test_wrap_keeps_ids_whole_and_punctuation_off_the_line_start():
    from approval_cli.text.wrap import wrap

    text = " 1．5 個單位，決行相同：總務組（GA-047）、文書組（DOC-056）、媒體事務組（MEDIA-012）、政風室（ETH-004）"
    for width in (24, 30, 40, 60):
        lines = wrap(text, width, "    ")
        assert all(_cell_len(line) <= width for line in lines), (width, lines)
        assert all(line.startswith("    ") for line in lines[1:])
        assert not any(line.strip().startswith(LINE_START_PUNCTUATION) for line in lines)
        joined = "\n".join(lines)
        for entry_id in ("GA-047", "DOC-056", "MEDIA-012", "ETH-004"):
            assert entry_id in joined, (width, joined)
        # Nothing lost: the lines put back together are the text.
        assert "".join(line.removeprefix("    ") if n else line for n, line in enumerate(lines)) == text


def test_wrap_keeps_the_answers_words_whole():
    """Clerk trial at 60 columns: 「…教育訓練：決｜行 組長」, 「副秘書｜長」, 「同意備｜查」. Fields, actions,
    tables and roles are never split, at any width."""
    from approval_cli.text.wrap import wrap

    text = "  → 文書組（DOC-059）本處不派員參加他機關辦理之教育訓練：決行 副處長（副秘書長），乙表同意備查"
    for width in range(24, 72):
        joined = "\n".join(wrap(text, width, "    "))
        for word in ("決行", "副處長", "副秘書長", "乙表", "同意備查"):
            assert word in joined, (width, joined)


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_find_wraps_itself_at_the_terminal_width(capsys, monkeypatch, columns):
    import json
    import re

    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = call(capsys, "find", "採購", "30萬", "-n", "10")
    assert code == 0
    lines = out.splitlines()
    assert all(_cell_len(line) <= columns for line in lines), max(lines, key=_cell_len)
    ids = {m["id"] for m in json.loads(call(capsys, "find", "採購", "30萬", "-n", "10", "--json")[1])["matches"]}
    assert ids and ids == set(re.findall(ID, out))  # every id whole, none split across lines
    # Continuation lines are indented; nothing starts at column 0 but the heading and the footer.
    flush = [line for line in lines if line and not line.startswith(" ")]
    assert flush[0].startswith("「採購 30萬」")
    assert flush[1:] == ["看完整流程：approval show 編號", "依單位判定：approval route --unit 單位 事項"]
    assert not any(line.strip().startswith(LINE_START_PUNCTUATION) for line in lines)


def test_lint_keeps_the_label_with_its_message_and_hangs_the_rest(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = call(capsys, "lint")
    assert code == 0
    lines = out.splitlines()
    assert all(_cell_len(line) <= 60 for line in lines)
    labels = [line for line in lines if "⚠ 注意" in line or "ⓘ 說明" in line]
    assert labels and all(len(line.split("：", 1)[1]) > 0 for line in labels)  # never alone on a line
    assert not any(line.strip() in ("⚠ 注意", "ⓘ 說明") for line in lines)
    assert not any(line.strip().startswith(LINE_START_PUNCTUATION) for line in lines)
    # A warning's continuation lines hang under its message, past the label.
    at = lines.index(labels[0])
    message_column = _cell_len(labels[0].split("：", 1)[0] + "：")
    assert lines[at + 1].startswith(" " * message_column) and lines[at + 1][message_column] != " "


def test_triage_wraps_with_hanging_indents(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = call(capsys, "triage", str(SEED_MINUTES))
    assert code == 0
    lines = out.splitlines()
    assert all(_cell_len(line) <= 60 for line in lines)
    assert not any(line.strip().startswith(LINE_START_PUNCTUATION) for line in lines)
    # Past the header, every line at column 0 is a section heading (參、…) or the reports' heading.
    body = lines[lines.index(next(line for line in lines if line.startswith("交辦事項"))) + 1 :]
    assert all(line.startswith(("參", "列管案號", "工作報告")) for line in body if line and not line.startswith(" "))


def test_route_alternatives_hang_and_a_pipe_has_no_highlight_padding(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = call(capsys, "route", "--unit", "文書組", "--amount", "30萬")
    assert code == 0
    # Line 153: 承辦人員 擬辦, V, V, V, V, 核定 by 副處長 — the sixth step, in a pipe without padding.
    assert "6 副處長（副秘書長）" in out and "6  副處長" not in out
    code, out, _ = call(capsys, "route", "--unit", "人事室", "硬碟報廢")
    lines = out.splitlines()
    assert all(_cell_len(line) <= 60 for line in lines)
    assert not any(line.strip().startswith(LINE_START_PUNCTUATION) for line in lines)
    assert all(line.startswith(("  ", "人事室", "其他單位", "請洽")) for line in lines if line)


# ---------------------------------------------------------------- list


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_list_is_readable_at_every_width(capsys, monkeypatch, columns):
    import json

    monkeypatch.setenv("COLUMNS", str(columns))
    args = ("list", "-u", "文書組", "--approver", "副秘書長")
    entries = json.loads(call(capsys, *args, "--json")[1])["entries"]
    code, out, _ = call(capsys, *args)
    assert code == 0 and entries
    lines = out.splitlines()
    assert all(_cell_len(line) <= columns for line in lines)
    assert len(lines) <= 4 * len(entries) + 12  # no row spread over ~25 blank lines
    flat = "".join(part.strip(" │┃") for part in out.replace("│", "\n").splitlines())
    for entry in entries:
        assert entry["id"] in out
        assert entry["content"] in flat, entry["content"]  # the text is there, not a one-cell column
    # One unit asked for: no 單位 column, the unit is named once, in the title.
    assert "單位" not in out and out.count("文書組") == 1
    # 會辦 shown: line 153 (DOC-056) co-signs 總務組 會計室 政風室.
    assert "總務組、會計室、政風室" in flat


def test_list_filters_by_cosigning_unit_and_words(capsys):
    import json

    def lines(*args):
        code, out, _ = call(capsys, "list", *args, "--json")
        entries = json.loads(out)["entries"]
        return code, {e["source_line"] for e in entries}, entries

    # 文書組's rows that co-sign 政風室 include 本處資訊安全相關事項 (line 142) and the three
    # procurement bands (lines 152–154, 會辦 總務組會計室政風室).
    code, found, entries = lines("-u", "文書組", "--cosign", "政風室")
    assert code == 0 and {142, 152, 153, 154} <= found
    assert all("政風室" in e["cosign"] for e in entries)
    # Words, on folded text: 採購 in 文書組 is the three bands; Simplified 采购 finds the same.
    assert lines("-u", "文書組", "採購")[1] == {152, 153, 154}
    assert lines("-u", "文書組", "采购")[1] == {152, 153, 154}
    assert lines("-u", "文書組", "--grep", "採購", "逾新臺幣50萬元")[1] == {154}
    assert call(capsys, "list", "-u", "文書組", "沒有這種事")[0] == 1


# ---------------------------------------------------------------- batch


def _batch(capsys, tmp_path, text: str, *options: str):
    source = tmp_path / "tasks.txt"
    source.write_text(text, encoding="utf-8")
    return call(capsys, "batch", str(source), *options)


def test_batch_skips_blank_and_comment_lines_but_keeps_numbering(capsys, tmp_path):
    import json

    text = "# 本週待辦\n文書組\t採購 30萬\n\n   \n＃ 全形井號也是註解\n硬碟報廢\n"
    code, out, _ = _batch(capsys, tmp_path, text)
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["line"] for a in answers] == [2, 6]
    assert answers[0]["match"]["source_line"] == 153  # 文書組 逾15萬元、50萬元以下
    assert answers[1]["match"]["source_line"] == 137  # 本處電腦硬碟報廢業務, 文書組's only
    assert code == 0


def test_batch_needs_amount_hint_says_to_write_it_in_the_line(capsys, tmp_path):
    import json

    code, out, _ = _batch(capsys, tmp_path, "文書組\t採購\n文書組\t採購 逾15萬\n")
    for answer in map(json.loads, out.splitlines()):
        assert answer["status"] == "needs_amount" and answer["exit"] == 2
        assert "--amount" not in answer["hint"] and "這一行" in answer["hint"]
    assert code == 2


def test_batch_csv_for_excel(capsys, tmp_path):
    import csv
    import io

    text = "文書組\t採購 30萬\n\n# 註解\n文書組\t議會案件\n=HYPERLINK(\"x\")\n"
    code, out, _ = _batch(capsys, tmp_path, text, "--format", "csv", "--unit", "文書組")
    assert out.startswith("\ufeff行號,")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert [row["行號"] for row in rows] == ["1", "4", "5"]  # one row per task line, numbers kept
    first, council, formula = rows
    assert first["編號"] == "DOC-056" and first["決行"] == "副處長（副秘書長）"
    assert first["會辦"] == "總務組、會計室、政風室" and first["結束代碼"] == "0"
    assert council["原表行號"] in ("149", "150") and council["決行"] == "" and council["結束代碼"] == "4"
    assert "核定" in council["說明"]
    assert formula["輸入"].startswith("'=")  # a cell that would run as a formula is quoted
    assert code == 4


# ---------------------------------------------------------------- the routing slip


def _joined(text: str) -> str:
    return "".join(line.strip() for line in text.splitlines())


def test_slip_is_plain_text_that_pastes(capsys):
    code, out, _ = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "slip")
    assert code == 0
    lines = out.splitlines()
    assert all(_cell_len(line) <= 60 for line in lines)
    assert not any("\u2500" <= char <= "\u257f" for char in out)  # no box drawing
    assert "\x1b[" not in out
    out.encode("big5")  # a Big5-only web form takes every character
    # Line 153: 擬辦 by 承辦人員, V under 股長 專員 組長 專門委員, 核定 under 副處長;
    # 會辦 總務組會計室政風室; the 乙 side's document, effective 112.9.21.
    assert "擬辦：承辦人員" in lines
    assert "陳核：股長 → 專員 → 組長 → 專門委員" in lines
    assert "決行：副處長（副秘書長）" in lines
    assert "會辦：總務組、會計室、政風室" in lines
    flat = _joined(out)
    assert "原表第153行" in flat and "民國112年9月21日" in flat and "府人管字第11201393822號" in flat


def test_slip_names_a_waiver_and_its_reason(capsys):
    # Line 152 (15萬元以下): 「1萬5,000元以下免會政風室」; 15,000 is at the threshold, so waived.
    code, out, _ = call(capsys, "route", "--unit", "文書組", "採購", "1萬5,000元", "--format", "slip")
    assert code == 0
    assert "會辦：總務組、會計室" in out.splitlines()
    assert "免會：政風室：1萬5,000元以下免會政風室" in _joined(out)


def test_slip_of_a_row_without_a_decider_says_so(capsys):
    code, out, _ = call(capsys, "route", "--unit", "文書組", "議會案件", "--format", "slip")
    assert code == 4
    assert "決行：原表此列未標示核定者" in _joined(out)


def test_markdown_slip_and_format_json(capsys):
    code, out, _ = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "markdown")
    assert code == 0
    assert "| 步驟 | 職稱 | 動作 |" in out
    assert "| 6 | **副處長（副秘書長）** | **核定（決行）** |" in out
    assert "- **會辦**：總務組、會計室、政風室" in out
    as_option = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "json")[1]
    as_flag = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--json")[1]
    assert as_option == as_flag


def test_readme_shows_the_slip_as_the_program_prints_it(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    out = call(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "slip")[1]
    assert out in readme


# ---------------------------------------------------------------- triage


def _seed_items(capsys):
    import json

    record = json.loads(call(capsys, "triage", str(SEED_MINUTES), "--json")[1])
    return {item["section"]: item for item in record["items"]}


def test_triage_tells_invited_from_assigned(capsys):
    # 文書組補充報告 (四): 「處長及副處長部分，再請秘書協助邀請加入群組」 — 秘書 acts; 處長 and
    # 副處長 are the ones to be invited.
    item = _seed_items(capsys)["參、三、文書組高組長補充報告、(四)"]
    assert [p["name"] for p in item["people"]] == ["秘書"]
    assert [p["name"] for p in item["invited"]] == ["處長", "副處長"]
    out = call(capsys, "triage", str(SEED_MINUTES))[1]
    assert "承辦：秘書（秘書、視察、專員）" in out and "邀請：處長、副處長" in out


def test_invited_as_the_object_of_an_invitation():
    from approval_cli.meetings.record import find_people, split_invited

    body = "請文書組邀請林副秘書長出席座談"
    assigned, invited = split_invited(body, find_people(body))
    assert [p.name for p in invited] == ["林副秘書長"] and assigned == []


def test_triage_keeps_a_rule_addressed_to_every_unit(capsys):
    # 政風室補充 (一): no 請, but 「…時，皆應於公文中加註「就涉及本人獎勵部分為自行迴避之意思表示」」
    # binds every unit; the titles in its parenthesis are whom it concerns, not assignees.
    item = _seed_items(capsys)["參、三、政風室劉主任補充報告、(一)"]
    assert item["kind"] == "directive" and item["rule"] is True
    assert len(item["units"]) == 9
    assert "皆應於公文中加註" in item["text"] and "擇期逐一至各組室宣導" not in item["text"]
    assert item["people"] == [] and item["invited"] == []


def test_triage_csv_one_row_per_tracking_change_and_a_note_column(capsys):
    import csv
    import io

    out = call(capsys, "triage", str(SEED_MINUTES), "--format", "csv")[1]
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    tracking = [row for row in rows if row["類別"] == "列管"]
    # 「列管案號 10606、10701、10702、10703 及 10704 同意解除列管；列管案號 9903、9904、10502 及 10705 賡續列管」
    assert [(row["列管案號"], row["列管異動"]) for row in tracking] == [
        *((case, "解除列管") for case in ("10606", "10701", "10702", "10703", "10704")),
        *((case, "賡續列管") for case in ("9903", "9904", "10502", "10705")),
    ]
    assert all(row["段落"] == "參、二、(二)" for row in tracking)
    # 建議項目 holds row ids only; the 「請人工判斷」 sentence is in 說明.
    assert not any("請人工判斷" in row["建議項目"] for row in rows)
    assert any("請人工判斷" in row["說明"] for row in rows)
    invited = next(row for row in rows if row["段落"] == "參、三、文書組高組長補充報告、(四)")
    assert invited["人員"] == "秘書（秘書、視察、專員）" and invited["邀請"] == "處長、副處長"


# ---------------------------------------------------------------- the README's two commands


def test_readme_commands_are_quiet_and_ci_still_reads_the_test_command():
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("<!-- quick-start -->", 1)[1].split("```", 2)[1]
    assert "pip install -q ." in quick  # the answer, not forty pip lines, is what a newcomer sees
    # .ci/run reads the test command between the markers with this awk program, verbatim.
    awk = r"/<!-- test-command -->/{f=1;next} /<!-- \/test-command -->/{f=0} f && !/^```/"
    command = subprocess.run(["awk", awk, str(ROOT / "README.md")], capture_output=True, text=True).stdout
    assert command.strip() == 'python3 -m venv .venv && .venv/bin/pip install -q ".[test]" && .venv/bin/pytest'
    assert awk in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_split_task_s_panel_says_whose_flow_it_shows(capsys, monkeypatch):
    """Clerk trial: for a task the table splits, the panel showed one part's flow ending in 「組長
    核定（決行）」 while 決行 said 依情形而定; a clerk skimming read 組長 as the answer. The panel now
    names the part whose flow it is, and its 核定 is that part's."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = call(capsys, "route", "--unit", "國際事務組", "來訪外賓的來賓證禮遇通關")
    assert code == 4
    assert "核定（決行）" not in out and "核定（此情形）" in out
    assert "情形     不屬「政策性」的情形（以下是這種情形的流程" in out
