"""The approvals page in a real headless Chromium (Debian chromium + chromium-driver), via Selenium.

The page is served by ``approvals serve`` in its own process, as a user would run it.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from approvals_testlib import make_record, popen_module

from interven_autoguard.approvals.store import SQLiteApprovalStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian chromium + chromium-driver not installed (run .ci/chromium.sh)",
)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

TOKEN = "browser-test-token-" + "k" * 12


@pytest.fixture
def page_url(db_path) -> Iterator[str]:
    SQLiteApprovalStore(db_path)
    proc = popen_module(db_path, "interven_autoguard.approvals.cli", "serve", "--port", "0", "--token", TOKEN)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=60)
            if line.startswith("open: "):
                break
        url = line.removeprefix("open: ").strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith(f"/?token={TOKEN}")
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture
def browser(tmp_path: Path):
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-proxy-server",
        # Belt and braces: the browser cannot resolve any name, so it cannot leave loopback.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    from selenium.common.exceptions import WebDriverException

    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    except WebDriverException:  # a browser start-up hiccup on a loaded machine: one more try
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _card(driver, approval_id):
    return driver.find_element(By.ID, approval_id)


def _submit(driver, button) -> None:
    """Click a form button and wait until the browser has loaded the page the POST leads to."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = driver.find_element(By.TAG_NAME, "html")
    button.click()

    def page_replaced(_driver) -> bool:
        # staleness_of only expects StaleElementReferenceException; Chromium sometimes reports a
        # replaced document as "Node with given id does not belong to the document" instead.
        try:
            return expected_conditions.staleness_of(old_page)(_driver)
        except WebDriverException:
            return True

    WebDriverWait(driver, 30).until(page_replaced)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_approve_and_deny_in_a_real_browser(db_path, page_url, browser):
    store = SQLiteApprovalStore(db_path)
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" + "K1l2M3n4O5p6"
    raw_body = f'{{"repo": "acme/payments", "user": "contractor", "token": "{secret}"}}'
    payout = make_record(
        store,
        url="http://127.0.0.1:9/repos/acme/payments/collaborators/contractor",
        method="PUT",
        request_display={
            "headers": {"Authorization": "[REDACTED:GITHUB_PAT]", "Accept": "application/json"},
            "body": raw_body.replace(secret, "[REDACTED:GITHUB_PAT]"),
        },
        request_hash=hashlib.sha256(raw_body.encode()).hexdigest(),
    )
    refund = make_record(store, url="http://127.0.0.1:9/refunds")

    browser.get(page_url)
    assert "token=" not in browser.current_url  # traded for a cookie and dropped from the address bar
    assert browser.title.startswith("Approvals")
    card = _card(browser, payout.id)
    assert "PUT" in card.text and "/collaborators/contractor" in card.text
    assert "[REDACTED:GITHUB_PAT]" in card.text and payout.request_hash in card.text
    assert secret not in browser.page_source

    card.find_element(By.CSS_SELECTOR, "input.reason").send_keys("onboarding ticket 42")
    card.find_element(By.CSS_SELECTOR, "input.by").send_keys("alice")
    _submit(browser, card.find_element(By.CSS_SELECTOR, "button.approve"))
    notice = browser.find_element(By.ID, "notice")
    assert f"{payout.id}: approved by alice (web)" in notice.text
    got = store.get(payout.id)
    assert (got.state, got.reason, got.decided_by) == ("approved", "onboarding ticket 42", "alice (web)")
    assert not browser.find_elements(By.ID, payout.id)  # no longer listed as pending

    # Deny without a reason is refused; with one it is recorded.
    _submit(browser, _card(browser, refund.id).find_element(By.CSS_SELECTOR, "button.deny"))
    assert "Denying needs a reason" in browser.page_source
    assert store.get(refund.id).state == "pending"
    browser.back()
    browser.refresh()
    card = _card(browser, refund.id)
    card.find_element(By.CSS_SELECTOR, "input.reason").send_keys("duplicate refund")
    _submit(browser, card.find_element(By.CSS_SELECTOR, "button.deny"))
    assert f"{refund.id}: denied by web" in browser.find_element(By.ID, "notice").text
    got = store.get(refund.id)
    assert (got.state, got.reason) == ("denied", "duplicate refund")
    assert browser.find_element(By.ID, "empty").text == "Nothing is waiting."
    history = browser.find_element(By.CSS_SELECTOR, f'tr.decided[data-id="{refund.id}"]')
    assert "denied" in history.text and "duplicate refund" in history.text


def test_wrong_or_missing_token_in_a_real_browser(db_path, page_url, browser):
    store = SQLiteApprovalStore(db_path)
    rec = make_record(store)
    base = page_url.split("/?", 1)[0]
    browser.get(base + "/?token=not-the-token")
    assert browser.title.startswith("Wrong token") and rec.id not in browser.page_source
    browser.get(base + "/")
    assert browser.title.startswith("Sign in") and rec.id not in browser.page_source
    browser.get(page_url)
    assert rec.id in browser.page_source
    browser.delete_all_cookies()
    browser.get(base + "/")
    assert browser.title.startswith("Sign in")


def test_a_request_held_by_the_engine_shows_masked_in_the_browser(tmp_path, db_path, page_url, browser):
    scanner_module = pytest.importorskip("interven_autoguard.engine.scanner")
    validators = pytest.importorskip("interven_autoguard.engine.secrets.validators")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[settings]\nprivate_network = "ALLOW"\n\n[[rules]]\nid = "payouts"\ndecision = "REQUIRE_APPROVAL"\n'
        'methods = ["POST"]\nhosts = ["127.0.0.1"]\npaths = ["/payouts"]\n'
    )
    part = "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5"
    token = "ghp_" + part + validators.crc32_base62(part)  # well-formed, built at run time
    bearer = "opaque-" + hashlib.sha256(part.encode()).hexdigest()[:24]
    body = {"amount": 125, "note": f"deploy with {token}"}
    scanner = scanner_module.LocalScanner(policy=str(policy), approvals=SQLiteApprovalStore(db_path))
    result = scanner.scan(
        method="POST",
        url="http://127.0.0.1:9/payouts",
        body=body,
        headers={"Authorization": f"Bearer {bearer}"},
        request_hash=hashlib.sha256(repr(body).encode()).hexdigest(),
    )
    assert result.decision == "REQUIRE_APPROVAL"

    browser.get(page_url)
    card = _card(browser, result.approval_id)
    assert "[REDACTED:GITHUB_PAT]" in card.text
    assert token not in browser.page_source and bearer not in browser.page_source
    card.find_element(By.CSS_SELECTOR, "input.reason").send_keys("checked")
    _submit(browser, card.find_element(By.CSS_SELECTOR, "button.approve"))
    assert SQLiteApprovalStore(db_path).get(result.approval_id).state == "approved"


def test_a_new_request_appears_on_an_open_empty_page(db_path, page_url, browser):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page_url)
    assert browser.find_element(By.ID, "empty").text == "Nothing is waiting."
    rec = make_record(SQLiteApprovalStore(db_path), url="http://127.0.0.1:9/arrived-later")
    WebDriverWait(browser, 60).until(expected_conditions.presence_of_element_located((By.ID, rec.id)))
    assert "/arrived-later" in _card(browser, rec.id).text
