"""`approval batch`: one task per line in, one JSON object (or CSV row) per line out, in order, none dropped.

A line is `description` or `unit<TAB>description` (the unit may also be written in the description).
A line that cannot be routed still gets its object, with an `error` field. The exit code is the
worst line's: 2 some lines (or the file itself) were bad input, else 4 some rows name no single
decider, else 1 some had no match, else 0.

Lines end at \n, \r\n or a lone \r, and nowhere else: U+2028, U+2029 and U+0085 are text inside a
line (and escaped in the JSON written for it). The file is read in chunks, never whole; a line
longer than MAX_LINE_BYTES is answered with an error and skipped without being held, so a
huge file costs no more memory than its longest allowed line.

A long regular file is shared with forked worker processes (see batch_workers and _Workers); what
is written is the same, byte for byte and in order, as one process writes, whatever becomes of a
worker.
"""

from __future__ import annotations

import contextlib
import gc
import json
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
    os_reason,
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
# load what every worker then shares), in chunks of CHUNK_LINES lines (see _Workers) — or already
# once at least EARLY_LINES distinct lines make EARLY_SHARE of all lines so far, and those are at
# least 2 * EARLY_LINES (128): one process working alone at the start costs a file of distinct lines time (with
# chunks of 128 instead of 256: 3.55-3.62 s -> 3.40-3.41 s on bench.py's input), while a file of
# 200 wordings repeated, forked after 64 of them, took 0.58-0.66 s instead of 0.53-0.57 s.
SERIAL_LINES = 256
EARLY_LINES = 64
EARLY_SHARE = 0.9
CHUNK_LINES = 128
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


def _status_label(answer: dict) -> str:
    status = answer.get("status", "")
    if status == "no_row_in_unit" and not answer.get("unit"):
        return "表內無此項目"  # a line with no unit: no unit's table, the whole table
    return STATUS_LABELS.get(status, status)


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
        _status_label(answer),
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


def _answer_chunk(answerer: _Answerer, texts: list[str]) -> list[tuple[int, object]]:
    """A worker's work: its chunk's answers (the memo of repeats stays with the first process)."""
    return [answerer.fresh(text) for text in texts]


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


_SLICE = 32  # lines this process answers between looks at its workers
_READ_AHEAD = 1  # chunks read and waiting for a worker before this process answers one itself
_MAX_PENDING = 8  # chunks answered but not yet written (behind a slower one) before waiting for it
_IN_FLIGHT = 2  # chunks a worker holds at once: its next is there the moment it finishes one
_HEADER = 8  # bytes of a message's length, before the message on a worker's pipes
# An answer's JSON is a few KB (at most ~70 KB for a 2,000-character line with every list full): a
# length past this many per line is no answer, and is not waited for.
_MAX_ANSWER_BYTES = 1 << 20
_ANSWER_LINE = re.compile(r'([0-9]{1,3})\t(\{"input":.*\})', re.DOTALL)


class _Chunk:
    """The task texts of one chunk and their answers, in order: waiting, given to a worker, or
    answered here. A chunk whose worker ended without answering it is `failed`: its texts are
    answered here, one by one, raising at a failing line as one process would, so that no line
    before it is lost."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.state = "waiting"  # waiting | worker | answered
        self.results: list[tuple[int, object]] = []
        self.error: Exception | None = None
        self.worker: _Worker | None = None
        self.ended = False  # the worker answered it, or ended without
        self.failed = False  # the worker gave no usable answers: answer here when written

    def answer_here(self, answerer: _Answerer, between) -> None:
        """Answer the chunk in this process, calling `between()` every _SLICE lines."""
        self.state = "answered"
        try:
            for number, text in enumerate(self.texts, start=1):
                self.results.append(answerer.fresh(text))
                if number % _SLICE == 0:
                    between()
        except Exception as error:  # written in order first: the lines before it are not lost
            self.error = error

    def done(self) -> bool:
        if self.worker is not None and not self.ended:
            self.worker.pump()
        return self.state == "answered" or self.ended

    def answers(self, answerer: _Answerer) -> Iterator[tuple[int, object]]:
        if self.worker is not None and self.state != "answered":  # not taken back and answered here
            self.worker.pump(until=self)
        if self.failed and self.state != "answered":
            for text in self.texts:
                yield answerer.fresh(text)  # raises, as one process would, at the failing line
            return
        yield from self.results
        if self.error is not None:
            raise self.error


class _Worker:
    """A forked process that answers chunk after chunk for as long as the batch lasts: its caches
    (rows' bigrams, jieba's cuts) stay warm and no fork is paid per chunk (forking per chunk cost
    ~10 % of a worker's time). A chunk's texts go in through one pipe (its length, then a JSON
    list) and its answers come back through another (its length, then one line per task, see
    _encode_answers), in the order the chunks went.

    Only the worker holds the write end of its answer pipe, so the end of that pipe says it is
    gone (killed, out of memory, failed at a line): every chunk it still held is then `failed`
    and answered here. A worker whose task pipe ends (the batch is over, or this process died)
    leaves. This process never blocks writing to a worker (its task pipe is non-blocking, the
    rest kept in `outbox`), so the two cannot wait for each other."""

    def __init__(self, answerer: _Answerer, others: list[_Worker]) -> None:
        import fcntl
        import signal

        self.held: deque[_Chunk] = deque()
        self.outbox = bytearray()
        self.data = bytearray()
        self.ended = False
        tasks_read, self.tasks_fd = os.pipe()
        try:
            self.answers_fd, answers_write = os.pipe()
        except OSError:
            os.close(tasks_read)
            os.close(self.tasks_fd)
            raise
        for fd in (self.tasks_fd, answers_write):
            with contextlib.suppress(OSError):  # room for a chunk's texts or answers: fewer waits
                fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        try:
            self.pid = os.fork()
        except OSError:
            for fd in (tasks_read, self.tasks_fd, self.answers_fd, answers_write):
                os.close(fd)
            raise
        if self.pid == 0:  # the worker: answer until the task pipe ends; run nothing of the parent's
            status = 1
            try:
                for fd in [self.tasks_fd, self.answers_fd, *(fd for w in others for fd in w.fds())]:
                    os.close(fd)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the first process's
                _serve(answerer, tasks_read, answers_write)
                status = 0
            finally:
                os._exit(status)
        os.close(tasks_read)
        os.close(answers_write)
        os.set_blocking(self.tasks_fd, False)
        os.set_blocking(self.answers_fd, False)

    def fds(self) -> list[int]:
        return [] if self.ended else [self.tasks_fd, self.answers_fd]

    def give(self, chunk: _Chunk) -> None:
        message = json.dumps(chunk.texts, ensure_ascii=False).encode("utf-8")
        self.outbox += _framed(message)
        chunk.state, chunk.worker = "worker", self
        self.held.append(chunk)
        self._flush()

    def _flush(self) -> None:
        while self.outbox and not self.ended:
            try:
                written = os.write(self.tasks_fd, self.outbox)
            except BlockingIOError:
                return
            except OSError:  # the worker is gone (a broken pipe): its chunks are answered here
                self._gone()
                return
            del self.outbox[:written]

    def pump(self, until: _Chunk | None = None) -> None:
        """Take what the worker has answered; with `until`, wait until that chunk is answered."""
        import select

        while not self.ended and (until is None or not until.ended):
            self._flush()
            try:
                got = os.read(self.answers_fd, 1 << 20)
            except BlockingIOError:
                if until is None:
                    return
                select.select([self.answers_fd], [self.tasks_fd] if self.outbox else [], [])
                continue
            if not got:
                self._gone()
                return
            self.data += got
            self._take_answers()

    def _take_answers(self) -> None:
        while len(self.data) >= _HEADER:
            size = int.from_bytes(self.data[:_HEADER], "big")
            if size > _MAX_ANSWER_BYTES * (len(self.held[0].texts) if self.held else 1):
                self.stop()  # no chunk's answers are this long: it wrote something else
                return
            if len(self.data) < _HEADER + size:
                return
            chunk = self.held[0] if self.held else None
            results = _decode_answers(bytes(self.data[_HEADER : _HEADER + size]), len(chunk.texts)) if chunk else None
            del self.data[: _HEADER + size]
            if chunk is None or results is None:
                self.stop()  # it wrote something else: trust none of it
                return
            self.held.popleft()
            if chunk.state != "answered":  # else taken back and answered here (finish): kept
                chunk.results = results
            chunk.ended = True

    def _gone(self) -> None:
        if self.ended:
            return
        self.ended = True
        for fd in (self.tasks_fd, self.answers_fd):
            os.close(fd)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        for chunk in self.held:
            chunk.failed = chunk.ended = True
        self.held.clear()
        self.outbox.clear()

    def stop(self) -> None:
        """Kill the worker (the batch ends early: Ctrl-C, a closed output, an error; or it wrote
        something that is no answer); the chunks it held are answered here."""
        import signal

        if not self.ended:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            self._gone()

    def close(self) -> None:
        """The batch is over: the worker's task pipe ends and it leaves."""
        if self.held or self.outbox:
            self.stop()
            return
        if not self.ended:
            self.ended = True
            os.close(self.tasks_fd)
            os.close(self.answers_fd)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)


def _serve(answerer: _Answerer, tasks_fd: int, answers_fd: int) -> None:
    """A worker's loop: a chunk's texts in, its answers out, until the task pipe ends."""
    while True:
        header = _read_exactly(tasks_fd, _HEADER)
        if header is None:
            return
        message = _read_exactly(tasks_fd, int.from_bytes(header, "big"))
        if message is None:
            return
        payload = _encode_answers(_answer_chunk(answerer, json.loads(message)))
        view = memoryview(_framed(payload))
        while view:
            view = view[os.write(answers_fd, view) :]


def _framed(message: bytes) -> bytes:
    """A message as it goes down a worker's pipe: its length (_HEADER bytes), then itself."""
    return len(message).to_bytes(_HEADER, "big") + message


def _read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from a blocking pipe; None when it ends first."""
    data = bytearray()
    while len(data) < size:
        got = os.read(fd, size - len(data))
        if not got:
            return None
        data += got
    return bytes(data)


def _encode_answers(results: list[tuple[int, object]]) -> bytes:
    """A chunk's answers as lines of 「exit code, Tab, the answer's JSON」: a JSON line holds no
    newline (json_line escapes every line break), so no answer is encoded twice (a JSON list of
    JSON strings escaped every quote of every answer, and was decoded again here)."""
    from approval_cli.output.jsonout import json_line

    return "\n".join(
        f"{code}\t{body if isinstance(body, str) else json_line(body)}" for code, body in results
    ).encode("utf-8")


def _decode_answers(payload: bytes, count: int) -> list[tuple[int, object]] | None:
    """The answers _encode_answers wrote, if they are `count` well-formed lines; else None. A
    body stays JSON text: emit writes it as it is (or, for CSV, reads it)."""
    try:
        lines = payload.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if len(lines) != count:
        return None
    out: list[tuple[int, object]] = []
    for line in lines:
        # What answer_line's JSON always is: an object whose first key is "input".
        answer = _ANSWER_LINE.fullmatch(line)
        if answer is None:
            return None
        out.append((int(answer.group(1)), answer.group(2)))
    return out


class _Workers:
    """Task lines answered in chunks by up to `jobs - 1` long-lived forked workers and by this
    process, which reads ahead one chunk and answers the next waiting one itself, looking at its
    workers every _SLICE lines (a worker holding fewer than _IN_FLIGHT chunks gets the next);
    written in order.

    Answers come back through pipes only the workers write to: the end of a pipe says its worker
    is gone, so no worker can leave this process waiting (a multiprocessing pool waited forever
    for a worker killed in the middle of writing)."""

    def __init__(self, answerer: _Answerer, jobs: int, emit) -> None:
        self.answerer, self.emit = answerer, emit
        self.wanted = jobs - 1
        self.workers: list[_Worker] = []
        self.broken = False  # no worker is left: every chunk is answered here
        self.pending: deque[tuple[list, _Chunk | None]] = deque()
        # (line, code, body); code None: the answer to the next text of the chunk
        self.entries: list[tuple[int, int | None, object]] = []
        self.texts: list[str] = []
        self.frozen = False  # gc.freeze() before the first fork, undone in close()

    def add(self, line_no: int, text: str | None, code: int | None = None, body: object = None) -> None:
        known = self.answerer.answered.get(text) if text is not None else None
        if known is not None:
            code, body = known  # a repeated line: its answer as given before
        elif text is not None:
            self.texts.append(text)
        self.entries.append((line_no, code, body))
        if len(self.entries) >= CHUNK_LINES:
            self.send()

    def _chunks(self, state: str) -> list[_Chunk]:
        return [chunk for _, chunk in self.pending if chunk is not None and chunk.state == state]

    def _free_worker(self) -> _Worker | None:
        """The live worker holding the fewest chunks, if it can take one more."""
        if not self.workers and not self.broken:
            if not self.frozen and gc.get_freeze_count() == 0:
                # What this process holds now (the catalogue, jieba's dictionary, the caches) is
                # kept out of the garbage collector's passes until the batch ends: a pass writes
                # to every object it visits, and each page written is copied into the worker
                # (measured: the two processes' PSS 99-100 → 94-96 MiB). Not where a host program
                # froze objects itself: unfreezing would undo its freeze too.
                gc.freeze()
                self.frozen = True
            with contextlib.suppress(OSError):  # no process can be forked: answer here
                while len(self.workers) < self.wanted:
                    self.workers.append(_Worker(self.answerer, self.workers))
        for worker in self.workers:
            worker.pump()
        alive = [worker for worker in self.workers if not worker.ended]
        if not alive:
            self.broken = True
            return None
        worker = min(alive, key=lambda w: len(w.held))
        return worker if len(worker.held) < _IN_FLIGHT else None

    def _schedule(self) -> None:
        """Give waiting chunks, in order, to workers with room for one."""
        for chunk in self._chunks("waiting"):
            worker = None if self.broken else self._free_worker()
            if worker is None:
                return
            worker.give(chunk)

    def send(self) -> None:
        if self.entries:
            self.pending.append((self.entries, _Chunk(self.texts) if self.texts else None))
            self.entries, self.texts = [], []
        self._schedule()
        while len(self._chunks("waiting")) > (0 if self.broken else _READ_AHEAD):
            chunk = self._chunks("waiting")[0]
            chunk.answer_here(self.answerer, self._schedule)
            if chunk.error is not None:
                self.finish()  # writes what came before, then raises the error at its line
            self._schedule()
        while self.pending and (len(self.pending) > _MAX_PENDING or self._head_done()):
            self.write_next()

    def _head_done(self) -> bool:
        chunk = self.pending[0][1]
        return chunk is None or chunk.done()

    def write_next(self) -> None:
        entries, chunk = self.pending.popleft()
        if chunk is not None and chunk.state == "waiting":
            chunk.answer_here(self.answerer, self._schedule)
        texts = iter(chunk.texts if chunk is not None else ())
        answers = chunk.answers(self.answerer) if chunk is not None else iter(())
        for line_no, code, body in entries:
            if code is None:
                code, body = self.answerer.remember(next(texts), next(answers))
            self.emit(line_no, code, body)

    def finish(self) -> None:
        """The input is read: the chunks still waiting are answered here, last first, while the
        workers answer what they hold; a worker gets one more only when it holds none. (Giving
        it the next waiting chunk while it still had one left this process idle at the end,
        waiting for a chunk it could have answered itself.)"""
        if self.entries:
            self.pending.append((self.entries, _Chunk(self.texts) if self.texts else None))
            self.entries, self.texts = [], []
        while self.pending:
            self._pump()
            waiting = self._chunks("waiting")
            idle = next((w for w in self.workers if not w.ended and not w.held), None)
            if len(waiting) >= 2 and idle is not None:
                idle.give(waiting[0])  # a worker with nothing left takes the first of several
                continue
            if waiting and not self._head_done() and waiting[-1] is not self.pending[0][1]:
                # the workers have the chunks before: answer the last waiting one here meanwhile
                waiting[-1].answer_here(self.answerer, self._pump)
                continue
            if not waiting and not self._head_done():
                # Nothing left here: take back the last chunk a worker holds behind the one it is
                # answering, rather than wait for both (the worker's answers to it are dropped;
                # a worker still holding it when the batch is written is stopped).
                behind = next((w.held[-1] for w in self.workers
                               if not w.ended and len(w.held) >= 2 and w.held[-1].state == "worker"), None)  # fmt: skip
                if behind is not None:
                    behind.answer_here(self.answerer, self._pump)
                    continue
            self.write_next()

    def _pump(self) -> None:
        """Take what the workers have answered (their pipes never fill up), giving them nothing."""
        for worker in self.workers:
            worker.pump()

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        if self.frozen:
            gc.unfreeze()  # a caller that lives on (tests, a server) collects as before
            self.frozen = False


def run_batch(
    store: Store, path: str, default_unit: str | None, out: TextIO, fmt: str = "jsonl", jobs: int | None = None
) -> int:
    """Answer every task line of the file in order; JSON Lines, or CSV (BOM first) for Excel.
    A long regular file is shared out to worker processes (batch_workers); the output is the same
    byte for byte."""
    from approval_cli.output.jsonout import json_line

    if default_unit:
        from approval_cli.search.match import resolve_unit

        default_unit = resolve_unit(store, default_unit)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"無法開啟 {path}：{os_reason(exc)}。", "請確認檔名與權限。") from None
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
    tasks = 0  # task lines answered here before any worker (for _worth_sharing)
    workers: _Workers | None = None

    def ready(line_no: int, code: int, body: object) -> None:
        """An answer made here, in its place among the lines the workers answer."""
        if workers is not None:
            workers.add(line_no, None, code, body)
        else:
            emit(line_no, code, body)

    def take(line_no: int, raw: bytes, too_long: bool) -> None:
        """One line read: answered here, or passed on to the workers, in its place."""
        nonlocal workers, tasks
        if too_long:
            ready(line_no, EXIT_BAD_INPUT, _overlong(raw))
            return
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
            return
        if skipped(text):
            return
        if workers is not None:
            workers.add(line_no, text)
            return
        emit(line_no, *answerer(text))
        tasks += 1
        if workers_wanted and _worth_sharing(answerer.computed, tasks):
            # Only fresh work pays for the fork: a file of a few wordings repeated never forks.
            workers = _Workers(answerer, workers_wanted, emit)

    with stream:
        try:
            lines = enumerate(read_lines(stream), start=1)
            looked_ahead = not workers_wanted
            for line_no, (raw, too_long) in lines:
                take(line_no, raw, too_long)
                if tasks and not looked_ahead:
                    # The first task answered (jieba, the vocabulary and the readings loaded, to be
                    # shared): the lines after it are read ahead, and when they are distinct enough
                    # the workers start now, not after this process has answered them one by one.
                    looked_ahead = True
                    ahead, line_no, stopped = _read_ahead(lines, line_no, 2 * EARLY_LINES - 1)
                    texts = [raw.decode("utf-8", "replace") for _, (raw, too_long) in ahead if not too_long]
                    texts = [text for text in texts if not skipped(text)]
                    if workers is None and _worth_sharing(len({*texts, *answerer.answered}), tasks + len(texts)):
                        workers = _Workers(answerer, workers_wanted, emit)
                    for number, (raw, too_long) in ahead:
                        take(number, raw, too_long)
                    if stopped is not None:
                        raise stopped
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


def _read_ahead(lines, line_no: int, count: int) -> tuple[list, int, Exception | None]:
    """Up to `count` more numbered lines, the number of the last one read, and what stopped the
    reading, if anything did (an EndlessLine, a read error): raised once the lines read before it
    are answered, as one process reading line by line would (review finding: they were lost)."""
    ahead = []
    try:
        for item in lines:
            ahead.append(item)
            line_no = item[0]
            if len(ahead) >= count:
                break
    except Exception as stopped:  # raised again by the caller, after the lines read before it
        return ahead, line_no, stopped
    return ahead, line_no, None


def _worth_sharing(distinct: int, tasks: int) -> bool:
    """Whether the task lines so far (`distinct` of `tasks` answered afresh) promise enough fresh
    work to share with workers: SERIAL_LINES distinct ones, or EARLY_LINES when nearly all were."""
    if distinct >= SERIAL_LINES:
        return True
    return distinct >= EARLY_LINES and tasks >= 2 * EARLY_LINES and distinct >= EARLY_SHARE * tasks


def _size(count: int) -> str:
    return f"{count // 2**30} GB" if count >= 2**30 else f"{count // 2**20} MB"
