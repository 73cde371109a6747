"""Issue 9, R11/R12/S5: batch input is split only where lines end and read in bounded pieces."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tracemalloc

import pytest

from approval_cli.answers import batch as batch_module
from approval_cli.answers.batch import MAX_LINE_BYTES, read_lines, run_batch
from approval_cli.errors import UsageError


def batch(store, tmp_path, data: bytes, unit: str | None = None) -> tuple[int, list[dict], str]:
    source = tmp_path / "tasks.txt"
    source.write_bytes(data)
    out = io.StringIO()
    code = run_batch(store, str(source), unit, out)
    text = out.getvalue()
    return code, [json.loads(line) for line in text.split("\n") if line], text


def test_cr_only_line_endings_are_three_tasks(store, tmp_path):
    data = "文書組\t採購 30萬\r機要組\t採購 30萬\r硬碟報廢\r".encode()
    _, out, _ = batch(store, tmp_path, data)
    assert [o["line"] for o in out] == [1, 2, 3]
    assert out[0]["match"]["id"] == "DOC-056"
    assert out[1]["match"] is None and out[1]["exit"] == 1  # 機要組 has no procurement row
    assert out[2]["match"]["source_line"] == 137


def test_mixed_line_endings_and_a_last_line_without_one(store, tmp_path):
    data = "硬碟報廢\r\n退文改分\n\r\n硬碟報廢".encode()
    _, out, _ = batch(store, tmp_path, data, "文書組")
    # The blank third line is no task (skipped, issue 11); the others keep their line numbers.
    assert [(o["line"], o["input"]) for o in out] == [(1, "硬碟報廢"), (2, "退文改分"), (4, "硬碟報廢")]


def test_unicode_line_separators_stay_inside_their_line(store, tmp_path):
    records = [f"文書組\t採購{sep}30萬 第{n}件" for n, sep in enumerate(["\u2028", "\u2029", "\x85"] * 7)]
    data = ("\n".join(records) + "\n").encode()
    _, out, text = batch(store, tmp_path, data)
    assert len(out) == len(records) == 21
    # A splitlines() reader (the issue saw 22,386 lines for 20,000 records) sees one per record.
    assert len(text.splitlines()) == 21
    assert [o["input"] for o in out] == records
    for raw in ("\u2028", "\u2029", "\x85"):
        assert raw not in text


def test_overlong_line_is_answered_and_the_next_one_too(store, tmp_path):
    data = b"x" * (MAX_LINE_BYTES * 3) + "\n硬碟報廢\n".encode()
    code, out, _ = batch(store, tmp_path, data, "文書組")
    assert code == 2 and [o["line"] for o in out] == [1, 2]
    assert "太長" in out[0]["error"] and out[0]["exit"] == 2 and len(out[0]["input"]) <= 101
    assert out[1]["match"]["source_line"] == 137


class _Generated(io.RawIOBase):
    """A stream of `size` bytes of 'x' followed by tail, produced on demand (never held)."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left, self.tail = size, tail

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        if self.left > 0:
            size = min(n, self.left)
            self.left -= size
            return b"x" * size
        tail, self.tail = self.tail, b""
        return tail

    read = read1

    def readinto(self, buffer) -> int:
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_a_300_mb_line_costs_no_more_memory_than_an_allowed_line():
    tracemalloc.start()
    try:
        lines = list(read_lines(_Generated(300 * 1024 * 1024, "\n硬碟報廢\n".encode())))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == [(b"x" * MAX_LINE_BYTES, True), ("硬碟報廢".encode(), False)]
    assert peak < 4 * 1024 * 1024  # it took 2.4 GB


def test_a_line_that_never_ends_stops_the_batch(store, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "MAX_SKIP_BYTES", 10 * 1024 * 1024)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(_Generated(10**12, b""))))
    with pytest.raises(UsageError) as caught:
        run_batch(store, "-", "文書組", out)
    assert "仍未結束" in caught.value.message
    assert json.loads(out.getvalue())["line"] == 1  # the line is still answered, with its error


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not shutil.which("prlimit"), reason="needs /dev/zero, prlimit")
def test_dev_zero_batch_under_a_memory_limit(tmp_path):
    for args in (["batch", "/dev/zero"],):
        result = subprocess.run(
            ["prlimit", "--as=2000000000", sys.executable, "-m", "approval_cli", *args],
            capture_output=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        stderr = result.stderr.decode()
        assert result.returncode == 2, (args, stderr)
        assert "Traceback" not in stderr and stderr.startswith("approval：")


def test_remembered_answers_are_bounded_and_change_nothing(store, tmp_path, monkeypatch):
    lines = ["文書組\t採購 30萬", "硬碟報廢", "文書組\t採購 30萬", "退文改分", "硬碟報廢", "文書組\t採購 30萬"]
    data = ("\n".join(lines) + "\n").encode()
    _, unbounded, _ = batch(store, tmp_path, data, "文書組")
    monkeypatch.setattr(batch_module, "MAX_REMEMBERED", 1)
    _, bounded, _ = batch(store, tmp_path, data, "文書組")
    assert bounded == unbounded
