"""`approval batch`: one task per line in, one JSON object (or CSV row) per line out, in order, none dropped.

A line is `description` or `unit<TAB>description` (the unit may also be written in the description).
A line that cannot be routed still gets its object, with an `error` field. The exit code is the
worst line's: 2 some lines (or the file itself) were bad input, else 4 some rows name no single
decider, else 1 some had no match, else 0.

Lines end at \n, \r\n or a lone \r, and nowhere else: U+2028, U+2029 and U+0085 are text inside a
line (and escaped in the JSON written for it). The file is read in chunks, never whole; a line
longer than MAX_LINE_BYTES is answered with an error and skipped without being held, so a
huge file costs no more memory than its longest allowed line.

A long regular file is shared with a forked worker process (see batch_workers and _Workers); what
is written is the same, byte for byte and in order, as one process writes.
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from approval_cli.answers.core import find, route, route_skeleton, unanswered, with_status
from approval_cli.catalogue.store import Store
from approval_cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_NO_DECIDER,
    EXIT_NO_MATCH,
    EXIT_SEVERITY,
    ApprovalError,
    UsageError,
)
from approval_cli.search.match import make_query

MAX_LINE_CHARS = 2000
MAX_LINE_BYTES = 4 * MAX_LINE_CHARS  # UTF-8 takes at most 4 bytes a character
_CHUNK = 256 * 1024
_BREAK = re.compile(rb"\r\n|\r|\n")
# Distinct lines whose answers are kept for repeats (a few KB each); past this the memo starts over, so a long
# file of distinct lines does not grow memory with its length. A kept answer is the one a fresh
# computation gives: it is keyed by the whole line, and answering depends on nothing else.
MAX_REMEMBERED = 2_000
_ECHO_CHARS = 100  # of an overlong line, the beginning shown in "input"
# An overlong line is skipped up to here; a "line" that goes on (`batch /dev/zero`, a binary
# file) ends the batch with exit 2 after answering it, instead of reading forever.
MAX_SKIP_BYTES = 1024 * 1024 * 1024
# A long file is shared with worker processes forked once this many distinct task lines have been
# answered here (a short batch, or one of a few wordings repeated, never forks; the first lines
# load what every worker then shares), each taking CHUNK_LINES lines at a time, at most two
# chunks each waiting (bounded memory); this process answers a chunk itself whenever every worker
# has its next one waiting.
SERIAL_LINES = 256
CHUNK_LINES = 256
# Processes when --jobs is not given (this one and one worker): each worker adds about 15 MiB (the
# pages it writes to are copied), so the default stays within the 100 MiB a batch may take.
AUTO_JOBS = 2
MAX_JOBS = 16


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
        if unit:
            result = route(store, description, unit)
        else:
            query = make_query(store, description)  # 「文書組 採購 30萬」: the unit may be in the line
            if query.unit:
                result = route(store, description, None, query=query)
            else:
                result = _route_without_unit(store, description, query)
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


def _route_without_unit(store: Store, description: str, query) -> dict:
    """No unit given: answer only when one unit clearly owns the task, else ask for the unit."""
    found = find(store, description, limit=5, query=query)
    matches = [m for m in found["matches"] if m["matching"]]
    if not matches:
        # Nothing in any unit fits well enough: the route answer with no unit and no match.
        return {**route_skeleton(store, query, None), "reason": "no_row_in_unit"}
    top = matches[0]
    rivals = [m for m in matches[1:] if m["unit"] != top["unit"] and m["score"] >= top["score"] - 2]
    if rivals:
        raise UsageError(
            f"「{found['query']}」在多個單位都有（{top['unit']}、{'、'.join(dict.fromkeys(m['unit'] for m in rivals))}），"
            "請在行首寫上單位並以 Tab 分隔。"
        )
    return route(store, description, top["unit"], query=query)


class EndlessLine(Exception):
    """A line still going after MAX_SKIP_BYTES; `start` is its beginning."""

    def __init__(self, start: bytes) -> None:
        super().__init__("endless line")
        self.start = start


def read_lines(
    stream: BinaryIO, limit: int = MAX_LINE_BYTES, skip_limit: int | None = None
) -> Iterator[tuple[bytes, bool]]:
    """(line without its ending, overlong) for each line; an overlong line comes as its first
    `limit` bytes. Reads what is available (read1), so a pipe's lines are answered as they come.
    Raises EndlessLine when a line passes `skip_limit` bytes."""
    read = getattr(stream, "read1", stream.read)
    skip_limit = MAX_SKIP_BYTES if skip_limit is None else skip_limit
    buffer = bytearray()
    overlong: bytes | None = None  # the beginning of an overlong line whose rest is being skipped
    skipped = 0
    after_cr = False  # the last chunk ended in \r: a \n opening this one is the same line ending
    while True:
        chunk = read(_CHUNK)
        if overlong is not None and b"\n" not in chunk and b"\r" not in chunk and chunk:
            skipped += len(chunk)  # still inside the overlong line (memchr, no pattern)
            if skipped > skip_limit:
                raise EndlessLine(overlong)
            after_cr = False
            continue
        if not chunk:
            if overlong is not None:
                yield overlong, True
            elif buffer:
                yield bytes(buffer), False
            return
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        after_cr = False
        start = 0
        for end in _BREAK.finditer(chunk):
            if overlong is not None:
                yield overlong, True
                overlong = None
            else:
                buffer += chunk[start : end.start()]
                if len(buffer) > limit:
                    yield bytes(buffer[:limit]), True
                else:
                    yield bytes(buffer), False
            buffer.clear()
            start = end.end()
            after_cr = end.group() == b"\r" and start == len(chunk)
        if overlong is None:
            buffer += chunk[start:]
            if len(buffer) > limit:
                overlong = bytes(buffer[:limit])
                skipped = len(buffer)
                buffer.clear()


def _overlong(raw: bytes) -> dict:
    shown = raw.decode("utf-8", "replace")[:_ECHO_CHARS]
    return {
        "input": shown + "…",
        "error": f"這一行太長（超過 {MAX_LINE_BYTES:,} 位元組），請拆成較短的描述。",
        "hint": "每行一件事，描述請在 2,000 字以內。",
        "answered": False,
        "status": "bad_input",
        "exit": EXIT_BAD_INPUT,
    }


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
    from approval_cli.catalogue.roles import role_display
    from approval_cli.output.render import chain_text, csv_cell, task_text

    match = answer.get("match") or {}
    content = task_text(match)
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


class _Answerer:
    """A task line → (exit code, JSON line or, for CSV, the answer), with repeated lines answered
    once. The memo holds at most MAX_REMEMBERED lines and starts over when full."""

    def __init__(self, store: Store, default_unit: str | None, as_csv: bool) -> None:
        self.store, self.default_unit, self.as_csv = store, default_unit, as_csv
        self.answered: dict[str, tuple[int, object]] = {}
        self.computed = 0  # lines answered afresh (not repeats)

    def __call__(self, text: str) -> tuple[int, object]:
        found = self.answered.get(text)
        if found is None:
            found = self.remember(text, self.fresh(text))
        return found

    def fresh(self, text: str) -> tuple[int, object]:
        from approval_cli.output.jsonout import json_line

        answer = answer_line(self.store, text, self.default_unit)
        self.computed += 1
        return answer["exit"], answer if self.as_csv else json_line(answer)

    def remember(self, text: str, found: tuple[int, object]) -> tuple[int, object]:
        if len(self.answered) >= MAX_REMEMBERED:
            self.answered.clear()
        self.answered[text] = found
        return found


_forked: _Answerer | None = None  # a worker's answerer, inherited from the parent at fork


def _answer_chunk(texts: list[str]) -> list[tuple[int, object]]:
    # The memo stays with the parent: one in each worker would cost each its memory again.
    assert _forked is not None
    return [_forked.fresh(text) for text in texts]


def _ignore_interrupt() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the first process's: it stops the workers


def batch_workers(jobs: int | None, stream: BinaryIO) -> int:
    """Processes to answer this input (this one included; 0: this one alone): none for a pipe
    (its lines are answered as they arrive), on one CPU, with --jobs 1, or where processes cannot
    be forked (Windows, macOS: fork is unsafe there); else --jobs, or AUTO_JOBS, never more than
    the CPUs this process may use."""
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs 要在 1 到 {MAX_JOBS} 之間。", "不寫 --jobs 時自動決定；--jobs 1 不分工。")
    if jobs == 1 or not sys.platform.startswith("linux"):
        return 0
    import stat

    try:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return 0
    except (OSError, ValueError, AttributeError):
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = AUTO_JOBS if jobs is None else jobs
    workers = min(wanted, cpus)
    return workers if workers > 1 else 0


class _Chunk:
    """The task texts of one chunk and how they are answered: by a worker (`future`), or here,
    right away. Its answers come out in order; when a worker could not answer it (the worker
    died, or answering raised) the texts are answered here one by one, so that every line before
    a line that fails is written, as when one process answers them all."""

    def __init__(self, texts: list[str], future=None) -> None:
        self.texts, self.future = texts, future
        self.results: list[tuple[int, object]] = []
        self.error: BaseException | None = None

    def answer_here(self, answerer: _Answerer) -> None:
        try:
            for text in self.texts:
                self.results.append(answerer.fresh(text))
        except Exception as error:  # written in order first: the lines before it are not lost
            self.error = error

    def done(self) -> bool:
        return self.future is None or self.future.done()

    def answers(self, answerer: _Answerer) -> Iterator[tuple[int, object]]:
        if self.future is not None:
            try:
                self.results = self.future.result()
            except Exception:  # BrokenProcessPool (a worker killed) or the worker's own error
                self.results, self.error = [], None
                self.future = None
                for text in self.texts:
                    yield answerer.fresh(text)  # raises, as one process would, at the failing line
                return
        yield from self.results
        if self.error is not None:
            raise self.error


class _Workers:
    """Task lines answered in chunks by `jobs - 1` forked workers and by this process whenever
    every worker already has its next chunk waiting; written in the lines' order.

    concurrent.futures over multiprocessing.Pool: a worker that dies (killed, out of memory) breaks
    the executor and its chunks raise BrokenProcessPool, where Pool would wait for them forever;
    the rest is then answered here."""

    def __init__(self, answerer: _Answerer, jobs: int, emit) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _forked
        _forked = answerer  # what each worker inherits: the store and its caches
        self.pool = ProcessPoolExecutor(
            jobs - 1, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_interrupt
        )
        self.broken = False
        self.answerer = answerer
        self.limit = 2 * (jobs - 1)  # chunks waiting for the workers
        self.emit = emit
        self.pending: deque[tuple[list, _Chunk | None]] = deque()
        # (line, code, body); code None: the answer to the next text of the chunk
        self.entries: list[tuple[int, int | None, object]] = []
        self.texts: list[str] = []

    def add(self, line_no: int, text: str | None, code: int | None = None, body: object = None) -> None:
        known = self.answerer.answered.get(text) if text is not None else None
        if known is not None:
            code, body = known  # a repeated line: its answer as given before
        elif text is not None:
            self.texts.append(text)
        self.entries.append((line_no, code, body))
        if len(self.entries) >= CHUNK_LINES:
            self.send()

    def send(self) -> None:
        if self.entries:
            chunk = None
            if self.texts:
                chunk = self._submit(self.texts)
                if chunk is None:  # every worker has its next chunk waiting (or none is left)
                    chunk = _Chunk(self.texts)
                    chunk.answer_here(self.answerer)
            self.pending.append((self.entries, chunk))
            self.entries, self.texts = [], []
            if chunk is not None and chunk.error is not None:
                self.finish()  # writes what came before, then raises the error at its line
        while self.pending and (len(self.pending) > 2 * self.limit or self._head_done()):
            self.write_next()

    def _submit(self, texts: list[str]) -> _Chunk | None:
        from concurrent.futures.process import BrokenProcessPool

        waiting = sum(1 for _, chunk in self.pending if chunk is not None and not chunk.done())
        if self.broken or waiting >= self.limit:
            return None
        try:
            return _Chunk(texts, self.pool.submit(_answer_chunk, texts))
        except BrokenProcessPool:
            self.broken = True
            return None

    def _head_done(self) -> bool:
        chunk = self.pending[0][1]
        return chunk is None or chunk.done()

    def write_next(self) -> None:
        entries, chunk = self.pending.popleft()
        texts = iter(chunk.texts if chunk is not None else ())
        answers = chunk.answers(self.answerer) if chunk is not None else iter(())
        for line_no, code, body in entries:
            if code is None:
                code, body = self.answerer.remember(next(texts), next(answers))
            self.emit(line_no, code, body)

    def finish(self) -> None:
        self.send()
        while self.pending:
            self.write_next()

    def close(self) -> None:
        global _forked
        # Chunks not begun are dropped; a worker ends after the chunk it is answering.
        self.pool.shutdown(wait=False, cancel_futures=True)
        _forked = None


def run_batch(
    store: Store, path: str, default_unit: str | None, out: TextIO, fmt: str = "jsonl", jobs: int | None = None
) -> int:
    """Answer every task line of the file in order; JSON Lines, or CSV (BOM first) for Excel.
    A long regular file is shared out to worker processes (batch_workers); the output is the same
    byte for byte."""
    import json

    from approval_cli.output.jsonout import json_line

    if default_unit:
        from approval_cli.search.match import resolve_unit

        default_unit = resolve_unit(store, default_unit)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"無法開啟 {path}：{exc.strerror}。", "請確認檔名與權限。") from None
    as_csv = fmt == "csv"
    writer = None
    if as_csv:
        import csv

        from approval_cli.output.render import CSV_BOM

        out.write(CSV_BOM)
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
    worst = 0
    # Batches repeat themselves: a repeated line gets the same answer, serialised once.
    answerer = _Answerer(store, default_unit, as_csv)
    line_no = 0

    def emit(line_no: int, code: int, body: object) -> None:
        nonlocal worst
        if writer is not None:
            writer.writerow(csv_row(line_no, body if isinstance(body, dict) else json.loads(body)))
        else:
            text = body if isinstance(body, str) else json_line(body)
            # body is a JSON object without "line": put the line number first.
            out.write(f'{{"line":{line_no},{text[1:]}\n')
        if EXIT_SEVERITY.get(code, 0) > EXIT_SEVERITY[worst]:
            worst = code

    workers_wanted = batch_workers(jobs, stream)
    workers: _Workers | None = None

    def ready(line_no: int, code: int, body: object) -> None:
        """An answer made here, in its place among the lines the workers answer."""
        if workers is not None:
            workers.add(line_no, None, code, body)
        else:
            emit(line_no, code, body)

    with stream:
        try:
            for line_no, (raw, too_long) in enumerate(read_lines(stream), start=1):
                if too_long:
                    ready(line_no, EXIT_BAD_INPUT, _overlong(raw))
                    continue
                try:
                    text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
                except UnicodeDecodeError:
                    ready(line_no, EXIT_BAD_INPUT, {
                        "input": raw.decode("utf-8", "replace"),
                        "answered": False,
                        "status": "bad_input",
                        "error": "這一行不是 UTF-8 文字。",
                        "hint": "請以 UTF-8 存檔。",
                        "exit": EXIT_BAD_INPUT,
                    })  # fmt: skip
                    continue
                if skipped(text):
                    continue
                if workers is not None:
                    workers.add(line_no, text)
                    continue
                emit(line_no, *answerer(text))
                if workers_wanted and answerer.computed >= SERIAL_LINES:
                    # Only fresh work pays for the fork: a file of a few wordings repeated never forks.
                    workers = _Workers(answerer, workers_wanted, emit)
            if workers is not None:
                workers.finish()
        except EndlessLine as endless:
            if workers is not None:
                workers.finish()  # the lines before it first, in order
            line_no += 1
            emit(line_no, EXIT_BAD_INPUT, _overlong(endless.start))
            raise UsageError(
                f"第 {line_no} 行超過 {_size(MAX_SKIP_BYTES)} 仍未結束，這不像是每行一件事的文字檔。",
                "前面各行的結果已輸出；請確認選對了檔案。",
            ) from None
        finally:
            if workers is not None:
                workers.close()
    return worst


def _size(count: int) -> str:
    return f"{count // 2**30} GB" if count >= 2**30 else f"{count // 2**20} MB"
