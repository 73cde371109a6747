"""approval: who drafts, who reviews and who decides, per the 臺北市政府秘書處 分層負責明細表.

The library API, for scripts that import the package instead of shelling out. Each function
returns exactly the document the command's `--json` prints:

    import approval_cli as approval

    catalogue = approval.load_catalogue()            # the built-in catalogue (or a path)
    approval.route(catalogue, "採購 30萬", unit="文書組")["final_approver"]    # '副處長'
    approval.find(catalogue, "議員索取資料")["matches"][0]["id"]
    approval.triage(catalogue, open("紀錄.txt", "rb").read())["items"]

Bad input raises approval_cli.ApprovalError (with .message, .hint, .exit_code). Names are
imported on first use, so `import approval_cli` costs nothing on the command line's hot path.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "ApprovalError",
    "__version__",
    "explain",
    "find",
    "lint",
    "list_entries",
    "load_catalogue",
    "parse_amount",
    "route",
    "routing_slip",
    "show",
    "triage",
    "units",
]


def load_catalogue(path: str | None = None) -> Any:
    """The catalogue ready for lookups: the built-in one, or the YAML/JSON file at `path`."""
    from approval_cli.catalogue.store import load_store

    return load_store(path)


def find(catalogue: Any, text: str, unit: str | None = None, amount: int | None = None, limit: int = 10) -> dict:
    """Rows ranked for a description (`approval find --json`)."""
    from approval_cli.answers.core import find as _find

    return _find(catalogue, text, unit, amount, limit)


def route(catalogue: Any, text: str = "", unit: str | None = None, amount: int | None = None) -> dict:
    """The one row that applies for a unit, after conditions (`approval route --json`)."""
    from approval_cli.answers.core import route as _route
    from approval_cli.answers.core import with_status

    return with_status(_route(catalogue, text, unit, amount))


def list_entries(
    catalogue: Any,
    unit: str | None = None,
    table: str | None = None,
    approver: str | None = None,
    cosign: str | None = None,
    text: str | None = None,
) -> dict:
    """Rows by unit, 表別, final approver, co-signing unit and words (`approval list --json`)."""
    from approval_cli.answers.core import list_entries as _list

    return _list(catalogue, unit, table, approver, cosign, text)


def show(catalogue: Any, key: str) -> dict:
    """One row by id (DOC-056) or source line (L153) (`approval show --json`)."""
    from approval_cli.answers.core import show as _show

    return _show(catalogue, key)


def units(catalogue: Any) -> list[dict]:
    """Units and their row counts (`approval units --json`)."""
    from approval_cli.answers.core import units_summary

    return units_summary(catalogue)


def lint(catalogue: Any) -> dict:
    """Flagged rows and cross-unit differences (`approval lint --json`)."""
    from approval_cli.answers.core import lint_report

    return lint_report(catalogue)


def triage(catalogue: Any, record: bytes | str) -> dict:
    """A meeting record's directives, each with its suggested rows (`approval triage --json`)."""
    from approval_cli.answers.core import triage_record

    data = record.encode("utf-8") if isinstance(record, str) else record
    return triage_record(catalogue, data).to_dict()


def explain(route_document: dict) -> tuple[str, str | None]:
    """Why a route document names no single decider: the sentence and hint the command line
    prints to stderr (for needs_amount, the exit-2 message)."""
    from approval_cli.answers.core import unanswered

    return unanswered(route_document)


def routing_slip(route_document: dict, fmt: str = "slip") -> str:
    """A route document as `approval route --format slip` (or `markdown`) prints it."""
    from approval_cli.output.slip import render_markdown, render_slip

    return render_markdown(route_document) if fmt == "markdown" else render_slip(route_document)


def parse_amount(text: str) -> int:
    """An amount as clerks write it (30萬, 三十萬元, NT$300,000) in whole NT$."""
    from approval_cli.text.amounts import parse_amount as _parse

    return _parse(text)


def __getattr__(name: str) -> Any:
    if name == "ApprovalError":
        from approval_cli.errors import ApprovalError

        return ApprovalError
    raise AttributeError(f"module 'approval_cli' has no attribute {name!r}")
