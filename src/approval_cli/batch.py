"""`approval batch`: one task per line in, one JSON object per line out, in order, none dropped.

A line is `description` or `unit<TAB>description`. A line that cannot be routed still gets its
object, with an `error` field. The exit code is the worst line's: 2 some lines (or the file
itself) were bad input, else 4 some rows name no decider, else 1 some had no match, else 0.
"""

from __future__ import annotations

import sys
from typing import BinaryIO, TextIO

from .core import find, route, route_skeleton, unanswered, with_status
from .errors import EXIT_BAD_INPUT, EXIT_NO_DECIDER, EXIT_NO_MATCH, EXIT_SEVERITY, ApprovalError, UsageError
from .match import make_query
from .store import Store

MAX_LINE_CHARS = 2000


def answer_line(store: Store, text: str, default_unit: str | None) -> dict:
    """The JSON object for one input line; never raises for bad input."""
    base: dict = {"input": text}  # run_batch puts the line number first
    unit, _, description = text.partition("\t") if "\t" in text else (default_unit, "", text)
    unit = (unit or "").strip() or default_unit
    try:
        if len(text) > MAX_LINE_CHARS:
            raise UsageError(f"這一行太長（{len(text)} 字），請拆成較短的描述。")
        if not description.strip():
            raise UsageError("這一行是空的，沒有要判定的事項。")
        if not unit:
            unit = make_query(store, description).unit  # 「文書組 採購 30萬」: the unit written in the line
        result = route(store, description, unit) if unit else _route_without_unit(store, description)
    except ApprovalError as error:
        base.update({"answered": False, "status": "bad_input", "error": error.message, "hint": error.hint,
                     "exit": error.exit_code})  # fmt: skip
        return base
    base.update(with_status(result))
    if not base["answered"]:
        base["error"], base["hint"] = unanswered(result, in_batch=True)
        # As from route: an amount-banded task without a usable amount is bad input, not no match.
        base["exit"] = {
            "needs_amount": EXIT_BAD_INPUT, "no_final_approver": EXIT_NO_DECIDER, "choose_one": EXIT_NO_DECIDER
        }.get(base["status"], EXIT_NO_MATCH)  # fmt: skip
    else:
        base["exit"] = 0
    return base


def _route_without_unit(store: Store, description: str) -> dict:
    """No unit given: answer only when one unit clearly owns the task, else ask for the unit."""
    found = find(store, description, limit=5)
    matches = [m for m in found["matches"] if m["matching"]]
    if not matches:
        # Nothing in any unit fits well enough: the route answer with no unit and no match.
        return {**route_skeleton(store, make_query(store, description), None), "reason": "no_row_in_unit"}
    top = matches[0]
    rivals = [m for m in matches[1:] if m["unit"] != top["unit"] and m["score"] >= top["score"] - 2]
    if rivals:
        raise UsageError(
            f"「{found['query']}」在多個單位都有（{top['unit']}、{'、'.join(dict.fromkeys(m['unit'] for m in rivals))}），"
            "請在行首寫上單位並以 Tab 分隔。"
        )
    return route(store, description, top["unit"])


def _lines(stream: BinaryIO):
    for raw in stream:
        yield raw.rstrip(b"\r\n")


def skipped(text: str) -> bool:
    """Blank lines and # comments are not tasks: no output, and the other lines keep their numbers."""
    stripped = text.strip()
    return not stripped or stripped.startswith(("#", "＃"))


STATUS_LABELS = {
    "answered": "有答案",
    "no_final_approver": "原表未標示核定",
    "choose_one": "原表分成幾種情形，請選擇",
    "no_row_in_unit": "本單位無此項目",
    "needs_amount": "需要（確切）金額",
    "amount_outside_bands": "金額不在級距內",
    "bad_input": "輸入有誤",
}
CSV_HEADER = ("行號", "輸入", "單位", "結果", "編號", "原表行號", "公務內容", "流程", "決行", "會辦", "免會",
              "視情況會辦", "注意事項", "說明", "結束代碼")  # fmt: skip


def csv_row(line_no: int, answer: dict) -> list:
    """One batch answer as a spreadsheet row (every text cell through the formula guard)."""
    from .render import chain_text, csv_cell
    from .roles import role_display

    match = answer.get("match") or {}
    content = (match.get("content") or "") + (f"／{match['business']}" if match.get("business") else "")
    final = answer.get("final_approver")
    note = "".join(part for part in (answer.get("error"), answer.get("hint")) if part)
    row = [
        line_no, answer.get("input", ""), answer.get("unit") or "",
        STATUS_LABELS.get(answer.get("status", ""), answer.get("status", "")),
        match.get("id", ""), match.get("source_line", ""), content,
        chain_text(answer.get("chain") or [], markup=False) if match else "",
        role_display(final) if final else "",
        "、".join(answer.get("cosign_required") or []),
        "；".join(f"{w['unit']}：{w['reason']}" for w in answer.get("cosign_waived") or []),
        "；".join(f"{c['unit']}：{c['condition']}" for c in answer.get("cosign_conditional") or []),
        "；".join(w["message"] for w in answer.get("warnings") or []),
        note, answer.get("exit", ""),
    ]  # fmt: skip
    return [csv_cell(value) for value in row]


def run_batch(store: Store, path: str, default_unit: str | None, out: TextIO, fmt: str = "jsonl") -> int:
    """Answer every task line of the file in order; JSON Lines, or CSV (BOM first) for Excel."""
    from .jsonout import json_line

    if default_unit:
        from .match import resolve_unit

        default_unit = resolve_unit(store, default_unit)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"無法開啟 {path}：{exc.strerror}。", "請確認檔名與權限。") from None
    as_csv = fmt == "csv"
    writer = None
    if as_csv:
        import csv

        from .render import CSV_BOM

        out.write(CSV_BOM)
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
    worst = 0
    # Batches repeat themselves: a repeated line gets the same answer, serialised once.
    answered: dict[str, tuple[int, object]] = {}
    with stream:
        for line_no, raw in enumerate(_lines(stream), start=1):
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                answer = {
                    "input": raw.decode("utf-8", "replace"),
                    "answered": False,
                    "status": "bad_input",
                    "error": "這一行不是 UTF-8 文字。",
                    "hint": "請以 UTF-8 存檔。",
                    "exit": EXIT_BAD_INPUT,
                }
                code, body = EXIT_BAD_INPUT, (answer if as_csv else json_line(answer))
            else:
                if skipped(text):
                    continue
                if text not in answered:
                    answer = answer_line(store, text, default_unit)
                    answered[text] = (answer["exit"], answer if as_csv else json_line(answer))
                code, body = answered[text]
            if writer is not None:
                writer.writerow(csv_row(line_no, body))  # type: ignore[arg-type]
            else:
                # body is a JSON object without "line": put the line number first.
                out.write(f'{{"line":{line_no},{body[1:]}\n')  # type: ignore[index]
            if EXIT_SEVERITY.get(code, 0) > EXIT_SEVERITY[worst]:
                worst = code
    return worst
