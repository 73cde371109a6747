"""The page in a real browser: `approval serve` in a subprocess on a free loopback port, driven by
headless Chromium through Debian's chromedriver (selenium). Skipped only where no browser exists.

What the page shows is checked against the command line's --json for the same question, and the
dump: line 153 (文書組, 採購 逾15萬–50萬) is 承辦人員 擬辦 → 股長 → 專員 → 組長 → 專門委員 → 副處長 核定.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINUTES = ROOT / "tests" / "data" / "minutes_seed_108.txt"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no browser here: needs chromium and chromedriver on PATH (Debian: apt-get install chromium "
    "chromium-driver) or CHROMIUM/CHROMEDRIVER set",
)

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> "引號" & 採購'


def approval_command() -> list[str]:
    found = Path(sys.executable).parent / "approval"
    return [str(found)] if found.exists() else [sys.executable, "-m", "approval_cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [*approval_command(), *extra, "serve", "--port", str(self.port), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"approval serve exited: {self.process.stderr.read()}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("approval serve did not answer /healthz within 90 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1200,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver, css: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def cli_json(*args: str, catalogue: Path | None = None) -> dict:
    extra = ["--catalogue", str(catalogue)] if catalogue else []
    result = subprocess.run([*approval_command(), *extra, *args, "--json"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    return json.loads(result.stdout)


def role_display(role: str | None) -> str:
    alias = {"處長": "秘書長", "副處長": "副秘書長"}.get(role or "")
    return f"{role}（{alias}）" if alias else (role or "（表頭未列職稱）")


def test_typing_a_query_renders_the_clis_chain_and_decider(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url)
    assert browser.title == "分層負責明細表查詢"
    box = wait_for(browser, "#q")
    box.send_keys("文書組 採購 30萬")  # answered as typed: no button pressed
    wait_for(browser, "#route #chain")
    expected = cli_json("route", "文書組", "採購", "30萬")
    steps = browser.find_elements(By.CSS_SELECTOR, "#chain li .role")
    assert [step.text for step in steps] == [role_display(step["role"]) for step in expected["chain"]]
    # The dump, line 153.
    assert [step.text for step in steps] == ["承辦人員", "股長", "專員", "組長", "專門委員", "副處長（副秘書長）"]
    assert browser.find_element(By.ID, "final-approver").text == role_display(expected["final_approver"])
    assert browser.find_element(By.ID, "cosign-required").text == "、".join(expected["cosign_required"])
    assert "原表第 153 行" in browser.find_element(By.ID, "route").text
    assert "依據：臺北市政府秘書處分層負責明細表" in browser.find_element(By.ID, "route").text
    # The link can be pasted: the query is in the URL, and opening it answers the same.
    assert "q=" in browser.current_url
    slip = wait_for(browser, "#slip-section pre")
    assert "決行：副處長（副秘書長）" in slip.text
    browser.get(browser.current_url)
    wait_for(browser, "#route #chain")
    assert browser.find_element(By.ID, "final-approver").text == "副處長（副秘書長）"
    assert browser.find_element(By.ID, "q").get_attribute("value") == "文書組 採購 30萬"


def test_a_split_task_shows_its_choices(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server.url)
    Select(wait_for(browser, "#unit")).select_by_value("國際事務組")
    wait_for(browser, "#q").send_keys("姊妹市")
    choices = wait_for(browser, "#choices")
    text = choices.text
    # Dump lines 169–170: 政策性 → 市長, 事務性聯繫 → 組長.
    assert "政策性" in text and "市長" in text and "組長" in text
    assert "依情形而定" in browser.find_element(By.ID, "final-approver").text


def test_triage_lists_every_directive(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url + "?view=triage")
    wait_for(browser, "#record")
    # Typing 10 KB through the driver is slow; the textarea is set like a paste.
    browser.execute_script("document.getElementById('record').value = arguments[0];",
                           MINUTES.read_text(encoding="utf-8"))  # fmt: skip
    browser.find_element(By.ID, "triage-submit").click()
    wait_for(browser, "#directives")
    expected = cli_json("triage", str(MINUTES))
    directives = [item for item in expected["items"] if item["kind"] == "directive"]
    rendered = browser.find_elements(By.CSS_SELECTOR, "#directives > li")
    assert len(rendered) == len(directives)
    count = browser.find_element(By.ID, "triage-count").text
    assert count.startswith(f"交辦事項 {len(directives)} 項")
    first_suggested = next(item for item in directives if item["matches"])["matches"][0]["id"]
    assert first_suggested in browser.find_element(By.ID, "directives").text
    # A unit's reports of work done are listed apart, folded, each with its row as the CLI gives it.
    reports = [item for item in expected["items"] if item["kind"] == "report"]
    assert reports and f"工作報告 {len(reports)} 項" in count
    folded = browser.find_element(By.ID, "reports")
    assert len(folded.find_elements(By.CSS_SELECTOR, "li.report")) == len(reports)
    reported = next(item for item in reports if item["matches"])["matches"][0]["id"]
    folded.find_element(By.TAG_NAME, "summary").click()
    assert reported in folded.text


def test_catalogue_strings_are_never_markup(browser, tmp_path_factory):
    import yaml

    folder = tmp_path_factory.mktemp("hostile-browser")
    exported = folder / "exported.yaml"
    subprocess.run([*approval_command(), "export", "--format", "yaml", "-o", str(exported)], check=True, timeout=120)
    data = yaml.safe_load(exported.read_text(encoding="utf-8"))
    row = next(entry for entry in data["entries"] if entry["id"] == "DOC-056")
    row["content"] = HOSTILE
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    hostile = Server("--catalogue", str(path))
    try:
        from selenium.webdriver.common.by import By

        browser.get(hostile.url + "?unit=文書組&amount=30萬")
        route = wait_for(browser, "#route #chain")
        assert route is not None
        text = browser.find_element(By.ID, "route").text
        assert HOSTILE in text  # shown as text, quotes and all
        assert browser.execute_script("return window.__pwned === undefined")
        assert not browser.find_elements(By.CSS_SELECTOR, "#route script, #route img")
        assert browser.find_element(By.ID, "final-approver").text == role_display(
            cli_json("route", "--unit", "文書組", "--amount", "30萬", catalogue=path)["final_approver"]
        )
    finally:
        hostile.stop()


def test_without_a_unit_the_page_lists_rows_and_a_unit_can_be_picked(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.url)
    wait_for(browser, "#q").send_keys("議員索取資料")
    results = wait_for(browser, "#find-results")
    expected = cli_json("find", "議員索取資料", "--limit", "5")
    ids = [item.get_attribute("data-id") for item in results.find_elements(By.CSS_SELECTOR, "li.entry")]
    assert ids == [match["id"] for match in expected["matches"]]
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "null" not in body and "undefined" not in body
    # Picking 文書組 routes there: its 議會案件 rows (dump lines 149–150) have no 核定.
    pick = next(item for item in results.find_elements(By.CSS_SELECTOR, "li.entry")
                if item.get_attribute("data-id").startswith("DOC-"))  # fmt: skip
    pick.find_element(By.CSS_SELECTOR, "button.pick").click()
    wait_for(browser, "#route #chain")
    assert "未標示核定者" in browser.find_element(By.ID, "final-approver").text
    assert "unit=" in browser.current_url
