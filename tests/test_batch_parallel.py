"""Issue 10: a long batch file shared with forked worker processes writes exactly what one process
writes — every line, in order, the same bytes and the same exit code — repeats, bad lines and an
endless last line included; a pipe, --jobs 1 and a short file are answered here alone."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest

from approval_cli.answers import batch as batch_module
from approval_cli.answers.batch import batch_workers, run_batch
from approval_cli.errors import UsageError

TASKS = ["採購", "影印紙採購", "议员索取资料", "硬碟報廢", "姊妹市交流", "用印 無爭議", "採構", "公務車輛統一調派",
         "同仁參加他機關辦理之教育訓練", "貴賓接待", "志工招募", "性平業務", "加班費", "網站資料異動", "退文改分"]  # fmt: skip
UNITS = ["", "文書組\t", "總務組\t", "國際事務組\t", "人事室\t", "市民服務組 "]
AMOUNTS = ["", " 8千元", " 30萬", " 三十萬元", " 60萬"]


def varied_file(path, endless: bool = False) -> str:
    """About 280 lines: distinct tasks × units × amounts, some repeated, with blank and comment
    lines, a line that is not UTF-8 and an overlong line among them."""
    lines = [unit + task + amount for task in TASKS for unit in UNITS for amount in AMOUNTS[:3]]
    lines[10:10] = ["", "# 註解", lines[3], lines[3]]
    lines[200:200] = ["文書組\t" + "很長" * 5000, lines[150]]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    data = data.replace("加班費".encode(), b"\xff\xfe", 1)  # one line is not UTF-8
    if endless:
        data += b"x" * (3 * 1024 * 1024)  # a last line that never ends
    path.write_bytes(data)
    return str(path)


def answered(store, path: str, jobs: int, fmt: str = "jsonl") -> tuple[str, int | str]:
    out = io.StringIO()
    try:
        code: int | str = run_batch(store, path, None, out, fmt, jobs)
    except UsageError as error:
        code = error.message
    return out.getvalue(), code


@pytest.fixture
def small_chunks(monkeypatch):
    """Fork after 20 distinct lines and send 7 lines at a time, so that a 280-line file crosses many
    chunk edges and the parent's own chunks interleave with the worker's."""
    monkeypatch.setattr(batch_module, "SERIAL_LINES", 20)
    monkeypatch.setattr(batch_module, "CHUNK_LINES", 7)


def needs_two_processes(path: str) -> None:
    with open(path, "rb") as stream:
        if batch_workers(2, stream) != 2:
            pytest.skip("no fork here, or one CPU: the batch is answered by one process")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_two_processes_write_what_one_writes(store, tmp_path, small_chunks, fmt):
    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    alone, alone_code = answered(store, path, 1, fmt)
    shared, shared_code = answered(store, path, 2, fmt)
    assert shared == alone and shared_code == alone_code == 2  # the bad lines make it 2
    assert alone.count("\n") >= 274  # 276 lines written, less a blank and a comment line


def test_an_endless_last_line_after_shared_lines(store, tmp_path, small_chunks, monkeypatch):
    """The lines before it are written first, in order, then its error; the batch ends with exit 2."""
    monkeypatch.setattr(batch_module, "MAX_SKIP_BYTES", 1024 * 1024)
    path = varied_file(tmp_path / "endless.txt", endless=True)
    needs_two_processes(path)
    alone, alone_error = answered(store, path, 1)
    shared, shared_error = answered(store, path, 2)
    assert shared == alone and isinstance(shared_error, str) and shared_error == alone_error
    assert "仍未結束" in shared_error


def test_who_answers(tmp_path):
    regular = tmp_path / "lines.txt"
    regular.write_text("採購 30萬\n", encoding="utf-8")
    with open(regular, "rb") as stream:
        assert batch_workers(1, stream) == 0  # --jobs 1
        if sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1:
            assert batch_workers(None, stream) == batch_module.AUTO_JOBS
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as pipe, os.fdopen(write_end, "wb"):
        assert batch_workers(2, pipe) == 0  # a pipe's lines are answered as they arrive
    for wrong in (0, batch_module.MAX_JOBS + 1):
        with open(regular, "rb") as stream, pytest.raises(UsageError):
            batch_workers(wrong, stream)


def test_a_worker_that_dies_loses_no_line(store, tmp_path, small_chunks, monkeypatch):
    """Review finding: a worker killed (kill -9, out of memory) left multiprocessing.Pool waiting for
    its chunk forever. Now its chunks, and every one after, are answered here: the same output."""
    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    alone, alone_code = answered(store, path, 1)

    def dies(answerer, texts):
        os.kill(os.getpid(), 9)

    monkeypatch.setattr(batch_module, "_answer_chunk", dies)
    shared, shared_code = answered(store, path, 2)
    assert shared == alone and shared_code == alone_code


def test_an_error_while_answering_keeps_the_lines_before_it(store, tmp_path, small_chunks, monkeypatch):
    """Review finding: an internal error in a chunk lost the lines answered before it (kept in
    chunks not yet written). Now they are written, in order, up to the failing line, as one
    process writes them, and the error goes on to the caller."""
    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    original = batch_module.answer_line

    def breaks(store, text, unit):
        if "志工招募" in text and "總務組" in text:
            raise RuntimeError("boom")
        return original(store, text, unit)

    monkeypatch.setattr(batch_module, "answer_line", breaks)
    outputs = written_before(store, path, RuntimeError)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") > 100


def written_before(store, path: str, error: type[Exception]) -> list[str]:
    """What one process and two write before the batch raises `error`."""
    outputs = []
    for jobs in (1, 2):
        out = io.StringIO()
        with pytest.raises(error):
            run_batch(store, path, None, out, "jsonl", jobs)
        outputs.append(out.getvalue())
    return outputs


GARBAGE = {
    "not answers": lambda results: b"not answers",
    "too few lines": lambda results: b"0\t{}\n1\t{}",
    "not UTF-8": lambda results: b"\xff\xfe",
    # One line per task, but not an answer (review findings: accepted before, and written out).
    "empty objects": lambda results: "\n".join("0\t{}" for _ in results).encode(),
    "broken JSON": lambda results: "\n".join("0\t{oops" for _ in results).encode(),
    "a code that is no number": lambda results: "\n".join('²\t{"input":"x"}' for _ in results).encode(),
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_a_worker_that_writes_something_else_loses_no_line(store, tmp_path, small_chunks, monkeypatch, garbage):
    """A worker's answers come back as lines of 「code Tab JSON」, one answer per task: anything
    else (too few lines, not UTF-8, no code, not an answer's JSON) is trusted in no part; the
    worker is stopped and its chunks answered here, so the output is what one process writes."""
    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    alone, alone_code = answered(store, path, 1)
    encode = batch_module._encode_answers
    calls = iter(range(10**6))
    # Good answers for the first two chunks, then garbage: some chunks from the worker are written.
    monkeypatch.setattr(
        batch_module, "_encode_answers", lambda results: encode(results) if next(calls) < 2 else GARBAGE[garbage](results)
    )
    shared, shared_code = answered(store, path, 2)
    assert shared == alone and shared_code == alone_code


def test_a_worker_that_announces_too_long_an_answer_is_not_waited_for(store, tmp_path, small_chunks, monkeypatch):
    """Review finding: a length header past any chunk's answers left this process waiting for bytes
    that never came while the worker waited for tasks. Now such a worker is stopped and its
    chunks answered here (an alarm fails the test instead of hanging it)."""
    import json
    import signal

    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    alone, alone_code = answered(store, path, 1)

    def serve(answerer, tasks_fd, answers_fd):
        while True:
            header = batch_module._read_exactly(tasks_fd, batch_module._HEADER)
            if header is None:
                return
            texts = json.loads(batch_module._read_exactly(tasks_fd, int.from_bytes(header, "big")))
            payload = batch_module._encode_answers(batch_module._answer_chunk(answerer, texts))
            os.write(answers_fd, (len(payload) + 10**9).to_bytes(batch_module._HEADER, "big") + payload)

    monkeypatch.setattr(batch_module, "_serve", serve)
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the batch waited for a worker forever"))
    signal.alarm(60)
    try:
        shared, shared_code = answered(store, path, 2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert shared == alone and shared_code == alone_code


def test_only_a_file_of_fresh_work_is_shared(store, tmp_path, monkeypatch):
    """Forking pays only for fresh work: a file of many distinct lines is shared once 128 lines were
    nearly all distinct (not after 256 of them) — read ahead after the first task, so the workers
    start when this process has answered one line, not 128; a file of a few wordings repeated is
    never shared (forked after 64 wordings, 200 wordings repeated took 0.58-0.66 s instead of
    0.53-0.57 s)."""
    started: list[int] = []
    original = batch_module._Workers

    def counting(answerer, jobs, emit):
        started.append(answerer.computed)
        return original(answerer, jobs, emit)

    monkeypatch.setattr(batch_module, "_Workers", counting)
    distinct = tmp_path / "distinct.txt"
    distinct.write_text("".join(f"文書組\t採購 {n + 1}萬元\n" for n in range(300)), encoding="utf-8")
    needs_two_processes(str(distinct))
    answered(store, str(distinct), 2)
    assert started == [1]  # the first answered, the 127 after it read: 128 of 128 lines distinct
    started.clear()
    repeated = tmp_path / "repeated.txt"
    wordings = [f"總務組\t租車 {n + 1}萬元" for n in range(100)]  # 100 wordings: past 64, never 256
    repeated.write_text("".join(wordings[n % len(wordings)] + "\n" for n in range(2000)), encoding="utf-8")
    answered(store, str(repeated), 2)
    assert started == []
    assert batch_module._worth_sharing(256, 10_000) and not batch_module._worth_sharing(255, 10_000)


@pytest.mark.parametrize("early", [8, 64])
def test_lines_read_ahead_keep_their_order_and_an_endless_one_among_them(store, tmp_path, monkeypatch, early):
    """After the first task the next lines are read ahead to decide on workers at once (not after
    answering 128 of them). Among them: blank and comment lines, a line that is not UTF-8, an
    overlong one and, last, a line that never ends: written as one process writes them, in order,
    then the endless line's error. With EARLY_LINES 8 the workers start inside that window."""
    monkeypatch.setattr(batch_module, "MAX_SKIP_BYTES", 1024 * 1024)
    monkeypatch.setattr(batch_module, "EARLY_LINES", early)
    monkeypatch.setattr(batch_module, "CHUNK_LINES", 5)
    tasks = [TASKS[0], TASKS[12], TASKS[2], TASKS[3]]  # 加班費 (TASKS[12]) is made not UTF-8 below
    lines = [unit + task + amount for task in tasks for unit in UNITS for amount in AMOUNTS[:2]][:24]
    lines[3:3] = ["", "# 註解", "文書組\t" + "很長" * 5000]
    data = ("\n".join(lines) + "\n").encode("utf-8").replace("加班費".encode(), b"\xff\xfe", 1)
    path = tmp_path / "ahead.txt"
    path.write_bytes(data + b"x" * (3 * 1024 * 1024))
    needs_two_processes(str(path))
    started: list[int] = []
    original = batch_module._Workers
    monkeypatch.setattr(batch_module, "_Workers", lambda *args: started.append(1) or original(*args))
    alone, alone_error = answered(store, str(path), 1)
    shared, shared_error = answered(store, str(path), 2)
    assert shared == alone and shared_error == alone_error and "仍未結束" in shared_error
    assert started == ([1] if early == 8 else [])  # 24 lines: too few to share with EARLY_LINES 64
    assert b"\xff\xfe" in data and "很長很長" in alone
    assert [json.loads(line)["line"] for line in shared.splitlines()] == sorted(
        json.loads(line)["line"] for line in shared.splitlines()
    )


def test_the_collector_is_frozen_only_while_workers_run(store, tmp_path, small_chunks):
    """Before the first fork the objects held are frozen out of the collector's passes (each pass
    writes to the objects it visits: pages then copied into the worker); after the batch they are
    collected as before, for a caller that lives on."""
    import gc

    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    frozen: list[int] = []
    original = batch_module._Worker

    def counting(*args):
        frozen.append(gc.get_freeze_count())
        return original(*args)

    batch_module._Worker = counting
    try:
        answered(store, path, 2)
    finally:
        batch_module._Worker = original
    assert frozen and frozen[0] > 0
    assert gc.get_freeze_count() == 0


def test_at_the_end_a_chunk_a_worker_holds_behind_another_is_taken_back(store, tmp_path, small_chunks, monkeypatch):
    """At the end of the input this process answers the chunks still waiting and then, rather than
    wait for a worker to answer both chunks it holds, takes back the one behind and answers it
    (measured: 0.12 s of waiting at the end of bench.py's batch, gone). A slow worker makes that
    happen here; the output is still what one process writes, and the worker still holding the
    chunk is stopped, not waited for."""
    import time

    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    alone, alone_code = answered(store, path, 1)
    slow_serve = batch_module._serve

    def serve(answerer, tasks_fd, answers_fd):
        original = batch_module._answer_chunk

        def slow(answerer, texts):
            time.sleep(0.05)
            return original(answerer, texts)

        batch_module._answer_chunk = slow  # in the worker only (forked with this serve)
        slow_serve(answerer, tasks_fd, answers_fd)

    taken: list[int] = []
    answer_here = batch_module._Chunk.answer_here

    def recording(chunk, answerer, between):
        if chunk.state == "worker":
            taken.append(len(chunk.texts))
        answer_here(chunk, answerer, between)

    monkeypatch.setattr(batch_module, "_serve", serve)
    monkeypatch.setattr(batch_module._Chunk, "answer_here", recording)
    shared, shared_code = answered(store, path, 2)
    assert shared == alone and shared_code == alone_code
    assert taken  # the chunk behind was taken back


def test_a_read_error_inside_the_read_ahead_keeps_the_lines_read_before_it(store, tmp_path, monkeypatch):
    """Review finding: a read error (or an endless line) among the lines read ahead lost the lines
    read before it; one process reading line by line writes them first. Both now write the same."""
    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    original = batch_module.read_lines

    def failing(stream, *args, **kwargs):
        for number, item in enumerate(original(stream, *args, **kwargs)):
            if number == 40:
                raise OSError("the disk went away")
            yield item

    monkeypatch.setattr(batch_module, "read_lines", failing)
    outputs = written_before(store, path, OSError)
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) >= 30


def test_a_host_s_own_freeze_is_left_alone(store, tmp_path, small_chunks):
    """gc.freeze() is the batch's only when nothing was frozen before it: unfreezing at its end
    would otherwise undo the freeze of a program that runs batches (review finding)."""
    import gc

    path = varied_file(tmp_path / "lines.txt")
    needs_two_processes(path)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        answered(store, path, 2)
        assert frozen > 0 and gc.get_freeze_count() > 0  # still frozen (less what was freed since)
    finally:
        gc.unfreeze()
