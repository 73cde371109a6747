"""The `approval` command: parse arguments, call core, hand the result to render.

Errors become one stderr paragraph and an exit code here and nowhere else:
0 answered, 1 no match, 2 bad input (usage, amount, unit, catalogue), 3 internal error,
4 a task is found but no single decider can be named (no 核定, or a split task: route/batch),
5 the output could not be written (disk full, device error), 141 the reader closed the pipe.
Human output and messages pass through safetext.neutralise: no raw control characters.
"""

import contextlib
import copy
import errno
import os
import sys
from typing import Annotated

import typer

from approval_cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_NO_DECIDER,
    EXIT_NO_MATCH,
    EXIT_OUTPUT_FAILED,
    ApprovalError,
    OutputError,
    UsageError,
    os_reason,
)
from approval_cli.output import emit, rendered, written
from approval_cli.text.safetext import neutralise

# What the clerk meets in every answer, said once under `approval --help` (and in the README).
GLOSSARY = (
    "用語：\n"
    "・甲表：由府（市長）決行；乙表：本處內決行（至多處長）。\n"
    "・機關共同乙：各單位都有的乙表事項（議會、檔案、採購級距等），流程依單位而異。\n"
    "・第一層＝處長（秘書長），第二層＝組長或主任，第三層＝股長；「授權由第二層決行」即由組長或主任決行。\n"
    "・⚠注意：原表此列有疑義，答案本身可能不對，請查原表。ⓘ說明：原表寫法特殊，但決行者明確。\n"
    "・待查（units的欄位）：帶有⚠或ⓘ的列數。表頭未列職稱：標記落在表頭沒有職稱的欄位。\n"
    "・--debug可寫在指令前後（出錯時顯示程式追蹤）；--version顯示版本。"
)

app = typer.Typer(
    name="approval",
    help="臺北市政府秘書處分層負責明細表查詢：誰擬辦、誰陳核、誰決行。"
    "（Who drafts, who reviews and who decides, per the Secretariat's delegation-of-authority table.）",
    epilog=GLOSSARY,
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
            from approval_cli.catalogue.store import load_store

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
    from approval_cli.text.amounts import parse_amount

    return parse_amount(value)


def chosen_format(
    fmt: str, allowed: tuple[str, ...], *, json_output: bool = False, aliases: dict[str, str] | None = None
) -> str:
    """The --format asked for, lower-cased (--json wins; an alias such as md reads as markdown);
    one it does not offer is exit 2 naming those it does, in `allowed`'s order."""
    chosen = "json" if json_output else fmt.lower()
    chosen = (aliases or {}).get(chosen, chosen)
    if chosen not in allowed:
        raise UsageError(f"不支援的格式「{chosen}」。", f"可用：{'、'.join(allowed)}。")
    return chosen


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


def _print_version(value: bool) -> None:
    if value:
        from approval_cli import __version__

        sys.stdout.write(f"approval {__version__}\n")
        raise typer.Exit(0)


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
    debug: Annotated[
        bool, typer.Option("--debug", help="出錯時顯示程式追蹤資訊；也可寫在指令之後。[show tracebacks]")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="顯示版本後結束。[print the version]"
        ),
    ] = False,
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
    from approval_cli.answers.core import find

    result = find(state.store(), " ".join(query or []), unit, parse_amount_option(amount), limit)
    emit(result, "json" if json_output else "text", text=rendered("print_find", explain))
    if result["status"] != "answered":
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("route")
def route_command(
    query: Annotated[list[str] | None, typer.Argument(help="要辦的事（可省略，只給金額時視為採購）")] = None,
    unit: UnitOption = None,
    amount: AmountOption = None,
    json_output: JsonOption = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="text（預設）、slip（可貼進公文系統的簽核流程）、 markdown 或 json（同 --json）。",
        ),
    ] = "text",
    explain: ExplainOption = False,
) -> None:
    """判定某單位辦這件事要走的流程、決行者與會辦單位。[the one row that applies, after conditions]"""
    from approval_cli.answers.core import route, with_status

    fmt = chosen_format(fmt, ("text", "slip", "markdown", "json"), json_output=json_output, aliases={"md": "markdown"})
    result = with_status(route(state.store(), " ".join(query or []), unit, parse_amount_option(amount)))

    def slip(kind: str):
        def make(document: dict) -> str:
            from approval_cli.output import slip as slips

            return slips.render_slip(document) if kind == "slip" else slips.render_markdown(document)

        return written(make)

    emit(result, fmt, text=rendered("print_route", explain), slip=slip("slip"), markdown=slip("markdown"))
    if result["status"] == "needs_amount":
        from approval_cli.answers.core import unanswered

        raise UsageError(*unanswered(result))
    if result["status"] in ("no_final_approver", "choose_one"):
        raise typer.Exit(EXIT_NO_DECIDER)
    if not result["answered"]:
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("list")
def list_command(
    words: Annotated[
        list[str] | None, typer.Argument(metavar="[關鍵字]...", help="只列出含這些字的項目（每個字都要有）。")
    ] = None,
    unit: UnitOption = None,
    table: Annotated[str | None, typer.Option("--table", "-t", help="表別：甲、乙、機關共同乙。")] = None,
    approver: Annotated[
        str | None,
        typer.Option("--approver", help="決行者職稱，例如 副處長（也可寫 副秘書長）。[final approver]"),
    ] = None,
    cosign: Annotated[
        str | None, typer.Option("--cosign", "-c", help="只列出要會辦此單位的項目，例如 政風室。[co-signing unit]")
    ] = None,
    grep: Annotated[
        str | None, typer.Option("--grep", "-g", help="關鍵字，同位置參數（台／臺、簡體字都可以）。[keyword]")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """列出符合條件的項目，例如某單位由副處長決行的所有事項。[filter the catalogue]"""
    from approval_cli.answers.core import list_entries

    text = " ".join([*(words or []), *([grep] if grep else [])])
    result = list_entries(state.store(), unit, table, approver, cosign, text)
    emit(result, "json" if json_output else "text", text=rendered("print_list"))
    if not result["entries"]:
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("batch")
def batch_command(
    file: Annotated[
        str,
        typer.Argument(help="每行一件事；可寫「單位<TAB>描述」，金額寫在描述裡。空白行與 # 開頭的行略過。用 - 代表標準輸入。"),
    ] = "-",
    unit: UnitOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl（預設）或 csv（含 BOM，Excel 可直接開）。")
    ] = "jsonl",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", help="同時判定的行程數（長檔案，Linux）；預設自動（最多 2），1 表示不分工。", min=1, max=16
        ),
    ] = None,
    amount: Annotated[str | None, typer.Option("--amount", "-a", hidden=True)] = None,
) -> None:
    """整批判定：每行輸出一個 JSON 物件（JSON Lines）或一列 CSV，不漏行。[one answer per input line]"""
    from approval_cli.answers.batch import run_batch

    if amount is not None:  # find and route take --amount; a batch's amounts are in its lines
        raise UsageError(
            "整批判定的金額寫在每一行的描述裡，不能用 --amount。", "例如一行寫「文書組<Tab>採購 30萬」。"
        )

    fmt = chosen_format(fmt, ("jsonl", "csv"), aliases={"json": "jsonl"})
    code = run_batch(state.store(), file, unit, sys.stdout, fmt, jobs)
    if code:
        raise typer.Exit(code)


@app.command("units")
def units_command(json_output: JsonOption = False) -> None:
    """各單位與各表別的項目數。[units and row counts]"""
    from approval_cli.answers.core import units_summary

    rows = units_summary(state.store())
    emit(rows, "json" if json_output else "text", text=rendered("print_units"))


@app.command("show")
def show_command(
    entry_id: Annotated[
        list[str],
        typer.Argument(
            metavar="ID", help="項目編號（如 DOC-056，也可打 doc-56、DOC 56）或原表行號（如 L153、第153行）。"
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """顯示一個項目的完整內容，含原表原文。[one entry in full, with its raw source line]"""
    from approval_cli.answers.core import show, source_info

    store = state.store()
    entry = show(store, " ".join(entry_id))
    shown = {"entry": entry, "source": source_info(store)}

    def text(document: dict) -> None:
        from approval_cli.output.render import print_show

        print_show(document["entry"], document["entry"]["raw"], document["source"])

    emit(shown, "json" if json_output else "text", json_document=entry, text=text)


@app.command("export")
def export_command(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="yaml、json 或 csv（CSV 含 BOM，Excel 可直接開）。")
    ] = "yaml",
    output: Annotated[str | None, typer.Option("--output", "-o", help="寫到檔案（預設輸出到畫面）。")] = None,
) -> None:
    """匯出整份目錄。[the whole catalogue as YAML, JSON or CSV]"""
    from approval_cli.catalogue.schema import dump_json, dump_yaml, load, resolve_path

    fmt = chosen_format(fmt, ("yaml", "json", "csv"))
    catalogue = load(resolve_path(state.catalogue))
    if fmt == "yaml":
        text = dump_yaml(catalogue)
    elif fmt == "json":
        text = dump_json(catalogue)
    else:
        from approval_cli.output.render import CSV_BOM, csv_text

        text = CSV_BOM + csv_text(catalogue.model_dump(mode="json")["entries"])
    if output:
        write_atomically(output, text)
    else:
        sys.stdout.write(text)


# Write errors that mean "no room" rather than "not allowed": exit 5, not 2.
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}


def write_atomically(target: str, text: str) -> None:
    """Write a file through a temporary file in the same directory and os.replace: the old file
    stays whole if the disk fills or the run is stopped; a reader never sees half a file.

    A symbolic link is followed to the file it names (the link stays). What is not a regular file
    (/dev/null, /dev/full, a named pipe) is written directly, never replaced by a file."""
    import stat
    import tempfile

    target = os.path.realpath(target)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _write_error(target, exc) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise _write_error(target, exc) from None
        return
    if info is not None:
        mode = stat.S_IMODE(info.st_mode) & 0o666  # the file's permissions; never setuid or exec bits
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    directory = os.path.dirname(target)
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
            f"無法寫入 {target}：{os_reason(exc)}（磁碟已滿或裝置錯誤）。", "原有的檔案沒有變動；請清出空間後再試。"
        )
    return UsageError(f"無法寫入 {target}：{os_reason(exc)}。", "請確認路徑與權限。")


@app.command("import")
def import_command(
    dump: Annotated[str, typer.Argument(help="分層負責明細表的文字檔（自 PDF 轉出、以 Tab 分欄）；- 代表標準輸入。")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="寫到目錄檔（預設輸出到畫面）。[catalogue file]")
    ] = None,
    vocabulary: Annotated[
        str | None,
        typer.Option("--vocabulary", help="機關的用語檔（格式同 data/vocabulary.yaml）。[the office's vocabulary]"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml 或 json。")] = "yaml",
) -> None:
    """把某機關的分層負責明細表文字檔轉成目錄檔（可再用 --catalogue 查詢）。[dump → catalogue]"""
    from pathlib import Path

    fmt = chosen_format(fmt, ("yaml", "json"))
    vocabulary_path = Path(vocabulary) if vocabulary else None
    if vocabulary_path is not None and not vocabulary_path.is_file():
        raise UsageError(f"找不到用語檔 {vocabulary}。", "請確認 --vocabulary 的路徑。")
    try:
        raw = sys.stdin.buffer.read() if dump == "-" else Path(dump).read_bytes()
    except OSError as exc:
        raise UsageError(f"無法開啟 {dump}：{os_reason(exc)}。", "請確認檔名與權限。") from None
    from approval_cli.catalogue.importer import DumpError, import_dump, read_vocabulary
    from approval_cli.catalogue.schema import dump_json, dump_yaml

    name = "stdin" if dump == "-" else Path(dump).name
    try:
        catalogue = import_dump(raw, name, read_vocabulary(vocabulary_path))
    except DumpError as error:
        raise DumpError(f"{dump}：{error.message}", error.hint) from None
    text = dump_yaml(catalogue) if fmt == "yaml" else dump_json(catalogue)
    if not output:
        sys.stdout.write(text)
        return
    write_atomically(output, text)
    flagged = sum(1 for entry in catalogue.entries if entry.flags)
    sys.stderr.write(
        f"approval：已寫入 {output}：{catalogue.metadata.title}，{len(catalogue.metadata.units)} 個單位、"
        f"{len(catalogue.entries)} 列（{flagged} 列待查，見 approval --catalogue {output} lint）。\n"
    )


@app.command("schema")
def schema_command(
    document: Annotated[str, typer.Argument(help="find、route 或 units。")] = "route",
) -> None:
    """印出某個指令 --json 輸出的 JSON Schema（給串接的程式用）。[the JSON contract as JSON Schema]"""
    from approval_cli.results import DOCUMENTS, json_schema

    if document not in DOCUMENTS:
        raise UsageError(f"沒有「{document}」的格式說明。", f"可用：{'、'.join(DOCUMENTS)}。")
    from approval_cli.output.jsonout import write_json

    write_json(json_schema(document))


@app.command("lint")
def lint_command(
    json_output: JsonOption = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="有任何發現就以代碼 1 結束。[exit 1 on findings]")
    ] = False,
) -> None:
    """檢查目錄：列出原表有疑義的列，以及機關共同乙項目在各單位間的差異。[flagged rows, cross-unit differences]"""
    from approval_cli.answers.core import lint_report
    from approval_cli.catalogue.checks import print_checks

    report = lint_report(state.store())

    def text(document: dict) -> None:
        from approval_cli.output.render import print_lint

        print_lint(document)
        sys.stdout.flush()
        print_checks(document["checks"], sys.stdout)

    emit(report, "json" if json_output else "text", text=text)
    if strict and (report["flagged"] or report["differences"] or report["checks"]):
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("triage")
def triage_command(
    file: Annotated[str, typer.Argument(help="處務會議紀錄（純文字）；用 - 代表標準輸入。")] = "-",
    fmt: Annotated[str, typer.Option("--format", "-f", help="text、json 或 csv（CSV 含 BOM）。")] = "text",
    json_output: JsonOption = False,
) -> None:
    """整理會議紀錄：找出每項交辦事項的單位、期限與建議的分層負責項目。[route every directive in minutes]"""
    from approval_cli.answers.core import triage_record

    fmt = chosen_format(fmt, ("text", "json", "csv"), json_output=json_output)
    from approval_cli.meetings.record import MAX_RECORD_BYTES

    try:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(MAX_RECORD_BYTES + 1)  # read_record_bytes refuses more
    except OSError as exc:
        raise UsageError(f"無法開啟 {file}：{os_reason(exc)}。", "請確認檔名與權限。") from None
    record = triage_record(state.store(), data)

    def csv_text(document) -> str:
        from approval_cli.meetings.record import to_csv
        from approval_cli.output.render import CSV_BOM

        return CSV_BOM + to_csv(document)

    emit(record, fmt, json_document=record.to_dict(), text=rendered("print_triage"), csv=written(csv_text))
    from approval_cli.meetings.record import found_items

    if not found_items(item.kind for item in record.items):
        raise typer.Exit(EXIT_NO_MATCH)


@app.command("serve")
def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="監聽位址；預設只給本機（127.0.0.1），給全辦公室用請放在反向代理之後。")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="埠號。")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="行程數（每個行程各載入一份目錄）。")
    ] = 1,
    catalogue: Annotated[
        str | None, typer.Option("--catalogue", help="改用另一份目錄檔（同全域的 --catalogue）。")
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="每個請求記一行存取紀錄。")
    ] = True,
) -> None:
    """以網頁與 HTTP API 提供同樣的查詢（給不用終端機的同仁）。[the web page and HTTP API]"""
    import os

    # Load (and cache) the catalogue here, so a bad file is one message before any worker starts,
    # and each worker then reads the compiled cache instead of parsing YAML.
    if catalogue:
        state.catalogue, state._store = catalogue, None
    state.store()
    if state.catalogue:
        os.environ["APPROVAL_CATALOGUE"] = os.path.abspath(state.catalogue)
    import uvicorn

    sys.stderr.write(f"approval：網頁在 http://{host}:{port}/ （API：/api/，說明：/api/openapi.json；Ctrl-C 結束）\n")
    uvicorn.run(
        "approval_cli.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
        server_header=False,
    )


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


def _hoist_debug(args: list[str]) -> list[str]:
    """`--debug` is accepted anywhere before a `--`: moved in front of the command, where the
    app-wide option is parsed (`approval route … --debug` as the README says)."""
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[:end]:
        return args
    return ["--debug", *(arg for arg in args[:end] if arg != "--debug"), *args[end:]]


# typer's own help chrome, in the clerk's language. Set only when help is shown; a typer
# release that renames one of these simply keeps its English label.
_HELP_LABELS = {
    "ARGUMENTS_PANEL_TITLE": "參數 Arguments",
    "OPTIONS_PANEL_TITLE": "選項 Options",
    "COMMANDS_PANEL_TITLE": "指令 Commands",
    "DEFAULT_STRING": "[預設：{}]",
    "ENVVAR_STRING": "[環境變數：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
}
USAGE_PREFIX = "用法 Usage: "
_BUILT_IN_OPTION_HELP = {
    "Show this message and exit.": "顯示本說明後結束。",
    "Install completion for the current shell.": "為目前的 shell 安裝指令自動補全。",
    "Show completion for the current shell, to copy it or customize the installation.": (
        "顯示目前 shell 的自動補全設定，可複製或自行安裝。"
    ),
}


def _prepare_help() -> None:
    """Help in Traditional Chinese, and rich folds a help cell's unbroken run of CJK text onto
    the next line instead of cropping it with …. Only when help is shown, so ordinary runs never
    import rich."""
    from rich.text import Text
    from typer import rich_utils

    for name, label in _HELP_LABELS.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, label)
    _usage_in_chinese()
    original = getattr(rich_utils, "_make_rich_text", None)
    if original is None or getattr(original, "_folds", False):
        return

    def make_rich_text(*args, **kwargs):
        if kwargs.get("text") in _BUILT_IN_OPTION_HELP:
            kwargs["text"] = _BUILT_IN_OPTION_HELP[kwargs["text"]]
        text = original(*args, **kwargs)
        if isinstance(text, Text):
            text.overflow = "fold"
        return text

    make_rich_text._folds = True  # type: ignore[attr-defined]
    rich_utils._make_rich_text = make_rich_text


def _usage_in_chinese() -> None:
    """「用法 Usage:」 on help's first line (typer's copy of click writes 「Usage:」); a typer
    without that copy keeps its English line."""
    try:
        from typer._click.formatting import HelpFormatter
    except ImportError:
        return
    original = HelpFormatter.write_usage
    if getattr(original, "_chinese", False):
        return

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, USAGE_PREFIX if prefix is None else prefix)

    write_usage._chinese = True  # type: ignore[attr-defined]
    HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command the run names first: typer builds the parameters of every
    registered command before it runs one (2.2 ms for these twelve, 3 % of a warm `route`), and a
    command's help, options and errors do not depend on its siblings. Anything else (global
    options first, a mistyped or missing command, the top-level help) gets the whole app."""
    wanted = [command for command in app.registered_commands if args and command.name == args[0]]
    if not wanted:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands = wanted
    return narrowed


def main(argv: list[str] | None = None) -> None:
    """Entry point: every error becomes a message and an exit code, never a traceback."""
    args = _hoist_debug(list(sys.argv[1:] if argv is None else argv))
    if not args or any(arg in ("-h", "--help") for arg in args):
        _prepare_help()
    _utf8_streams()
    stdout = sys.stdout
    sys.stdout = _GuardedStdout(stdout)
    try:
        code = _app_for(args)(args=args, prog_name="approval", standalone_mode=False)
        sys.stdout.flush()
    except _WriteFailed as failure:
        code = _write_failed(failure.error, stdout)
    except ApprovalError as error:
        if state.debug:
            raise
        _report(error.message, error.hint)
        code = error.exit_code
    except typer.TyperException as error:  # typer's (vendored click's) usage errors
        from typer._click.exceptions import NoArgsIsHelpError

        if isinstance(error, NoArgsIsHelpError):  # bare `approval`: the help, on stdout
            sys.stdout.write(error.format_message() + "\n")
        else:
            from approval_cli.usage import translate

            message, hint = translate(error, [c.name for c in app.registered_commands if c.name])
            _report(f"用法錯誤：{message}", hint)
        code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # a bug: say so plainly, keep the traceback behind --debug
        if state.debug or "--debug" in args:
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
        f"無法寫出結果：{os_reason(error)}（磁碟已滿或裝置錯誤）。",
        "請清出空間，或把結果導向其他位置後再試。",
    )
    return EXIT_OUTPUT_FAILED
