"""Browser fixtures: Grove served on a loopback port from the test database, and a Playwright
page in Debian's Chromium, in English or Chinese, desktop or phone sized.

Screenshots: `shot(page, "name")` saves test-artifacts/screenshots/name.png; a failing test
saves one of the page as it was.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Assertions wait as long as actions do: on a loaded 2-core CI machine 5 s is sometimes short.
expect.set_options(timeout=10_000)
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(_migrated_app):
    server = make_server("127.0.0.1", 0, _migrated_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, app, request):
    """`new_page(locale="zh-CN", phone=False)` opens a fresh browser context on Grove."""
    contexts = []

    def open_page(locale: str = "en-US", phone: bool = False):
        context = browser.new_context(base_url=live_server, locale=locale,
                                      viewport=PHONE if phone else DESKTOP,
                                      extra_http_headers={"Accept-Language": locale})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            for j, page in enumerate(context.pages):
                path = ARTIFACTS / "failures" / f"{request.node.name}-{i}-{j}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login(live_server):
    """Sign a page in through the real form."""
    from tests.conftest import PASSWORD

    def sign_in(page, user):
        page.goto("/login")
        page.locator("#email").fill(user.email)
        page.locator("#password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.wait_for_load_state("load")
    return sign_in


@pytest.fixture
def shot():
    def save(page, name: str, full_page: bool = True):
        path = ARTIFACTS / "screenshots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
        return path
    return save


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
