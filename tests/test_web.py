"""`approval serve`: the HTTP API and the page, in-process through Starlette's TestClient.

The API's documents are compared with the command line's --json for the same question (that
comparison is the point: one schema, one source of truth). Other expectations come from the dump
(data/source/000_e869757213248338.txt): line 153 is 文書組's 採購 band 逾15萬–50萬, decided by
副處長 with 總務組 會計室 政風室 co-signing; line 152 is the band up to 15萬 (專門委員, 1萬5,000元以下免會政風室);
lines 149–150 are 文書組's 議會案件 rows without 核定; lines 169–170 split 姐妹市 into 政策性 (市長)
and 事務性 (組長); line 137 is 文書組's 硬碟報廢, a task 總務組 does not have.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

# starlette ≥ 1.x suggests httpx2 for its TestClient; httpx still works and is what the test extra installs.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from approval_cli.cli import main  # noqa: E402
from approval_cli.web.app import MAX_BODY, MAX_TEXT, create_app  # noqa: E402
from approval_cli.web.openapi import spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "approval_cli" / "web" / "static"
MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as test_client:
        yield test_client


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def cli_error(err: str) -> tuple[str, str | None]:
    """The command line's stderr paragraph: `approval：message` and an indented hint."""
    lines = err.splitlines()
    message = lines[0].removeprefix("approval：")
    hint = lines[1].strip() if len(lines) > 1 else None
    return message, hint


# ---------------------------------------------------------------- one document for both

# (API path and parameters, the same question on the command line, the HTTP status, the exit code)
SAME_QUESTIONS = [
    ("/api/route", {"unit": "文書組", "amount": "30萬"}, ["route", "--unit", "文書組", "--amount", "30萬"], 200, 0),
    ("/api/route", {"q": "文書組 採購 30萬"}, ["route", "文書組", "採購", "30萬"], 200, 0),
    ("/api/route", {"unit": "文書組", "amount": "1萬"}, ["route", "--unit", "文書組", "--amount", "1萬"], 200, 0),
    ("/api/route", {"q": "議員索取資料", "unit": "文書組"}, ["route", "--unit", "文書組", "議員索取資料"], 200, 4),
    ("/api/route", {"q": "姊妹市", "unit": "國際事務組"}, ["route", "--unit", "國際事務組", "姊妹市"], 200, 4),
    ("/api/route", {"q": "硬碟報廢", "unit": "總務組"}, ["route", "--unit", "總務組", "硬碟報廢"], 404, 1),
    ("/api/find", {"q": "議員索取資料"}, ["find", "議員索取資料"], 200, 0),
    ("/api/find", {"q": "採購", "amount": "30萬", "limit": "3"}, ["find", "採購", "--amount", "30萬", "-n", "3"], 200, 0),
    ("/api/find", {"q": "太空梭發射"}, ["find", "太空梭發射"], 404, 1),
    ("/api/list", {"unit": "文書組", "approver": "副秘書長"}, ["list", "--unit", "文書組", "--approver", "副秘書長"], 200, 0),
    ("/api/list", {"cosign": "政風室", "q": "採購"}, ["list", "--cosign", "政風室", "採購"], 200, 0),
    ("/api/list", {"grep": "太空梭"}, ["list", "--grep", "太空梭"], 404, 1),
    ("/api/show/doc-56", {}, ["show", "doc-56"], 200, 0),
    ("/api/show/L153", {}, ["show", "L153"], 200, 0),
    ("/api/units", {}, ["units"], 200, 0),
    ("/api/lint", {}, ["lint"], 200, 0),
]


@pytest.mark.parametrize(("path", "query", "args", "status", "code"), SAME_QUESTIONS)
def test_api_document_is_the_cli_json(client, capsys, path, query, args, status, code):
    response = client.get(path, params=query)
    exit_code, out, _ = cli(capsys, *args, "--json")
    assert (response.status_code, exit_code) == (status, code)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(out)


def test_triage_document_is_the_cli_json(client, capsys):
    response = client.post("/api/triage", content=MINUTES.read_bytes())
    exit_code, out, _ = cli(capsys, "triage", str(MINUTES), "--json")
    assert (response.status_code, exit_code) == (200, 0)
    assert response.json() == json.loads(out)


BAD_INPUT = [
    ("/api/route", {"q": "採購", "unit": "文書組"}, ["route", "--unit", "文書組", "採購"]),  # needs_amount
    ("/api/route", {"q": "採購"}, ["route", "採購"]),  # no unit
    ("/api/route", {"unit": "文書組", "amount": "很多錢"}, ["route", "--unit", "文書組", "--amount", "很多錢"]),
    ("/api/route", {"unit": "文書祖", "amount": "30萬"}, ["route", "--unit", "文書祖", "--amount", "30萬"]),
    ("/api/find", {"q": "採購", "unit": "不存在組"}, ["find", "採購", "--unit", "不存在組"]),
    ("/api/list", {"table": "丙"}, ["list", "--table", "丙"]),
    ("/api/show/ZZZ-999", {}, ["show", "ZZZ-999"]),
]


@pytest.mark.parametrize(("path", "query", "args"), BAD_INPUT)
def test_bad_input_is_400_with_the_cli_message(client, capsys, path, query, args):
    response = client.get(path, params=query)
    exit_code, _, err = cli(capsys, *args, "--json")
    assert (response.status_code, exit_code) == (400, 2)
    message, hint = cli_error(err)
    assert response.json() == {"error": message, "hint": hint}


def test_no_decider_is_200_and_says_answered_false(client):
    # Dump lines 149–150: 文書組's 議會案件 rows have no 核定.
    doc = client.get("/api/route", params={"q": "議員索取資料", "unit": "文書組"}).json()
    assert (doc["answered"], doc["status"], doc["final_approver"]) == (False, "no_final_approver", None)
    assert doc["match"]["source_line"] in (149, 150)
    # Dump lines 169–170: 姐妹市 政策性 → 市長, 事務性 → 組長.
    doc = client.get("/api/route", params={"q": "姊妹市", "unit": "國際事務組"}).json()
    assert (doc["answered"], doc["status"]) == (False, "choose_one")
    assert {(c["source_line"], c["final_approver"]) for c in doc["choices"]} == {(169, "市長"), (170, "組長")}


def test_route_answer_follows_the_dump(client):
    doc = client.get("/api/route", params={"unit": "文書組", "amount": "300000"}).json()
    assert doc["match"]["source_line"] == 153
    assert [step["role"] for step in doc["chain"]] == ["承辦人員", "股長", "專員", "組長", "專門委員", "副處長"]
    assert doc["final_approver"] == "副處長"
    assert doc["cosign_required"] == ["總務組", "會計室", "政風室"]
    # Line 152: at or under 15,000 政風室 need not co-sign.
    doc = client.get("/api/route", params={"unit": "文書組", "amount": "1萬"}).json()
    assert doc["match"]["source_line"] == 152
    assert [w["unit"] for w in doc["cosign_waived"]] == ["政風室"]


def test_route_slip_is_the_cli_slip(client, capsys):
    response = client.get("/api/route", params={"unit": "文書組", "amount": "30萬", "format": "slip"})
    _, out, _ = cli(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "slip")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == out
    assert "決行：副處長（副秘書長）" in response.text
    markdown = client.get("/api/route", params={"unit": "文書組", "amount": "30萬", "format": "markdown"})
    _, out, _ = cli(capsys, "route", "--unit", "文書組", "--amount", "30萬", "--format", "markdown")
    assert markdown.text == out


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["entries"] == 272  # DOMAIN.md: 272 task rows


# ---------------------------------------------------------------- validation and limits


@pytest.mark.parametrize(
    "query",
    [
        {"q": "採購", "units": "文書組"},  # a misspelt parameter name is not silently ignored
        {"q": "採購", "catalogue": "/etc/passwd"},  # no file path from a request
        {"q": "議員索取資料", "limit": "abc"},
        {"q": "議員索取資料", "limit": "0"},
        {"q": "議員索取資料", "limit": "201"},
    ],
)
def test_parameter_validation_is_422(client, query):
    response = client.get("/api/find", params=query)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "hint"} and body["error"]


def test_repeated_parameter_and_unknown_format_are_422(client):
    assert client.get("/api/find?q=採購&q=議員").status_code == 422
    response = client.get("/api/route", params={"unit": "文書組", "amount": "30萬", "format": "xml"})
    assert response.status_code == 422
    assert "slip" in response.json()["hint"]
    assert client.get("/api/units", params={"x": "1"}).status_code == 422


def test_query_length_limits(client):
    at_limit = client.get("/api/find", params={"q": "採" * MAX_TEXT})
    assert at_limit.status_code in (200, 404)
    over = client.get("/api/find", params={"q": "採" * (MAX_TEXT + 1)})
    assert over.status_code == 400
    assert str(MAX_TEXT) in over.json()["error"]
    assert client.get("/api/show/" + "D" * (MAX_TEXT + 1)).status_code == 400
    huge = client.get("/api/list?" + "&".join(f"q{i}=x" for i in range(600)))
    assert huge.status_code == 400


def test_triage_body_limits(client):
    assert client.post("/api/triage", content=b"").status_code == 400
    assert client.post("/api/triage", content=b"  \n ").json()["error"] == "沒有收到會議紀錄。"
    too_big = client.post("/api/triage", content=b"a" * (MAX_BODY + 1))
    assert too_big.status_code == 413
    assert "2 MB" in too_big.json()["error"]

    def chunks():  # no Content-Length: counted while it streams
        for _ in range(3):
            yield b"a" * (MAX_BODY // 2)

    assert client.post("/api/triage", content=chunks()).status_code == 413


def test_triage_without_directives_is_404_with_the_document(client, capsys, tmp_path):
    text = "今天天氣很好。\n"
    record = tmp_path / "note.txt"
    record.write_text(text, encoding="utf-8")
    response = client.post("/api/triage", content=text.encode())
    exit_code, out, _ = cli(capsys, "triage", str(record), "--json")
    assert (response.status_code, exit_code) == (404, 1)
    assert response.json() == json.loads(out)


def test_read_only(client):
    assert client.post("/api/route", params={"unit": "文書組", "amount": "30萬"}).status_code == 405
    assert client.put("/api/units").status_code == 405
    assert client.delete("/api/show/DOC-056").status_code == 405
    assert client.get("/api/triage").status_code == 405


def test_no_file_path_from_a_request(client):
    for path in ("/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/app.py",
                 "/api/show/..%2F..%2Fetc%2Fpasswd"):  # fmt: skip
        response = client.get(path)
        assert response.status_code in (400, 404)
        assert "root:" not in response.text


# ---------------------------------------------------------------- the page and its headers


def test_security_headers_everywhere(client):
    for method, path in (("get", "/"), ("get", "/static/app.js"), ("get", "/api/route?unit=文書組&amount=30萬"),
                         ("get", "/api/find?q=太空梭發射"), ("get", "/api/find?x=1"), ("get", "/nowhere"),
                         ("post", "/api/units"), ("get", "/healthz")):  # fmt: skip
        headers = getattr(client, method)(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_script = False
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.handlers += [name for name in attributes if name.startswith("on")]
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True


def test_page_has_no_inline_script_and_no_outside_asset(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(response.text)
    assert page.scripts and all(script.get("src") for script in page.scripts)
    assert not page.inline_script and not page.handlers
    assert all(not re.match(r"(https?:)?//", url) for url in page.urls)
    for url in page.urls:  # every asset the page names is served by the app
        if url.startswith("static/") or url.startswith("api/"):
            assert client.get("/" + url).status_code == 200
    assert 'lang="zh-Hant-TW"' in response.text


def test_static_files_take_nothing_from_outside_and_never_parse_data_as_html():
    for name in ("index.html", "app.js", "app.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), name
        assert "@import" not in text and "url(" not in text, name
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink


def test_static_types(client):
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")


# ---------------------------------------------------------------- a hostile catalogue

HOSTILE = '<script>alert("x")</script><img src=x onerror="window.__pwned=1"> "引號" \'單引號\' & 採購'


@pytest.fixture(scope="module")
def hostile_catalogue(tmp_path_factory):
    """The built-in catalogue exported to YAML (approval export), with DOC-056's task text made hostile."""
    import yaml

    folder = tmp_path_factory.mktemp("hostile")
    exported = folder / "exported.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "approval_cli", "export", "--format", "yaml", "-o", str(exported)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    row = next(entry for entry in data["entries"] if entry["id"] == "DOC-056")
    row["content"] = HOSTILE
    row["item"] = '"><svg onload=alert(1)>'
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_hostile_catalogue_strings_are_data(hostile_catalogue, capsys):
    with TestClient(create_app(str(hostile_catalogue))) as hostile:
        response = hostile.get("/api/show/DOC-056")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.json()["content"] == HOSTILE
        routed = hostile.get("/api/route", params={"unit": "文書組", "amount": "30萬"})
        _, out, _ = cli(capsys, "--catalogue", str(hostile_catalogue), "route", "--unit", "文書組",
                        "--amount", "30萬", "--json")  # fmt: skip
        assert routed.json() == json.loads(out)
        page = hostile.get("/").text
        assert "alert" not in page and "__pwned" not in page  # the page carries no catalogue text at all


# ---------------------------------------------------------------- OpenAPI


def test_openapi_lists_every_route(client):
    from starlette.routing import Route

    document = client.get("/api/openapi.json").json()
    assert document == spec()
    assert document["openapi"].startswith("3.")
    api_routes = [route for route in client.app.routes if isinstance(route, Route)
                  and (route.path.startswith("/api/") or route.path == "/healthz")]  # fmt: skip
    assert len(api_routes) == 9
    for route in api_routes:
        assert route.path in document["paths"], route.path
        documented = {method.upper() for method in document["paths"][route.path]}
        assert documented == set(route.methods) - {"HEAD"}, route.path
    assert set(document["paths"]) == {route.path for route in api_routes}
    assert "404" in document["paths"]["/api/route"]["get"]["responses"]
    assert "413" in document["paths"]["/api/triage"]["post"]["responses"]


# ---------------------------------------------------------------- the serve command


def test_other_commands_do_not_import_the_web_stack():
    code = (
        "import sys\n"
        "from approval_cli.cli import main\n"
        "try:\n    main(['route', '--unit', '文書組', '--amount', '30萬', '--json'])\n"
        "except SystemExit:\n    pass\n"
        "loaded = [m for m in ('starlette', 'uvicorn', 'httpx', 'approval_cli.web') if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().endswith("[]"), result.stderr


def test_serve_help_and_a_bad_catalogue(capsys, tmp_path):
    code, out, _ = cli(capsys, "serve", "--help")
    assert code == 0
    for option in ("--host", "--port", "--workers", "--catalogue"):
        assert option in out
    assert "127.0.0.1" in out
    code, _, err = cli(capsys, "serve", "--catalogue", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "找不到目錄檔" in err
    code, _, err = cli(capsys, "serve", "--port", "0")
    assert code == 2


def test_internal_error_is_a_plain_500(monkeypatch):
    import approval_cli

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        monkeypatch.setattr(approval_cli, "units", broken)
        response = test_client.get("/api/units")
    assert response.status_code == 500
    assert response.json()["error"].startswith("程式內部錯誤")
    assert "boom" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_library_triage_stays_a_function_after_its_module_is_imported():
    # approval_cli.triage (the function) no longer shares its name with a module: meeting records
    # are read in approval_cli.meetings, which core imports on the first call; the web app calls
    # approval_cli.triage on every POST /api/triage.
    import importlib

    import approval_cli

    importlib.import_module("approval_cli.meetings.record")
    assert callable(approval_cli.triage)
    catalogue = approval_cli.load_catalogue()
    assert approval_cli.triage(catalogue, MINUTES.read_bytes())["items"]
    assert callable(approval_cli.triage)
