"""The `approval` command: parse arguments, call core, hand the result to render.

Errors become one stderr paragraph and an exit code here and nowhere else:
0 answered, 1 no match, 2 bad input (usage, amount, unit, catalogue), 3 internal error,
4 the output could not be written (disk full, device error), 141 the reader closed the pipe.
Human output and messages pass through safetext.neutralise: no raw control characters.
"""

import contextlib
import errno
import os
import sys
from typing import Annotated

import typer

from .errors import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_NO_MATCH,
    EXIT_OUTPUT_FAILED,
    ApprovalError,
    OutputError,
    UsageError,
)
from .safetext import neutralise, neutralise_deep

app = typer.Typer(
    name="approval",
    help="臺北市政府秘書處分層負責明細表查詢：誰擬辦、誰陳核、誰決行。"
    "（Who drafts, who reviews and who decides, per the Secretariat's delegation-of-authority table.）",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    catalogue: str | None = None
    debug: bool = False
    _store = None

    def store(self):
        if self._store is None:
            from .store import load_store

            self._store = load_store(self.catalogue)
        return self._store


state = State()


def complete_unit(incomplete: str) -> list[str]:
    try:
        units = state.store().units
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [unit for unit in units if unit.startswith(incomplete)]


def parse_amount_option(value: str | None) -> int | None:
    if value is None:
        return None
    from .amounts import parse_amount

    return parse_amount(value)


UnitOption = Annotated[
    str | None,
    typer.Option(
        "--unit", "-u", help="單位，例如 文書組（可只打開頭：文書）。[unit]", autocompletion=complete_unit
    ),
]
AmountOption = Annotated[
    str | None,
    typer.Option("--amount", "-a", help="金額，例如 300000、30萬、三十萬元、NT$300,000。[amount, NT$]"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="輸出 JSON（給程式用）。[machine-readable]")]
ExplainOption = Annotated[bool, typer.Option("--explain", help="說明為什麼是這一列。[why this row]")]


@app.callback()
def options(
    catalogue: Annotated[
        str | None,
        typer.Option(
            "--catalogue",
            envvar="APPROVAL_CATALOGUE",
            help="改用另一份目錄檔（YAML 或 JSON，格式同內建目錄）。[another catalogue file]",
            show_envvar=True,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="出錯時顯示程式追蹤資訊。[show tracebacks]")] = False,
) -> None:
    state.catalogue = catalogue
    state.debug = debug
    state._store = None


@app.command("find")
def find_command(
    query: Annotated[list[str] | None, typer.Argument(help="要辦的事，例如：採購 30萬")] = None,
    unit: UnitOption = None,
    amount: AmountOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="最多列出幾筆。")] = 10,
    json_output: JsonOption = False,
    explain: ExplainOption = False,
) -> None:
    """依描述找出最相符的項目，列出排名。[ranked rows for a task description]"""
    from .core import find

    result = find(state.store(), " ".join(query or []), unit, parse_amount_option(amount), limit)
    if json_output:
        from .jsonout import write_json

        write_json(result)
    else:
        from .render import print_find

        print_find(neutralise_deep(result), explain)
    if not result["matches"]:
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("route")
def route_command(
    query: Annotated[list[str] | None, typer.Argument(help="要辦的事（可省略，只給金額時視為採購）")] = None,
    unit: UnitOption = None,
    amount: AmountOption = None,
    json_output: JsonOption = False,
    explain: ExplainOption = False,
) -> None:
    """判定某單位辦這件事要走的流程、決行者與會辦單位。[the one row that applies, after conditions]"""
    from .core import route

    result = route(state.store(), " ".join(query or []), unit, parse_amount_option(amount))
    if json_output:
        from .jsonout import write_json

        write_json(result)
    else:
        from .render import print_route

        print_route(neutralise_deep(result), explain)
    if result["match"] is None:
        if result["reason"] == "needs_amount":
            from .core import unanswered

            raise UsageError(*unanswered(result))
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("list")
def list_command(
    unit: UnitOption = None,
    table: Annotated[str | None, typer.Option("--table", "-t", help="表別：甲、乙、機關共同乙。")] = None,
    approver: Annotated[
        str | None,
        typer.Option("--approver", help="決行者職稱，例如 副處長（也可寫 副秘書長）。[final approver]"),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """列出符合條件的項目，例如某單位由副處長決行的所有事項。[filter the catalogue]"""
    from .core import list_entries

    result = list_entries(state.store(), unit, table, approver)
    if json_output:
        from .jsonout import write_json

        write_json(result)
    else:
        from .render import print_list

        print_list(neutralise_deep(result))
    if not result["entries"]:
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("batch")
def batch_command(
    file: Annotated[str, typer.Argument(help="每行一件事；可寫「單位<TAB>描述」。用 - 代表標準輸入。")] = "-",
    unit: UnitOption = None,
) -> None:
    """整批判定：每行輸出一個 JSON 物件（JSON Lines），不漏行。[one JSON line per input line]"""
    from .batch import run_batch

    code = run_batch(state.store(), file, unit, sys.stdout)
    if code:
        raise typer.Exit(code)


@app.command("units")
def units_command(json_output: JsonOption = False) -> None:
    """各單位與各表別的項目數。[units and row counts]"""
    from .core import units_summary

    rows = units_summary(state.store())
    if json_output:
        from .jsonout import write_json

        write_json(rows)
    else:
        from .render import print_units

        print_units(neutralise_deep(rows))


@app.command("show")
def show_command(
    entry_id: Annotated[
        str, typer.Argument(metavar="ID", help="項目編號（如 DOC-056）或原表行號（如 L153）。")
    ],
    json_output: JsonOption = False,
) -> None:
    """顯示一個項目的完整內容，含原表原文。[one entry in full, with its raw source line]"""
    from .core import show, source_info

    number = entry_id.strip().upper().removeprefix("L")
    if number.isdigit() and (not number.isdecimal() or len(number) > 10):
        # ² and ① are digits int() refuses; 4,301 digits pass Python's int-conversion limit.
        raise UsageError(f"找不到編號「{entry_id}」。", "原表行號請寫數字，例如 L153；編號像 DOC-056。")
    store = state.store()
    entry = show(store, entry_id)
    if json_output:
        from .jsonout import write_json

        write_json(entry)
    else:
        from .render import print_show

        entry = neutralise_deep(entry)
        print_show(entry, entry["raw"], neutralise_deep(source_info(store)))


@app.command("export")
def export_command(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="yaml、json 或 csv（CSV 含 BOM，Excel 可直接開）。")
    ] = "yaml",
    output: Annotated[str | None, typer.Option("--output", "-o", help="寫到檔案（預設輸出到畫面）。")] = None,
) -> None:
    """匯出整份目錄。[the whole catalogue as YAML, JSON or CSV]"""
    from .catalogue import dump_json, dump_yaml, load, resolve_path

    fmt = fmt.lower()
    if fmt not in ("yaml", "json", "csv"):
        raise UsageError(f"不支援的格式「{fmt}」。", "可用：yaml、json、csv。")
    catalogue = load(resolve_path(state.catalogue))
    if fmt == "yaml":
        text = dump_yaml(catalogue)
    elif fmt == "json":
        text = dump_json(catalogue)
    else:
        from .render import CSV_BOM, csv_text

        text = CSV_BOM + csv_text(catalogue.model_dump(mode="json")["entries"])
    if output:
        write_atomically(output, text)
    else:
        sys.stdout.write(text)


# Write errors that mean "no room" rather than "not allowed": exit 4, not 2.
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}


def write_atomically(target: str, text: str) -> None:
    """Write a file through a temporary file in the same directory and os.replace: the old file
    stays whole if the disk fills or the run is stopped; a reader never sees half a file."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777  # keep an existing file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise _write_error(target, exc) from None


def _write_error(target: str, exc: OSError) -> ApprovalError:
    if exc.errno in _NO_ROOM:
        return OutputError(
            f"無法寫入 {target}：{exc.strerror}（磁碟已滿或裝置錯誤）。", "原有的檔案沒有變動；請清出空間後再試。"
        )
    return UsageError(f"無法寫入 {target}：{exc.strerror}。", "請確認路徑與權限。")


@app.command("lint")
def lint_command(
    json_output: JsonOption = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="有任何發現就以代碼 1 結束。[exit 1 on findings]")
    ] = False,
) -> None:
    """檢查目錄：列出原表有疑義的列，以及機關共同乙項目在各單位間的差異。[flagged rows, cross-unit differences]"""
    from .checks import lint_checks, print_checks
    from .core import lint_report

    store = state.store()
    report = lint_report(store)
    report["checks"] = lint_checks(store.entries, store.metadata)
    if json_output:
        from .jsonout import write_json

        write_json(report)
    else:
        from .render import print_lint

        report = neutralise_deep(report)
        print_lint(report)
        sys.stdout.flush()
        print_checks(report["checks"], sys.stdout)
    if strict and (report["flagged"] or report["differences"] or report["checks"]):
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("triage")
def triage_command(
    file: Annotated[str, typer.Argument(help="處務會議紀錄（純文字）；用 - 代表標準輸入。")] = "-",
    fmt: Annotated[str, typer.Option("--format", "-f", help="text、json 或 csv（CSV 含 BOM）。")] = "text",
    json_output: JsonOption = False,
) -> None:
    """整理會議紀錄：找出每項交辦事項的單位、期限與建議的分層負責項目。[route every directive in minutes]"""
    from .core import triage_record

    fmt = "json" if json_output else fmt.lower()
    if fmt not in ("text", "json", "csv"):
        raise UsageError(f"不支援的格式「{fmt}」。", "可用：text、json、csv。")
    from .triage import MAX_RECORD_BYTES

    try:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(MAX_RECORD_BYTES + 1)  # read_record_bytes refuses more
    except OSError as exc:
        raise UsageError(f"無法開啟 {file}：{exc.strerror}。", "請確認檔名與權限。") from None
    record = triage_record(state.store(), data)
    if fmt == "json":
        from .jsonout import write_json

        write_json(record.to_dict())
    elif fmt == "csv":
        from .render import CSV_BOM
        from .triage import to_csv

        sys.stdout.write(CSV_BOM + to_csv(record))
    else:
        from .render import print_triage

        print_triage(neutralise_deep(record))
    if not record.items:
        raise typer.Exit(EXIT_NO_MATCH)


def _report(message: str, hint: str | None = None) -> None:
    try:
        sys.stderr.write(f"approval：{neutralise(message)}\n")
        if hint:
            sys.stderr.write(f"  {neutralise(hint)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code still says it


def _utf8_streams() -> None:
    """Output that works whatever the console's encoding.

    A file or pipe gets UTF-8 (what the CSV's BOM promises and JSON readers expect), also when
    the locale says cp950 or PYTHONIOENCODING does; a terminal keeps its own encoding, with
    anything it cannot show replaced rather than a crash. Windows consoles are UTF-8 already.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        try:
            if encoding != "utf8" and not stream.isatty():
                stream.reconfigure(encoding="utf-8", errors="replace")
            elif stream.errors == "strict":
                stream.reconfigure(errors="replace")
        except (OSError, ValueError):
            pass


class _WriteFailed(Exception):
    """An OSError writing stdout, carried past typer, which would turn EPIPE into exit 1."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedStdout:
    """sys.stdout while a command runs: write errors become _WriteFailed."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _WriteFailed(error) from error

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _WriteFailed(error) from error

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _closed_pipe(error: OSError) -> bool:
    return isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE or (
        sys.platform == "win32" and error.errno == errno.EINVAL
    )


def _discard_stdout(stream) -> None:
    """Point stdout at the null device, so the flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error becomes a message and an exit code, never a traceback."""
    _utf8_streams()
    stdout = sys.stdout
    sys.stdout = _GuardedStdout(stdout)
    try:
        code = app(args=argv, prog_name="approval", standalone_mode=False)
        sys.stdout.flush()
    except _WriteFailed as failure:
        code = _write_failed(failure.error, stdout)
    except ApprovalError as error:
        if state.debug:
            raise
        _report(error.message, error.hint)
        code = error.exit_code
    except typer.TyperException as error:  # typer's (vendored click's) usage errors
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        if message.strip():  # bare `approval` prints the help itself, with an empty message
            _report(f"用法錯誤：{message}", "用 approval --help 或 approval 指令 --help 查看用法。")
        code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # a bug: say so plainly, keep the traceback behind --debug
        if state.debug or "--debug" in (argv or sys.argv):
            raise
        _report(
            f"程式內部錯誤（{type(error).__name__}：{error}）。",
            "請加上 --debug 重跑，並把訊息回報給維護者。",
        )
        code = EXIT_INTERNAL
    finally:
        sys.stdout = stdout
    try:
        sys.stdout.flush()
    except OSError as error:
        code = _write_failed(error, stdout)
    sys.exit(code or 0)


def _write_failed(error: OSError, stdout) -> int:
    _discard_stdout(stdout)
    if _closed_pipe(error):
        return EXIT_BROKEN_PIPE  # the reader has what it wanted (`| head -1`): nothing to say
    _report(
        f"無法寫出結果：{error.strerror or error}（磁碟已滿或裝置錯誤）。",
        "請清出空間，或把結果導向其他位置後再試。",
    )
    return EXIT_OUTPUT_FAILED
