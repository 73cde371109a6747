"""Human output with rich, and the JSON / CSV / YAML writers.

rich is imported only inside the human-output functions, so `--json` runs never load it.
Output stays readable at 80 columns and, when piped, carries no colour codes (rich's own
terminal detection).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable

from approval_cli.catalogue.roles import role_display

SEVERITY_LABEL = {"warning": "⚠ 注意", "notice": "ⓘ 說明"}


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def chain_text(chain: list[dict], *, markup: bool = True) -> str:
    parts = []
    for step in chain:
        role = role_display(step["role"])
        if step["action"] == "核定":
            parts.append(f"[bold reverse] {role} 核定 [/]" if markup else f"{role} 核定")
        elif step["action"] == "擬辦":
            parts.append(f"{role} 擬辦")
        else:
            parts.append(role)
    return " → ".join(parts) if parts else "（原表此列沒有流程標記）"


def chain_grid(chain: list[dict], highlight: bool = True, decides: str = "核定（決行）"):
    """The chain one step a line, the deciding step highlighted: readable at 80 columns.

    The highlight pads the role with a space each side for the reversed colours; without colour
    (a pipe, NO_COLOR) there is no highlight and no padding."""
    from rich.table import Table

    if not chain:
        return "（原表此列沒有流程標記）"
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="dim")
    grid.add_column()
    grid.add_column()
    for number, step in enumerate(chain, start=1):
        role = role_display(step["role"])
        if step["action"] == "核定":
            shown = f"[bold reverse] {role} [/]" if highlight else f"[bold]{role}[/]"
            grid.add_row(str(number), shown, f"[bold]{decides}[/]")
        else:
            grid.add_row(str(number), role, step["action"])
    return grid


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _say(console, markup: str, indent: int = 2, style: str | None = None, at_spaces: bool = False) -> None:
    """One logical line, wrapped at the console width with a hanging indent of `indent` cells:
    ids and ASCII words are never split and no line starts with 、 or ）. `at_spaces` keeps
    space-separated fields whole where it can."""
    from rich.text import Text

    from approval_cli.text.wrap import wrap_text

    text = Text.from_markup(markup, emoji=False)
    if style:
        text.stylize(style)
    for line in wrap_text(text, console.width, indent, at_spaces):
        console.print(line, soft_wrap=True)


def table_name(table: str) -> str:
    return table if table == "機關共同乙" else f"{table}表"


def task_text(entry: dict) -> str:
    """A row's 公務內容, with its 業務 after ／ when the row names one."""
    return (entry.get("content") or "") + (f"／{entry['business']}" if entry.get("business") else "")


def entry_heading(entry: dict) -> str:
    return f"{entry['unit']}｜{table_name(entry['table'])}｜{entry['id']}（原表第 {entry['source_line']} 行）"


def _entry_grid(entry: dict):
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")  # long warnings wrap; never cropped with …
    grid.add_row("公務項目", _escape(entry["item"]))
    grid.add_row("公務內容", _escape(entry["content"]))
    if entry.get("business"):
        grid.add_row("業務名稱", _escape(entry["business"]))
    return grid


def _source_line(source: dict) -> str:
    refs = "；".join(f"{kind} {ref}" for kind, ref in source.get("references", {}).items())
    return f"依據：{source.get('title')}（民國 {source.get('effective_date_roc')} 生效；{refs}）"


def print_route(result: dict, explain: bool = False) -> None:
    from rich.panel import Panel

    console = _console()
    amount = result.get("amount_parsed")
    if result["match"] is None:
        _print_no_match(console, result)
        if explain:
            print_explain(console, result)
        return
    entry = result["match"]
    grid = _entry_grid(entry)
    if amount:
        band = entry.get("amount_range")
        grid.add_row("金額", f"{amount['display']}" + (f" → 屬於 {_band_text(band)}" if band else ""))
    final = result["final_approver"]
    if result.get("status") == "choose_one":
        # The flow shown is one part's: said so, so that its 核定 is not read as the answer's 決行.
        part = next((c for c in result["choices"] if c["source_line"] == entry.get("source_line")), None)
        if part:
            grid.add_row("情形", f"{_escape(part['deciding_words'])}（以下是這種情形的流程；其他情形見下方）")
        grid.add_row("流程", chain_grid(result["chain"], console.color_system is not None, "核定（此情形）"))
    else:
        grid.add_row("流程", chain_grid(result["chain"], highlight=console.color_system is not None))
    if result.get("status") == "choose_one":
        grid.add_row("決行", "[bold]依情形而定：見下方各情形[/]")
    else:
        grid.add_row("決行", f"[bold]{role_display(final)}[/]" if final else "[bold red]原表未標示核定者[/]")
    grid.add_row("會辦", "、".join(result["cosign_required"]) or "（無）")
    for waived in result["cosign_waived"]:
        grid.add_row("免會", f"{waived['unit']}：{_escape(waived['reason'])}")
    for conditional in result["cosign_conditional"]:
        grid.add_row("視情況會辦", f"{conditional['unit']}：{_escape(conditional['condition'])}")
    for condition in result["conditions"]:
        mark = "✔ 已套用" if condition["applied"] else "・"
        grid.add_row("條件", f"{mark} {_escape(condition['outcome'])}")
    for warning in result["warnings"]:
        grid.add_row(
            SEVERITY_LABEL.get(warning["severity"], "⚠"), f"[yellow]{_escape(warning['message'])}[/]"
        )
    console.print(Panel(grid, title=_escape(entry_heading(entry)), title_align="left"))
    _print_choices(console, result)
    for related in result.get("related", []):
        console.print(
            f"相關項目：{_escape(_one_line(related))}\n"
            "  採購程序依上面的金額級距決行；這件業務本身（接待、設備租用等）依此列辦理。"
        )
    if result["alternatives"]:
        console.print("其他也可能適用的列：")
        for alt in result["alternatives"]:
            _say(console, f"  ・{_escape(_one_line(alt))}", 4)
    _print_understood(console, result)
    _say(console, _escape(_source_line(result["source"])), 2, "dim")
    if explain:
        print_explain(console, result)


def _print_choices(console, result: dict) -> None:
    """Where the table splits the task and the words did not say which part: every part."""
    choices = result.get("choices") or []
    if not choices:
        return
    console.print("[bold]原表把這件事分成幾種情形，請依實際情形選擇：[/]")
    for choice in choices:
        final = role_display(choice["final_approver"]) if choice["final_approver"] else "原表未標示核定者"
        rule = f"（備考：{choice['rule']}）" if choice.get("rule") else ""
        console.print(
            f"  ・{_escape(choice['deciding_words'])} → 決行 [bold]{final}[/]"
            f"　{choice['id']}，原表第 {choice['source_line']} 行{_escape(rule)}"
        )


def _print_understood(console, result: dict) -> None:
    """How the words were read, when the tool read more than it was told."""
    understood = result.get("understood") or {}
    notes = []
    if understood.get("unit_from") == "text":
        notes.append(f"單位依描述中的「{understood.get('unit_text')}」判定為{result.get('unit')}")
    if understood.get("other_unit_text"):
        notes.append(
            f"描述中提到「{understood['other_unit_text']}」，但指定的單位是{result.get('unit')}，"
            "依指定單位判定（要查該單位請改 --unit）"
        )
    for fix in understood.get("corrections", []):
        notes.append(f"「{fix['typed']}」讀作「{'／'.join(fix['read_as'])}」（同音字）")
    if notes:
        console.print(f"[dim]判讀：{_escape('；'.join(notes))}[/]")


def _band_text(band: dict) -> str:
    if band["min"] is None:
        return f"{band['max']:,} 元以下級距"
    if band["max"] is None:
        return f"逾 {band['min'] - 1:,} 元級距"
    return f"{band['min']:,}～{band['max']:,} 元級距"


def _one_line(entry: dict) -> str:
    text = entry["business"] or entry["content"]
    final = role_display(entry["final_approver"]) if entry["final_approver"] else "未標示核定者"
    return f"{entry['unit']}（{entry['id']}）：{text}（決行：{final}）"


def _print_no_match(console, result: dict) -> None:
    reason = result.get("reason")
    if reason == "needs_amount":
        _say(console, f"{result['unit']}的這項事務依金額分級，請加上金額（例如 --amount 30萬）。各級距：")
        for alt in result["alternatives"]:
            _say(console, f"  ・{_escape(_one_line(alt))}", 4)
        return
    if reason == "amount_outside_bands":
        _say(console, f"金額不在{result['unit']}這項事務的任何級距內：")
        for alt in result["alternatives"]:
            _say(console, f"  ・{_escape(_one_line(alt))}", 4)
        return
    _say(console, f"[bold]{result['unit']}的分層負責明細表沒有符合「{_escape(result['query'])}」的項目。[/]")
    other = (result.get("understood") or {}).get("other_unit_text")
    if other:
        _say(console, f"描述中提到「{_escape(other)}」；若是該單位的事，請改用 --unit 指定該單位。")
    if result.get("nearest"):
        _say(console, f"{result['unit']}最接近的項目（都不夠相符，請自行判斷是否適用）：")
        for near in result["nearest"]:
            _say(console, f"  ・{_escape(_one_line(near))}", 4)
    if result["references"]:
        _say(console, "其他單位有類似項目（屬於那些單位，不能直接套用到本單位）：")
        for ref in result["references"]:
            _say(console, f"  ・{_escape(_one_line(ref))}", 4)
    _say(console, f"{_escape(whom_to_ask(result.get('unit')))}或用 approval find 查看所有單位。", 2, "dim")


def whom_to_ask(unit: str | None) -> str:
    """Who can confirm what the table leaves out: the unit's head, and 人事室 (which keeps the
    table) unless the unit is 人事室 itself."""
    if not unit:
        return "請洽承辦單位主管或人事室確認；"
    head = "主任" if unit.endswith("室") else "組長"
    if unit == "人事室":
        return f"請洽人事室{head}確認（人事室即分層負責明細表的主管單位）；"
    return f"請洽{unit}{head}或人事室（分層負責明細表的主管單位）確認；"


def print_explain(console, result: dict) -> None:
    lines = ["[bold]為什麼是這一列：[/]"]
    amount = result.get("amount_parsed")
    if amount:
        origin = "查詢文字中的" if amount["from"] == "query" else "--amount 給的"
        lines.append(
            f"・金額：{origin}「{_escape(amount.get('text') or str(amount['value']))}」讀作 {amount['display']}"
        )
    else:
        lines.append("・金額：未提供")
    match = result.get("match")
    if match:
        words = "、".join(match.get("matched") or []) or "（僅依金額）"
        lines.append(f"・相符字詞：{_escape(words)}；相似分數 {match.get('score')}（滿分約 100）")
    for condition in result.get("conditions", []):
        lines.append(f"・條件「{_escape(condition['text'])}」：{_escape(condition['outcome'])}")
    runners = result.get("alternatives") or result.get("references") or []
    for other in runners[:3]:
        lines.append(f"・次佳：{_escape(_one_line(other))}，分數 {other.get('score')}")
    for line in lines:
        _say(console, line, 2)


def _ansi(stream) -> Callable[[str, str], str]:
    """Bold/yellow/dim on a terminal that wants colour (NO_COLOR and TERM=dumb respected); plain text otherwise."""
    wanted = stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    codes = {"bold": "1", "yellow": "33", "dim": "2", "red": "31"}
    return (
        (lambda text, style: f"\x1b[{codes[style]}m{text}\x1b[0m") if wanted else (lambda text, style: text)
    )


def print_find(result: dict, explain: bool = False, stream=None) -> None:
    """A numbered list, two lines a row: what it is, then who decides.

    Written without rich on purpose: find is typed dozens of times a day and its list needs no
    panels; rich costs ~30 ms to import and render, a fifth of the whole command.
    """
    out = stream or sys.stdout
    style = _ansi(out)
    if not result["matches"]:
        out.write(f"找不到符合「{result['query']}」的項目。\n")
        return
    if result.get("status") == "no_match":
        out.write(style("找不到夠相符的項目；以下是最接近的列，都不相符，僅供參考：", "bold") + "\n")
    amount = result.get("amount_parsed")
    scope = f"{result['unit']}，" if result.get("unit") else ""
    money = f"金額 {amount['display']}，" if amount else ""
    groups = _same_rows(result["matches"])
    merged = f"（各單位相同的規定合併為 {len(groups)} 項）" if len(groups) < len(result["matches"]) else ""
    lines = [f"「{result['query']}」{scope}{money}最相符的 {len(result['matches'])} 列{merged}："]
    fit_note = {
        "inside": "　金額在此級距內",
        "partial": style("　金額部分落在此級距", "dim"),
        "outside": style("　金額不在此級距", "dim"),
        None: "",
    }
    for number, group in enumerate(groups, start=1):
        entry = group[0]
        text = task_text(entry)
        scopes = [c["text"] for c in entry.get("conditions", []) if c["kind"] == "scope"]
        if scopes:  # 文書、公報業務: what tells this row from its unit's other one
            text += f"（{'、'.join(scopes)}）"
        final = (
            style(role_display(entry["final_approver"]), "bold")
            if entry["final_approver"]
            else style("原表未標示", "red")
        )
        warn = style("　⚠ 原表有疑義", "yellow") if any(e["flags"] for e in group) else ""
        where = f"{entry['unit']}（{entry['id']}）"
        if len(group) > 1:
            units = "、".join(f"{e['unit']}（{e['id']}）" for e in group)
            lines.append(f"{number:>2}．{len(group)} 個單位，決行相同：{units}")
            lines.append(f"    {text}")
        else:
            lines.append(f"{number:>2}．{where}{text}")
        lines.append(
            f"    決行：{final}　{table_name(entry['table'])}　分數 {entry['score']}"
            f"{fit_note[entry.get('amount_fit')]}{warn}"
        )
        if explain:
            lines.append(f"    相符字詞：{'、'.join(entry['matched']) or '（無）'}")
    # One command a line, so a narrow terminal does not split a command in two.
    lines.append(style("看完整流程：approval show 編號", "dim"))
    lines.append(style("依單位判定：approval route --unit 單位 事項", "dim"))
    out.write("\n".join(_wrapped(lines)) + "\n")


def _wrapped(lines: list[str], width: int | None = None) -> list[str]:
    """find's lines at the terminal width (ids never split); continuation lines indented under
    the text: four cells for a row's lines, two for the heading and the footer."""
    from approval_cli.text.wrap import terminal_width, wrap

    width = width or terminal_width()
    out: list[str] = []
    for line in lines:
        indent = "      " if line.startswith("    ") else "    " if line[:1] == " " or line[1:2] == "．" else "  "
        out.extend(wrap(line, width, indent, at_spaces="　" in line))  # fields apart by 　 kept whole
    return out


def _same_rows(matches: list[dict]) -> list[list[dict]]:
    """Adjacent matches with the same task and decider in different units (a 機關共同乙 item repeated
    per unit) are shown as one entry; the JSON keeps every row."""
    groups: list[list[dict]] = []
    for entry in matches:
        # What the list shows; chains differ by unit (a 室 has 主任, not 股長) and route shows them.
        # Scope notes (文書、公報業務 / 資訊、檔案業務) tell one unit's rows apart: part of the key.
        scopes = tuple(c["text"] for c in entry.get("conditions", []) if c["kind"] == "scope")
        key = (entry["table"], entry["content"], entry["business"], scopes, entry["final_approver"],
               entry["score"], entry.get("amount_fit"))  # fmt: skip
        units = {e["unit"] for e in groups[-1]} if groups else set()
        if groups and groups[-1][0]["_same"] == key and entry["unit"] not in units:
            groups[-1].append(entry)
        else:
            groups.append([{**entry, "_same": key}])
    return groups


# Below this width a table's 事項 column shrinks to nothing: list switches to two lines a row.
LIST_TABLE_MIN_WIDTH = 100


def print_list(result: dict) -> None:
    console = _console()
    what = []
    if result["unit"]:
        what.append(result["unit"])
    if result["table"]:
        what.append(table_name(result["table"]))
    if result["approver"]:
        what.append(f"由{role_display(result['approver'])}決行")
    if result.get("cosign"):
        what.append(f"會辦{result['cosign']}")
    if result.get("text"):
        what.append(f"含「{_escape(result['text'])}」")
    title = f"{'、'.join(what) or '全部'}：{len(result['entries'])} 項"
    one_unit = bool(result["unit"])  # the title names it: no 單位 column
    if console.width >= LIST_TABLE_MIN_WIDTH:
        _list_table(console, result["entries"], title, one_unit)
    else:
        _list_compact(console, result["entries"], title, one_unit)
    flagged = [entry for entry in result["entries"] if entry["warnings"]]
    if flagged:
        console.print("[yellow]⚠ 原表有疑義的列：[/]")
        for entry in flagged:
            messages = "；".join(warning["message"] for warning in entry["warnings"])
            _say(console, f"  {entry['id']}：{_escape(messages)}", 4)


def _list_final(entry: dict) -> str:
    final = role_display(entry["final_approver"]) if entry["final_approver"] else "[red]未標示[/]"
    return final + (" [yellow]⚠[/]" if entry["flags"] else "")


def _list_text(entry: dict) -> str:
    return _escape(task_text(entry))


def _list_table(console, entries: list[dict], title: str, one_unit: bool) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    table.add_column("編號", no_wrap=True)
    if not one_unit:
        table.add_column("單位", no_wrap=True)
    table.add_column("表別", no_wrap=True)
    table.add_column("事項", overflow="fold", ratio=3)
    table.add_column("決行", no_wrap=True)
    table.add_column("會辦", overflow="fold")
    for entry in entries:
        unit = [] if one_unit else [entry["unit"]]
        cosign = "、".join(entry["cosign"]) or "—"
        table.add_row(entry["id"], *unit, entry["table"], _list_text(entry), _list_final(entry), cosign)
    console.print(table)


def _list_compact(console, entries: list[dict], title: str, one_unit: bool) -> None:
    """Two lines a row for a narrow terminal: who decides, then what it is and who co-signs."""
    _say(console, f"[bold]{title}[/]")
    for entry in entries:
        unit = "" if one_unit else f"　{entry['unit']}"
        _say(console, f"[bold]{entry['id']}[/]{unit}　{table_name(entry['table'])}　決行：{_list_final(entry)}",
             2, at_spaces=True)  # fmt: skip
        cosign = "、".join(entry["cosign"])
        _say(console, f"  {_list_text(entry)}" + (f"　會辦：{cosign}" if cosign else ""), 2, at_spaces=True)


def print_units(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="單位與項目數")
    for name in ("單位", "甲", "乙", "機關共同乙", "合計", "待查"):
        table.add_column(name, justify="left" if name == "單位" else "right")
    for row in rows:
        table.add_row(
            row["unit"],
            *(str(row["counts"].get(k, 0)) for k in ("甲", "乙", "機關共同乙")),
            str(row["total"]),
            str(row["flagged"]),
        )
    _console().print(table)


def print_show(entry: dict, raw: str, source: dict) -> None:
    from rich.panel import Panel

    grid = _entry_grid(entry)
    console = _console()
    grid.add_row("流程", chain_grid(entry["chain"], highlight=console.color_system is not None))
    grid.add_row(
        "決行", role_display(entry["final_approver"]) if entry["final_approver"] else "[red]原表未標示[/]"
    )
    grid.add_row("會辦", "、".join(entry["cosign"]) or "（無）")
    for note in entry["notes"]:
        grid.add_row("備考", _escape(note))
    band = entry.get("amount_range")
    if band:
        grid.add_row("金額級距", _band_text(band))
    for warning in entry["warnings"]:
        grid.add_row(
            SEVERITY_LABEL.get(warning["severity"], "⚠"), f"[yellow]{_escape(warning['message'])}[/]"
        )
    grid.add_row("原表原文", _escape(" │ ".join(cell for cell in raw.split("\t") if cell.strip())))
    console.print(Panel(grid, title=_escape(entry_heading(entry)), title_align="left"))
    _say(console, _escape(_source_line(source)), 2, "dim")


def print_lint(report: dict) -> None:
    console = _console()
    _say(console, f"[bold]需要查對原表的列：{len(report['flagged'])} 列[/]")
    for item in report["flagged"]:
        _say(console, f"・{item['id']}（{item['unit']}，原表第 {item['source_line']} 行）{_escape(item['content'])}")
        for warning in item["warnings"]:
            label = SEVERITY_LABEL.get(warning["severity"], "⚠")
            # The label and its message on one line; wrapped lines hang under the message.
            _say(console, f"    {label}：{_escape(warning['message'])}", 4 + _cells(label) + 2)
    console.print()
    _say(console, f"[bold]機關共同乙項目在各單位間的差異：{len(report['differences'])} 項[/]")
    for diff in report["differences"]:
        _say(console, f"・{_escape(diff['item'])}：{_escape(diff['content'])}")
        for unit in diff["units"]:
            final = role_display(unit["final_approver"]) if unit["final_approver"] else "未標示核定者"
            _say(console, f"    {unit['unit']}（{unit['id']}）：決行 {final}，流程 {unit['chain_length']} 關", 6)


def _cells(text: str) -> int:
    from approval_cli.text.wrap import cells

    return cells(text)


CSV_BOM = "\ufeff"  # written before any CSV so Excel opens the Chinese text as UTF-8


# What a spreadsheet may skip before it reads a formula: ASCII whitespace (LF included), NBSP,
# the ideographic space, the other Unicode spaces, zero-width characters and the BOM.
_CSV_SKIPPED = " \t\r\n\x0b\x0c\u00a0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
# Formula starts, ASCII and full-width (Excel and LibreOffice accept ＝ as =).
_CSV_FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\u2212")


def csv_cell(value: object) -> object:
    """Keep spreadsheet programs from reading a text cell as a formula, and terminals from acting
    on control characters in it: a text cell starting with a formula sign, after any blanks a
    spreadsheet would skip, or with a tab or CR, gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    from approval_cli.text.safetext import neutralise

    text = neutralise(value)
    if value[:1] in ("\t", "\r") or value.lstrip(_CSV_SKIPPED).startswith(_CSV_FORMULA):
        return "'" + text
    return text


def csv_text(entries: list[dict]) -> str:
    """The catalogue as CSV, one row per entry (the caller writes CSV_BOM first)."""
    import csv  # here: only CSV output needs it, and every lookup imports this module

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "編號",
            "單位",
            "表別",
            "公務項目",
            "公務內容",
            "業務名稱",
            "流程",
            "決行",
            "會辦",
            "備考",
            "金額下限",
            "金額上限",
            "注意事項",
            "原表行號",
        ]
    )
    for e in entries:
        band = e.get("amount_range") or {}
        writer.writerow([csv_cell(value) for value in (
            e["id"], e["unit"], e["table"], e["item"], e["content"], e.get("business") or "",
            chain_text(e["chain"], markup=False), e["final_approver"] or "",
            "、".join(e["cosign"]), "；".join(e["notes"]), band.get("min") or "", band.get("max") or "",
            "、".join(e["flags"]), e["source_line"],
        )])  # fmt: skip
    return buffer.getvalue()


def _triage_people(people) -> str:
    return "、".join(f"{p.name}" + (f"（{p.role}）" if p.role and p.role != p.title else "") for p in people)


def print_triage(record) -> None:
    """One compact block per directive: where it came from, who, by when, what, and who decides."""

    console = _console()
    meeting = record.meeting
    head = "、".join(
        part for part in (meeting.name, meeting.date_roc and f"{meeting.date_roc}（{meeting.date}）") if part
    )
    _say(console, f"[bold]{_escape(head or '會議紀錄')}[/]")
    people = "；".join(
        f"{label}：{value}" for label, value in (("主席", meeting.chair), ("紀錄", meeting.recorder)) if value
    )
    if people:
        _say(console, _escape(people))
    for warning in record.warnings:
        _say(console, f"[yellow]⚠ {_escape(warning)}[/]")
    directives = record.directives
    reports = [item for item in record.items if item.kind == "report"]
    console.print()
    _say(console, f"交辦事項 {len(directives)} 項（另有工作報告 {len(reports)} 項、"
                  f"備查 {sum(i.kind == 'noted' for i in record.items)} 項、列管異動 {len(record.tracking)} 筆）")  # fmt: skip
    for item in directives:
        _print_triage_item(console, record, item)
    if reports:
        # Work a unit reports done or under way: nothing to assign, but the row it falls under
        # (who should have signed it) is what the clerk filing the minutes looks up.
        console.print()
        _say(console, f"[bold]工作報告 {len(reports)} 項[/]（各單位報告的事，不是交辦；附所屬的明細表項目供核對）")
        for item in reports:
            _print_triage_item(console, record, item)
    if record.tracking:
        console.print()
        _say(console, "列管案號：" + "；".join(f"{t.case} {t.action_text or t.action}" for t in record.tracking), 2)


def _print_triage_item(console, record, item) -> None:
    """One item of the triage: where it came from, who, by when, what, and who decides."""
    units = "、".join(item.units) or "（未指明單位）"
    if record.all_units and set(item.units) >= set(record.all_units):
        units = f"各組室（{len(item.units)} 個單位）"
    outside = "、".join(u.full_name or u.name for u in item.unknown_units)
    line = f"\n[bold]{_escape(item.section)}[/]　{_escape(units)}"
    if outside:
        line += f"　表外：{_escape(outside)}"
    if item.rule:
        line += "　全體適用的規定"
    if item.people:
        line += "　承辦：" + _triage_people(item.people)
    if getattr(item, "invited", None):
        line += "　邀請：" + _triage_people(item.invited)
    if item.deadline:
        when = item.deadline.date or ("定期" if item.deadline.recurring else "")
        line += f"　期限：{_escape(item.deadline.text)}" + (f"（{when}）" if when else "")
    console.print()
    _say(console, line.lstrip("\n"), 2, at_spaces=True)
    _say(console, f"  {_escape(item.task or item.text)}", 2)
    for match in item.matches:
        final = role_display(match["final_approver"]) if match["final_approver"] else "原表未標示核定者"
        text = match.get("business") or match["content"]
        _say(console, f"  → {match['unit']}（{match['id']}）{_escape(text)}：決行 {final}", 4)
        for warning in match.get("warnings", []):
            label = SEVERITY_LABEL.get(warning["severity"], "⚠")
            _say(console, f"    [yellow]{label}：{_escape(warning['message'])}[/]", 4 + _cells(label) + 2)
    if item.match_note:
        _say(console, f"  [dim]{_escape(item.match_note)}[/]", 2)
