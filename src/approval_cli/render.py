"""Human output with rich, and the JSON / CSV / YAML writers.

rich is imported only inside the human-output functions, so `--json` runs never load it.
Output stays readable at 80 columns and, when piped, carries no colour codes (rich's own
terminal detection).
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable

from .roles import role_display

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


def chain_grid(chain: list[dict]):
    """The chain one step a line, the deciding step highlighted: readable at 80 columns."""
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
            grid.add_row(str(number), f"[bold reverse] {role} [/]", "[bold]核定（決行）[/]")
        else:
            grid.add_row(str(number), role, step["action"])
    return grid


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def table_name(table: str) -> str:
    return table if table == "機關共同乙" else f"{table}表"


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
    grid.add_row("流程", chain_grid(result["chain"]))
    final = result["final_approver"]
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
    if result["alternatives"]:
        console.print("其他也可能適用的列：")
        for alt in result["alternatives"]:
            console.print(f"  ・{_escape(_one_line(alt))}")
    console.print(f"[dim]{_escape(_source_line(result['source']))}[/]")
    if explain:
        print_explain(console, result)


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
        console.print(f"{result['unit']}的這項事務依金額分級，請加上金額（例如 --amount 30萬）。各級距：")
        for alt in result["alternatives"]:
            console.print(f"  ・{_escape(_one_line(alt))}")
        return
    if reason == "amount_outside_bands":
        console.print(f"金額不在{result['unit']}這項事務的任何級距內：")
        for alt in result["alternatives"]:
            console.print(f"  ・{_escape(_one_line(alt))}")
        return
    console.print(f"[bold]{result['unit']}的分層負責明細表沒有符合「{_escape(result['query'])}」的項目。[/]")
    if result["references"]:
        console.print("其他單位有類似項目（屬於那些單位，不能直接套用到本單位）：")
        for ref in result["references"]:
            console.print(f"  ・{_escape(_one_line(ref))}")
    console.print("[dim]請洽單位主管或人事室確認；或用 approval find 查看所有單位。[/]")


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
    console.print("\n".join(lines))


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
        text = entry["content"] + (f"／{entry['business']}" if entry["business"] else "")
        final = (
            style(role_display(entry["final_approver"]), "bold")
            if entry["final_approver"]
            else style("原表未標示", "red")
        )
        warn = style("　⚠ 原表有疑義", "yellow") if any(e["flags"] for e in group) else ""
        where = f"{entry['unit']}（{entry['id']}）"
        if len(group) > 1:
            where = (
                f"{len(group)} 個單位，決行相同："
                + "、".join(f"{e['unit']}（{e['id']}）" for e in group)
                + "\n    "
            )
        lines.append(f"{number:>2}．{where}{text}")
        lines.append(
            f"    決行：{final}　{table_name(entry['table'])}　分數 {entry['score']}"
            f"{fit_note[entry.get('amount_fit')]}{warn}"
        )
        if explain:
            lines.append(f"    相符字詞：{'、'.join(entry['matched']) or '（無）'}")
    lines.append(style("看完整流程：approval show 編號；依單位判定：approval route --unit 單位 事項", "dim"))
    out.write("\n".join(lines) + "\n")


def _same_rows(matches: list[dict]) -> list[list[dict]]:
    """Adjacent matches with the same task and decider in different units (a 機關共同乙 item repeated
    per unit) are shown as one entry; the JSON keeps every row."""
    groups: list[list[dict]] = []
    for entry in matches:
        # What the list shows; chains differ by unit (a 室 has 主任, not 股長) and route shows them.
        key = (entry["table"], entry["content"], entry["business"], entry["final_approver"],
               entry["score"], entry.get("amount_fit"))  # fmt: skip
        if groups and groups[-1][0]["_same"] == key:
            groups[-1].append(entry)
        else:
            groups.append([{**entry, "_same": key}])
    return groups


def print_list(result: dict) -> None:
    from rich.table import Table

    console = _console()
    what = []
    if result["unit"]:
        what.append(result["unit"])
    if result["table"]:
        what.append(f"{result['table']}表")
    if result["approver"]:
        what.append(f"由{role_display(result['approver'])}決行")
    table = Table(title=f"{'、'.join(what) or '全部'}：{len(result['entries'])} 項", show_lines=False)
    table.add_column("編號", no_wrap=True)
    table.add_column("單位", no_wrap=True)
    table.add_column("表別", no_wrap=True)
    table.add_column("事項", overflow="fold", ratio=1)
    table.add_column("決行", no_wrap=True)
    for entry in result["entries"]:
        text = entry["content"] + (f"／{entry['business']}" if entry["business"] else "")
        final = role_display(entry["final_approver"]) if entry["final_approver"] else "[red]未標示[/]"
        if entry["flags"]:
            final += " [yellow]⚠[/]"
        table.add_row(entry["id"], entry["unit"], entry["table"], _escape(text), final)
    console.print(table)
    flagged = [entry for entry in result["entries"] if entry["warnings"]]
    if flagged:
        console.print("[yellow]⚠ 原表有疑義的列：[/]")
        for entry in flagged:
            messages = "；".join(warning["message"] for warning in entry["warnings"])
            console.print(f"  {entry['id']}：{_escape(messages)}")


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
    grid.add_row("流程", chain_grid(entry["chain"]))
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
    console = _console()
    console.print(Panel(grid, title=_escape(entry_heading(entry)), title_align="left"))
    console.print(f"[dim]{_escape(_source_line(source))}[/]")


def print_lint(report: dict) -> None:
    console = _console()
    console.print(f"[bold]需要查對原表的列：{len(report['flagged'])} 列[/]")
    for item in report["flagged"]:
        console.print(
            f"・{item['id']}（{item['unit']}，原表第 {item['source_line']} 行）{_escape(item['content'])}"
        )
        for warning in item["warnings"]:
            console.print(f"    {SEVERITY_LABEL.get(warning['severity'], '⚠')} {_escape(warning['message'])}")
    console.print(f"\n[bold]機關共同乙項目在各單位間的差異：{len(report['differences'])} 項[/]")
    for diff in report["differences"]:
        console.print(f"・{_escape(diff['item'])}：{_escape(diff['content'])}")
        for unit in diff["units"]:
            final = role_display(unit["final_approver"]) if unit["final_approver"] else "未標示核定者"
            console.print(f"    {unit['unit']}（{unit['id']}）：決行 {final}，流程 {unit['chain_length']} 關")


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
    from .safetext import neutralise

    text = neutralise(value)
    if value[:1] in ("\t", "\r") or value.lstrip(_CSV_SKIPPED).startswith(_CSV_FORMULA):
        return "'" + text
    return text


def csv_text(entries: list[dict]) -> str:
    """The catalogue as CSV, one row per entry (the caller writes CSV_BOM first)."""
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


def print_triage(record) -> None:
    """One compact block per directive: where it came from, who, by when, what, and who decides."""
    from .triage import UNITS as ALL_UNITS

    console = _console()
    meeting = record.meeting
    head = "、".join(
        part for part in (meeting.name, meeting.date_roc and f"{meeting.date_roc}（{meeting.date}）") if part
    )
    console.print(f"[bold]{_escape(head or '會議紀錄')}[/]")
    people = "；".join(
        f"{label}：{value}" for label, value in (("主席", meeting.chair), ("紀錄", meeting.recorder)) if value
    )
    if people:
        console.print(_escape(people))
    for warning in record.warnings:
        console.print(f"[yellow]⚠ {_escape(warning)}[/]")
    directives = record.directives
    console.print(f"\n交辦事項 {len(directives)} 項（另有備查 {sum(i.kind == 'noted' for i in record.items)} 項、"
                  f"列管異動 {len(record.tracking)} 筆）")  # fmt: skip
    for item in directives:
        units = "、".join(item.units) or "（未指明單位）"
        if set(item.units) >= set(ALL_UNITS):
            units = f"各組室（{len(item.units)} 個單位）"
        outside = "、".join(u.full_name or u.name for u in item.unknown_units)
        line = f"\n[bold]{_escape(item.section)}[/]　{_escape(units)}"
        if outside:
            line += f"　表外：{_escape(outside)}"
        if item.people:
            line += "　" + "、".join(
                f"{p.name}" + (f"（{p.role}）" if p.role and p.role != p.title else "") for p in item.people
            )
        if item.deadline:
            when = item.deadline.date or ("定期" if item.deadline.recurring else "")
            line += f"　期限：{_escape(item.deadline.text)}" + (f"（{when}）" if when else "")
        console.print(line)
        console.print(f"  {_escape(item.task or item.text)}")
        for match in item.matches:
            final = role_display(match["final_approver"]) if match["final_approver"] else "原表未標示核定者"
            text = match.get("business") or match["content"]
            console.print(f"  → {match['unit']}（{match['id']}）{_escape(text)}：決行 {final}")
            for warning in match.get("warnings", []):
                console.print(
                    f"    [yellow]{SEVERITY_LABEL.get(warning['severity'], '⚠')} {_escape(warning['message'])}[/]"
                )
        if item.match_note:
            console.print(f"  [dim]{_escape(item.match_note)}[/]")
    if record.tracking:
        console.print(
            "\n列管案號：" + "；".join(f"{t.case} {t.action_text or t.action}" for t in record.tracking)
        )
