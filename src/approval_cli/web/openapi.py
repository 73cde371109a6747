"""The OpenAPI description served at /api/openapi.json, written by hand to say what the code does:
each endpoint's parameters as the command line names them and the exit-code → HTTP mapping."""

from __future__ import annotations

from approval_cli import __version__

_TEXT = {"type": "string", "maxLength": 200}
_DOC = {"type": "object", "description": "The same document `approval <command> --json` prints."}
_ERROR = {
    "type": "object",
    "required": ["error", "hint"],
    "properties": {"error": {"type": "string"}, "hint": {"type": ["string", "null"]}},
}


def _param(name: str, description: str, schema: dict | None = None, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema or _TEXT}  # fmt: skip


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(*, not_found: str | None = None, bad_input: bool = True, extra: dict | None = None) -> dict:
    out = {"200": _json("Answered (exit 0), or found without a single decider (exit 4: answered false).", _DOC)}
    if not_found:
        out["404"] = _json(f"No match (exit 1): {not_found}; the body is the same document.", _DOC)
    if bad_input:
        out["400"] = _json("Bad input (exit 2), or a value over 200 characters: the command line's message.", _ERROR)
    out["422"] = _json("A parameter the endpoint does not take, a repeated one, or a bad limit/format.", _ERROR)
    out.update(extra or {})
    return out


Q = _param("q", "The task as a clerk writes it (the command's words), e.g. 採購 30萬.")
UNIT = _param("unit", "--unit: 文書組, or a short form (文書, 國際組).")
AMOUNT = _param("amount", "--amount: 300000, 30萬, 三十萬元, NT$300,000.")


def spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "approval — 臺北市政府秘書處分層負責明細表查詢",
            "version": __version__,
            "description": "Each endpoint returns exactly the document of `approval <command> --json` for the "
            "same question. Exit codes map onto HTTP: 0 → 200; 4 (found, no single decider: status "
            "no_final_approver or choose_one) → 200 with answered false; 1 (no match) → 404 with the same "
            "document; 2 (bad input) → 400 {error, hint}; parameter validation → 422 {error, hint}; "
            "a triage body over 2 MB → 413.",
        },
        "paths": {
            "/api/find": {"get": {
                "summary": "Rows ranked for a description (approval find --json).",
                "parameters": [Q, UNIT, AMOUNT,
                               _param("limit", "--limit: 1–200 (default 10).", {"type": "integer", "minimum": 1,
                                                                               "maximum": 200})],
                "responses": _responses(not_found="nothing clears the bar; matches are the nearest rows"),
            }},
            "/api/route": {"get": {
                "summary": "The row that applies for a unit, after conditions (approval route --json).",
                "description": "status needs_amount (exit 2) is a 400 with the command line's message. "
                "format=slip|markdown returns the routing slip as text/plain (route --format slip).",
                "parameters": [Q, UNIT, AMOUNT,
                               _param("format", "json (default), slip or markdown.",
                                      {"type": "string", "enum": ["json", "slip", "markdown"]})],
                "responses": _responses(not_found="no_row_in_unit or amount_outside_bands"),
            }},
            "/api/list": {"get": {
                "summary": "Rows by unit, 表別, decider, co-signing unit, keywords (approval list --json).",
                "parameters": [_param("q", "Keywords (the command's words); every one must match."),
                               _param("grep", "--grep: one more keyword."), UNIT,
                               _param("table", "--table: 甲, 乙 or 機關共同乙."),
                               _param("approver", "--approver: 副處長 (or 副秘書長)."),
                               _param("cosign", "--cosign: a co-signing unit, e.g. 政風室.")],
                "responses": _responses(not_found="no row passes the filters"),
            }},
            "/api/show/{key}": {"get": {
                "summary": "One row by id (DOC-056, doc-56) or source line (L153) (approval show --json).",
                "description": "An id that does not exist is bad input (exit 2): 400 with the nearest ids.",
                "parameters": [_param("key", "Row id or source line.", where="path")],
                "responses": _responses(),
            }},
            "/api/units": {"get": {"summary": "Units and their row counts (approval units --json).",
                                   "responses": _responses(bad_input=False)}},
            "/api/lint": {"get": {"summary": "Flagged rows and cross-unit differences (approval lint --json).",
                                  "responses": _responses(bad_input=False)}},
            "/api/triage": {"post": {
                "summary": "A meeting record's directives with suggested rows (approval triage --json).",
                "requestBody": {"required": True, "description": "The record's text as the body (UTF-8 or "
                                "Big5, as the command reads a file), at most 2 MB.",
                                "content": {"text/plain": {"schema": {"type": "string"}},
                                            "application/octet-stream": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}},
                "responses": _responses(not_found="no directive found",
                                        extra={"413": _json("The body is over 2 MB.", _ERROR)}),
            }},
            "/healthz": {"get": {"summary": "Liveness: the worker is up and its catalogue loaded.",
                                 "responses": {"200": _json("ok", {"type": "object"})}}},
            "/api/openapi.json": {"get": {"summary": "This description.",
                                          "responses": {"200": _json("OpenAPI 3.1", {"type": "object"})}}},
        },
    }  # fmt: skip
