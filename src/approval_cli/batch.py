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
from .match import MIN_ROUTE_SCORE, make_query
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
        result = route(store, description, unit) if unit else _route_without_unit(store, description)
    except ApprovalError as error:
        base.update({"answered": False, "status": "bad_input", "error": error.message, "hint": error.hint,
                     "exit": error.exit_code})  # fmt: skip
        return base
    base.update(with_status(result))
    if not base["answered"]:
        base["error"], base["hint"] = unanswered(result)
        # As from route: an amount-banded task without a usable amount is bad input, not no match.
        base["exit"] = {"needs_amount": EXIT_BAD_INPUT, "no_final_approver": EXIT_NO_DECIDER}.get(
            base["status"], EXIT_NO_MATCH
        )
    else:
        base["exit"] = 0
    return base


def _route_without_unit(store: Store, description: str) -> dict:
    """No unit given: answer only when one unit clearly owns the task, else ask for the unit."""
    found = find(store, description, limit=5)
    matches = [m for m in found["matches"] if m["score"] >= MIN_ROUTE_SCORE]
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


def run_batch(store: Store, path: str, default_unit: str | None, out: TextIO) -> int:
    from .jsonout import json_line

    if default_unit:
        from .match import resolve_unit

        default_unit = resolve_unit(store, default_unit)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"無法開啟 {path}：{exc.strerror}。", "請確認檔名與權限。") from None
    worst = 0
    store.memo = {}  # rank() scores each wording once per row set for the whole batch
    # Batches repeat themselves: a repeated line gets the same answer, serialised once.
    answered: dict[str, tuple[int, str]] = {}
    with stream:
        for line_no, raw in enumerate(_lines(stream), start=1):
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                code, body = EXIT_BAD_INPUT, json_line({
                    "input": raw.decode("utf-8", "replace"),
                    "answered": False,
                    "status": "bad_input",
                    "error": "這一行不是 UTF-8 文字。",
                    "hint": "請以 UTF-8 存檔。",
                    "exit": EXIT_BAD_INPUT,
                })  # fmt: skip
            else:
                if text not in answered:
                    answer = answer_line(store, text, default_unit)
                    answered[text] = (answer["exit"], json_line(answer))
                code, body = answered[text]
            # body is a JSON object without "line": put the line number first.
            out.write(f'{{"line":{line_no},{body[1:]}\n')
            if EXIT_SEVERITY.get(code, 0) > EXIT_SEVERITY[worst]:
                worst = code
    return worst
