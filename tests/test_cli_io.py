"""Issue 9, S6/R3/R5/R7/R9 and the CLI's limits: what the command writes, wherever it writes it."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from approval_cli import cli as cli_module
from approval_cli.errors import EXIT_BROKEN_PIPE, EXIT_OUTPUT_FAILED
from conftest import call
from editing import entry, write_catalogue

ROOT = Path(__file__).resolve().parents[1]
SEED_MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"


def run(*args: str, env: dict | None = None, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "approval_cli", *args], capture_output=True, timeout=120,
        env={**os.environ, **(env or {})}, cwd=cwd, **kwargs,
    )  # fmt: skip


# ---------------------------------------------------------------- S6: control characters


def test_escape_in_an_argument_is_not_sent_to_the_terminal(tmp_path):
    result = run("show", "\x1b[31mX", cwd=tmp_path)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "\x1b" not in stderr and "\\x1b[31mX" in stderr


@pytest.fixture
def hostile_catalogue(tmp_path):
    def plant(data):
        row = entry(data, "DOC-056")
        row["content"] = "印信銷毀確認\x1b[2J\x1b]0;pwned\x07採購\u202e"
        row["notes"] = ["備考\r覆寫"]
        row["raw"] = "乙\t\x1b[31m紅字"

    return write_catalogue(tmp_path / "hostile.json", plant)


@pytest.mark.parametrize(
    "args",
    [
        ["show", "DOC-056"],
        ["find", "印信銷毀確認", "--unit", "文書組"],
        ["route", "--unit", "文書組", "--amount", "300000"],
        ["list", "--unit", "文書組"],
        ["find", "印信銷毀確認", "--unit", "文書組", "--json"],
        ["export", "--format", "csv"],
    ],
)
def test_escape_in_catalogue_text_is_shown_escaped(hostile_catalogue, tmp_path, args):
    result = run("--catalogue", str(hostile_catalogue), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    stdout = result.stdout.decode().replace("\r\n", "\n")  # CSV rows end in CRLF
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in stdout, (args, raw)
    if "--json" in args:
        assert "\\u001b[2J" in stdout  # JSON's own escape; the text is intact once parsed
    else:
        assert "\\x1b[2J" in stdout


def test_escape_in_an_error_message(capsys):
    code, _, err = call(capsys, "show", "A\rB\u202eC\x9b")
    assert code == 2 and "找不到編號" in err
    assert "\r" not in err and "\u202e" not in err and "\x9b" not in err
    assert "A\\x0dB\\u202eC\\x9b" in err


# ---------------------------------------------------------------- R3: console encodings


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "DOC-052"], "議會案件"),
        (["list", "--unit", "文書組"], "⚠"),
        (["lint"], "需要查對原表的列"),
        (["triage", str(SEED_MINUTES), "--format", "csv"], "\ufeff段落"),
        (["route", "--unit", "文書組", "--amount", "300000", "--json"], "副處長"),
    ],
)
def test_cp950_console_encoding_still_writes_utf8(tmp_path, args, expected):
    target = tmp_path / "追蹤表.csv"
    with target.open("wb") as handle:
        result = subprocess.run(
            [sys.executable, "-m", "approval_cli", *args], stdout=handle, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONIOENCODING": "cp950"}, timeout=120, cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr.decode("utf-8", "replace")
    assert expected in target.read_bytes().decode("utf-8")


def test_cp950_error_message_is_readable(tmp_path):
    result = run("show", "NOPE-1", env={"PYTHONIOENCODING": "cp950"}, cwd=tmp_path)
    assert result.returncode == 2 and "找不到編號" in result.stderr.decode("utf-8")


# ---------------------------------------------------------------- R5: odd line numbers


@pytest.mark.parametrize("key", ["²", "L①", "L" + "1" * 4301, "1" * 4301])
def test_show_odd_digits_is_bad_input_not_a_crash(capsys, key):
    code, _, err = call(capsys, "show", key)
    assert code == 2 and "找不到編號" in err and "內部錯誤" not in err


def test_show_full_width_line_number_still_works(capsys):
    code, out, _ = call(capsys, "show", "L１５３", "--json")
    assert code == 0 and json.loads(out)["id"] == "DOC-056"


# ---------------------------------------------------------------- R7: export -o


def test_export_to_a_full_disk_keeps_the_old_file(tmp_path, capsys, monkeypatch):
    target = tmp_path / "明細表.yaml"
    target.write_text("舊的內容\n", encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli_module.os, "fsync", full)
    code, _, err = call(capsys, "export", "-o", str(target))
    assert code == EXIT_OUTPUT_FAILED == 5
    assert target.read_text(encoding="utf-8") == "舊的內容\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["明細表.yaml"]  # no temporary file left
    assert "磁碟已滿" in err and "沒有變動" in err


def test_export_replaces_atomically_and_keeps_the_mode(tmp_path, capsys):
    target = tmp_path / "明細表.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    code, _, _ = call(capsys, "export", "--format", "csv", "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("\ufeff編號")
    if sys.platform != "win32":
        assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"), reason="root")
def test_export_on_a_small_tmpfs(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        target = mount / "明細表.yaml"
        old = (ROOT / "data" / "tables.yaml").read_bytes()[:30000]
        target.write_bytes(old)
        result = run("export", "-o", str(target), cwd=tmp_path)
        assert result.returncode == EXIT_OUTPUT_FAILED, result.stderr.decode()
        assert target.read_bytes() == old and [p.name for p in mount.iterdir()] == ["明細表.yaml"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


# ---------------------------------------------------------------- R9: closed pipe, full disk


@pytest.mark.parametrize("args", [["export", "--format", "json"], ["list"],
                                  ["route", "--unit", "文書組", "--amount", "300000", "--json"]])
def test_closed_pipe_exits_141_silently(tmp_path, args):
    process = subprocess.Popen(
        [sys.executable, "-m", "approval_cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    process.stdout.close()  # the reader is gone before anything is written (as `| head -1` once done)
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == EXIT_BROKEN_PIPE == 141, stderr
    assert stderr == ""  # no message, and no "Exception ignored ... BrokenPipeError" at exit


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["list"], ["route", "--unit", "文書組", "--amount", "300000", "--json"],
                                  ["export", "--format", "csv"]])  # fmt: skip
def test_dev_full_exits_5_with_one_message(tmp_path, args):
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "approval_cli", *args], stdout=full, stderr=subprocess.PIPE,
            timeout=120, cwd=tmp_path,
        )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == EXIT_OUTPUT_FAILED, stderr
    assert "磁碟已滿" in stderr and "Traceback" not in stderr and "Exception ignored" not in stderr


# ---------------------------------------------------------------- S5: triage input


def test_triage_reads_no_more_than_its_limit(tmp_path, capsys):
    big = tmp_path / "minutes.txt"
    big.write_bytes(("會議紀錄\n" * 400_000).encode())  # ~5 MB
    code, _, err = call(capsys, "triage", str(big))
    assert code == 2 and "2 MB" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not shutil.which("prlimit"), reason="needs /dev/zero, prlimit")
def test_triage_dev_zero_under_a_memory_limit(tmp_path):
    result = subprocess.run(
        ["prlimit", "--as=2000000000", sys.executable, "-m", "approval_cli", "triage", "/dev/zero"],
        capture_output=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "2 MB" in result.stderr.decode()


# ---------------------------------------------------------------- R2: lint in the CLI


def test_lint_reports_catalogue_checks(tmp_path, capsys):
    def damage(data):
        entry(data, "DOC-055")["amount_range"]["max"] = 200000
        entry(data, "GA-001")["cosign"] = ["總務祖"]

    path = write_catalogue(tmp_path / "lint.json", damage)
    code, out, _ = call(capsys, "--catalogue", str(path), "lint", "--json")
    assert code == 0
    kinds = sorted((c["kind"], c["id"]) for c in json.loads(out)["checks"])
    assert kinds == [("overlapping_bands", "DOC-056"), ("unknown_unit", "GA-001")]
    code, out, _ = call(capsys, "--catalogue", str(path), "lint", "--strict")
    assert code == 1 and "目錄檔內容檢查：2 項" in out and "總務祖" in out
    code, out, _ = call(capsys, "lint", "--json")
    assert json.loads(out)["checks"] == []


def test_exit_codes_and_security_are_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in (0, 1, 2, 3, EXIT_OUTPUT_FAILED, 130, EXIT_BROKEN_PIPE):
        assert f"\n| {code} | " in readme, code
    assert "## 安全性（SECURITY）" in readme and "APPROVAL_CACHE_DIR" in readme


def test_export_to_a_device_writes_it_and_leaves_the_device(tmp_path):
    """export -o /dev/null writes into the device; it must never replace it with a file (as root
    that broke the system's /dev/full in a review). /dev/full: the disk-full code, device kept."""
    import stat

    for device, code in (("/dev/null", 0), ("/dev/full", EXIT_OUTPUT_FAILED)):
        result = run("export", "--format", "json", "-o", device, cwd=tmp_path)
        assert result.returncode == code, result.stderr.decode()
        assert stat.S_ISCHR(os.stat(device).st_mode), device


def test_export_through_a_symlink_writes_the_file_it_names(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("export", "--format", "json", "-o", str(link), cwd=tmp_path).returncode == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("{")
