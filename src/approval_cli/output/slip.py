"""A routing slip (簽核流程) to paste into the 公文系統: `route --format slip` and `--format markdown`.

Takes the route result dict (core.route, with status) and returns text. The plain slip is at
most 60 cells wide, uses no box-drawing characters and nothing outside Big5 (a web textarea of
the 公文系統 may be Big5), so it pastes as it reads. No rich: this is plain text.
"""

from __future__ import annotations

from approval_cli.catalogue.roles import role_display
from approval_cli.output.render import table_name, task_text
from approval_cli.text.wrap import cells, wrap

SLIP_WIDTH = 60


def _basis(result: dict) -> list[tuple[str, str]]:
    """依據 (the table, which 表, the row) and 生效 (effective date and the approving document)."""
    source = result.get("source") or {}
    match = result.get("match") or {}
    table = match.get("table")
    label = "甲表" if table == "甲" else "乙表"
    reference = (source.get("references") or {}).get(label, "")
    date = source.get("effective_date_roc") or ""
    if date.count(".") == 2:
        year, month, day = date.split(".")
        date = f"民國{year}年{month}月{day}日"
    where = "，".join(
        part for part in (table and table_name(table), match.get("source_line") and f"原表第{match['source_line']}行")
        if part
    )
    fields = [("依據", f"{source.get('title') or '分層負責明細表'}" + (f"（{where}）" if where else ""))]
    if date or reference:
        fields.append(("生效", date + (f"（{label} {reference}）" if reference else "")))
    return fields


def slip_fields(result: dict) -> list[tuple[str, str]]:
    """(label, text) lines of the slip, in order; shared by the plain and the Markdown form."""
    match = result.get("match")
    fields: list[tuple[str, str]] = []
    if match is None:
        return fields
    task = task_text(match)
    fields.append(("事項", f"{task}（{match['item']}）"))
    amount = result.get("amount_parsed")
    if amount:
        fields.append(("金額", amount["display"]))
    if result.get("status") == "choose_one":
        # The table splits the task and the words did not say which part: no one chain to paste.
        fields.append(("決行", "依情形而定（原表分成以下幾種情形）"))
        for choice in result.get("choices") or []:
            final = role_display(choice["final_approver"]) if choice["final_approver"] else "原表未標示"
            rule = f"；備考：{choice['rule']}" if choice.get("rule") else ""
            fields.append(
                ("情形", f"{choice['deciding_words']} → 決行 {final}（{choice['id']}，原表第{choice['source_line']}行{rule}）")
            )
        fields.append(("說明", "請在描述中寫明是哪一種情形（例如加上分辨的字詞），再產生簽核流程。"))
        fields.extend(_basis(result))
        return fields
    chain = result.get("chain") or []
    drafts = [role_display(step["role"]) for step in chain if step["action"] == "擬辦"]
    reviews = [role_display(step["role"]) for step in chain if step["action"] not in ("擬辦", "核定")]
    fields.append(("擬辦", "、".join(drafts) or "（原表未標示）"))
    fields.append(("陳核", " → ".join(reviews) or "（無）"))
    final = result.get("final_approver")
    fields.append(("決行", role_display(final) if final else "原表此列未標示核定者，請查原表，勿逕行決行"))
    fields.append(("會辦", "、".join(result.get("cosign_required") or []) or "（無）"))
    for waived in result.get("cosign_waived") or []:
        fields.append(("免會", f"{waived['unit']}：{waived['reason']}"))
    for conditional in result.get("cosign_conditional") or []:
        fields.append(("視情況會辦", f"{conditional['unit']}：{conditional['condition']}"))
    for condition in result.get("conditions_applied") or []:
        if condition["kind"] != "waiver":  # a waiver is already its 免會 line
            fields.append(("條件", condition["outcome"]))
    for warning in result.get("warnings") or []:
        fields.append(("注意", warning["message"]))
    fields.extend(_basis(result))
    return fields


def _heading(result: dict) -> str:
    match = result.get("match")
    if match is None:
        return f"簽核流程　{result.get('unit') or ''}"
    return f"簽核流程　{match['unit']}　{table_name(match['table'])}　{match['id']}"


def _refusal(result: dict) -> str:
    from approval_cli.answers.core import unanswered
    from approval_cli.output.render import whom_to_ask

    message, hint = unanswered(result)
    if result.get("status") == "no_row_in_unit":  # other units' rows are no slip: say whom to ask
        hint = whom_to_ask(result.get("unit")).rstrip("；") + "。"
    return f"無法產生簽核流程：{message}" + (hint or "")


def render_slip(result: dict, width: int = SLIP_WIDTH) -> str:
    """Plain text, one field a line, wrapped under its label; at most `width` cells a line."""
    lines = wrap(_heading(result), width, "  ")
    fields = slip_fields(result)
    if not fields:
        lines.extend(wrap(_refusal(result), width, "  "))
        return "\n".join(lines) + "\n"
    for label, text in fields:
        head = f"{label}："
        lines.extend(wrap(head + text, width, " " * cells(head)))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell or list item."""
    for char in ("\\", "|", "*", "_", "`", "[", "]", "<", ">"):
        text = text.replace(char, "\\" + char)
    return text


def render_markdown(result: dict) -> str:
    """The slip as Markdown: the chain as a table, the rest as a list."""
    out = [f"### {_md(_heading(result))}", ""]
    fields = slip_fields(result)
    if not fields:
        out.append(_md(_refusal(result)))
        return "\n".join(out) + "\n"
    chain = [] if result.get("status") == "choose_one" else result.get("chain") or []
    if chain:
        out += ["| 步驟 | 職稱 | 動作 |", "| --- | --- | --- |"]
    for number, step in enumerate(chain, start=1):
        role = _md(role_display(step["role"]))
        if step["action"] == "核定":
            out.append(f"| {number} | **{role}** | **核定（決行）** |")
        else:
            out.append(f"| {number} | {role} | {step['action']} |")
    if chain:
        out.append("")
    for label, text in fields:
        if label in ("擬辦", "陳核"):  # the table shows them
            continue
        out.append(f"- **{label}**：{_md(text)}")
    return "\n".join(out) + "\n"
