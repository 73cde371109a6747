"""`approval serve`: the command line's answers as an HTTP API and a page, over the same library.

Every /api/ endpoint returns exactly the document `approval <command> --json` prints for the
same question, and maps the command's exit code onto HTTP:

    exit 0 (answered)                          -> 200, the document
    exit 4 (found, no single decider)          -> 200, the document (it says answered: false)
    exit 1 (no match)                          -> 404, the same document
    exit 2 (bad input: amount, unit, id, ...)  -> 400, {"error": message, "hint": hint}
    a parameter the API does not know, a repeated one, a bad limit or format
                                               -> 422, {"error": ..., "hint": ...}
    a value longer than MAX_TEXT, a query string over MAX_QUERY  -> 400; a triage body over MAX_BODY -> 413

The app is read-only and holds no state but the catalogue it loaded at start (one per worker
process); it takes no file path from a request. The page (static/) is served by the app itself:
no CDN, no inline script, so the Content-Security-Policy can be default-src 'self'.
"""

from __future__ import annotations

import contextlib
import logging
import os
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import approval_cli as approval
from approval_cli.meetings.record import found_items

logger = logging.getLogger("approval.web")

MAX_TEXT = 200  # characters in one query parameter (q, unit, amount, ...) or a show id
MAX_QUERY = 2048  # bytes in the whole query string
MAX_BODY = 2 * 1024 * 1024  # bytes in a triage body

FIND_PARAMS = ("q", "unit", "amount", "limit")
ROUTE_PARAMS = ("q", "unit", "amount", "format")
LIST_PARAMS = ("q", "grep", "unit", "table", "approver", "cosign")
ROUTE_FORMATS = ("json", "slip", "markdown")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}

# Queries that make a fresh worker load what the matcher loads lazily (jieba for long sentences,
# pypinyin for homophones, OpenCC for Simplified characters), so its first clerk waits no longer
# than its thousandth. The answers are discarded.
WARM_UP = (
    ("市長室收到民眾陳情副知本處", "文書組"),
    ("採構 30萬", "文書組"),
    ("采购 硬盘报废", "文書組"),
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware): headers on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error_response(status: int, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "hint": hint}, status_code=status)


def params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's parameters, checked: known names, each once, none too long. Empty means absent."""
    if len(request.scope.get("query_string", b"")) > MAX_QUERY:
        raise ApiError(400, f"查詢字串太長（超過 {MAX_QUERY} 位元組）。", "請縮短描述。")
    out: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise ApiError(
                422, f"不認得的參數「{name[:40]}」。", "可用：" + "、".join(allowed) + "。" if allowed else "這個端點不收參數。"
            )
        if name in out:
            raise ApiError(422, f"參數「{name}」重複。", "每個參數只給一次。")
        if len(value) > MAX_TEXT:
            raise ApiError(400, f"參數「{name}」太長（{len(value)} 字，上限 {MAX_TEXT} 字）。", "請縮短描述。")
        out[name] = value.strip()
    return {name: value for name, value in out.items() if value}


def amount_of(value: str | None) -> int | None:
    """--amount as the command line reads it (30萬, 三十萬元, NT$300,000); a bad one is exit 2 there."""
    return approval.parse_amount(value) if value else None


def _record_too_large() -> ApiError:
    return ApiError(413, f"會議紀錄太大（上限 {MAX_BODY // 1024 // 1024} MB）。", "請分段貼上。")


class Api:
    """The endpoints over one loaded catalogue."""

    def __init__(self, catalogue: Any) -> None:
        self.catalogue = catalogue
        self.entries = len(catalogue.entries)  # every row belongs to a unit: the units' totals add up to it

    async def find(self, request: Request) -> Response:
        p = params(request, FIND_PARAMS)
        limit = 10
        if "limit" in p:
            if not p["limit"].isdigit() or not 1 <= int(p["limit"]) <= 200:
                raise ApiError(422, f"limit 必須是 1 到 200 的整數，不是「{p['limit'][:20]}」。", "例如 limit=10。")
            limit = int(p["limit"])
        doc = approval.find(self.catalogue, p.get("q", ""), p.get("unit"), amount_of(p.get("amount")), limit)
        return JSONResponse(doc, status_code=200 if doc["status"] == "answered" else 404)

    async def route(self, request: Request) -> Response:
        p = params(request, ROUTE_PARAMS)
        fmt = {"md": "markdown"}.get(p.get("format", "json").lower(), p.get("format", "json").lower())
        if fmt not in ROUTE_FORMATS:
            raise ApiError(422, f"不支援的格式「{fmt[:20]}」。", "可用：json、slip、markdown。")
        doc = approval.route(self.catalogue, p.get("q", ""), unit=p.get("unit"), amount=amount_of(p.get("amount")))
        status = doc["status"]
        if status == "needs_amount":  # the command line exits 2 here: bad input, say what is missing
            message, hint = approval.explain(doc)
            return error_response(400, message, hint)
        code = 200 if doc["answered"] or status in ("no_final_approver", "choose_one") else 404
        if fmt != "json":
            return PlainTextResponse(approval.routing_slip(doc, fmt), status_code=code)
        return JSONResponse(doc, status_code=code)

    async def list(self, request: Request) -> Response:
        p = params(request, LIST_PARAMS)
        text = " ".join(p[name] for name in ("q", "grep") if name in p)
        doc = approval.list_entries(
            self.catalogue, p.get("unit"), p.get("table"), p.get("approver"), p.get("cosign"), text
        )
        return JSONResponse(doc, status_code=200 if doc["entries"] else 404)

    async def show(self, request: Request) -> Response:
        params(request, ())
        key = request.path_params["key"]
        if len(key) > MAX_TEXT:
            raise ApiError(400, f"編號太長（{len(key)} 字，上限 {MAX_TEXT} 字）。", "編號像 DOC-056，或原表行號 L153。")
        return JSONResponse(approval.show(self.catalogue, key))

    async def units(self, request: Request) -> Response:
        params(request, ())
        return JSONResponse(approval.units(self.catalogue))

    async def lint(self, request: Request) -> Response:
        params(request, ())
        return JSONResponse(approval.lint(self.catalogue))

    async def triage(self, request: Request) -> Response:
        params(request, ())
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise _record_too_large()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise _record_too_large()
        if not bytes(body).strip():
            raise ApiError(400, "沒有收到會議紀錄。", "請把紀錄的文字放在請求本文（POST body）。")
        # A long record takes a while: off the event loop, so other requests are not held up.
        doc = await run_in_threadpool(approval.triage, self.catalogue, bytes(body))
        return JSONResponse(doc, status_code=200 if found_items(item["kind"] for item in doc["items"]) else 404)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": approval.__version__, "entries": self.entries})

    async def openapi(self, request: Request) -> Response:
        from .openapi import spec

        return JSONResponse(spec())


def _static(name: str) -> bytes:
    return resources.files("approval_cli.web").joinpath("static", name).read_bytes()


def guarded(handler: Any) -> Any:
    """Errors a clerk can act on become 400/413/422 JSON; anything else a 500 that says so plainly."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.message, error.hint)
        except approval.ApprovalError as error:
            return error_response(400, error.message, error.hint)
        except Exception as error:  # a bug: logged with its traceback, the client gets a plain 500
            logger.exception("internal error on %s", request.url.path)
            return await internal_error(request, error)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def internal_error(request: Request, exc: Exception) -> Response:
    return error_response(500, f"程式內部錯誤（{type(exc).__name__}）。", "請把發生的時間與查詢告知維護者。")


def create_app(catalogue: Any = None, *, warm: bool = False) -> Starlette:
    """The ASGI app over `catalogue` (a loaded catalogue, a path, or None for APPROVAL_CATALOGUE
    or the built-in one). `warm` runs a few queries first so lazily loaded parts are in memory."""
    if catalogue is None or isinstance(catalogue, str | os.PathLike):
        catalogue = approval.load_catalogue(catalogue)
    if warm:
        for text, unit in WARM_UP:
            # Another catalogue may lack the unit: warming up is best effort.
            with contextlib.suppress(approval.ApprovalError):
                approval.route(catalogue, text, unit=unit)
    api = Api(catalogue)
    files = {name: _static(name) for name in STATIC_FILES}

    def static(name: str) -> Any:
        async def serve_file(request: Request) -> Response:
            return Response(files[name], media_type=STATIC_FILES[name], headers={"cache-control": "no-cache"})

        return serve_file

    async def no_favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", static("index.html"), methods=["GET"]),
        Route("/static/app.js", static("app.js"), methods=["GET"]),
        Route("/static/app.css", static("app.css"), methods=["GET"]),
        Route("/favicon.ico", no_favicon, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/api/openapi.json", api.openapi, methods=["GET"]),
        Route("/api/find", guarded(api.find), methods=["GET"]),
        Route("/api/route", guarded(api.route), methods=["GET"]),
        Route("/api/list", guarded(api.list), methods=["GET"]),
        Route("/api/show/{key}", guarded(api.show), methods=["GET"]),
        Route("/api/units", guarded(api.units), methods=["GET"]),
        Route("/api/lint", guarded(api.lint), methods=["GET"]),
        Route("/api/triage", guarded(api.triage), methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: internal_error})
    app.add_middleware(SecurityHeaders)
    app.state.catalogue = catalogue
    return app


def app_from_env() -> Starlette:
    """The factory `approval serve` hands uvicorn: each worker loads the catalogue the parent chose
    (APPROVAL_CATALOGUE, already validated and cached by the parent) and warms up."""
    return create_app(None, warm=True)
