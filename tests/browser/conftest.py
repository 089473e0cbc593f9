"""Browser test harness: Playwright (sync API) driving Debian's Chromium against live_server.

* Every test under tests/browser is marked ``browser``.
* Without /usr/bin/chromium the tests are skipped, except in CI (``GUANXI_CI=1``),
  where a missing browser fails them: CI must never pass by skipping the browser.
* One Chromium per test module (a fresh, throw-away profile: Playwright's ``launch``
  always creates a new temporary user-data dir and deletes it on close), a new
  browser context (cookies, storage) for every test.
* On failure the page's screenshot, HTML and console errors go to test-results/.

Two things to know when writing tests here:

* The sync Playwright API keeps its asyncio loop marked as running in the test's
  thread while Playwright is started, which makes Django refuse ORM calls
  (SynchronousOnlyOperation). The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for
  exactly as long as Playwright runs (this module scope only), so factories and the
  transactional_db flush work; the live server answers from its own thread.
* pytest-socket (``--allow-hosts=127.0.0.1,::1,localhost``) only restricts
  ``connect()`` from this process. Playwright talks to its driver over pipes, asyncio
  uses a socketpair (no connect), and Chromium is a separate process that connects to
  the live server on localhost, so no ``enable_socket`` marker is needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
IN_CI = os.environ.get("GUANXI_CI") == "1"
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
BROWSER_DIR = Path(__file__).resolve().parent

# Fail fast instead of Playwright's 30 s default: every page here is local and small.
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000
EXPECT_TIMEOUT_MS = 10_000

_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """A headless Chromium (Debian's), shared by the tests of one module."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(
                f"Chromium not found at {CHROMIUM}: CI (GUANXI_CI=1) must run the browser "
                "tests. Install it with `apt-get install -y chromium`.",
                pytrace=False,
            )
        pytest.skip(f"Chromium not found at {CHROMIUM}: browser tests skipped")

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db, request: pytest.FixtureRequest) -> Iterator:
    """A page in a new browser context, with relative URLs resolved against live_server.

    The context asks for English (Accept-Language en-US) on purpose: guanxi must still
    answer in 简体中文 until the user switches.
    """
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    console_errors: list[str] = []

    def on_console(msg) -> None:
        if msg.type == "error":
            console_errors.append(f"console.error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        failed = [rep for rep in request.node.stash.get(_reports_key, {}).values() if rep.failed]
        if failed:
            _save_failure_artifacts(failed[-1], page, console_errors)
        context.close()


def _save_failure_artifacts(report: pytest.TestReport, page, console_errors: list[str]) -> None:
    """Keep what the page showed when the test failed, and name the files in the report."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", report.nodeid).strip("_")[:150]
    saved = []
    try:
        path = RESULTS_DIR / f"{stem}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        path = RESULTS_DIR / f"{stem}.html"
        path.write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
        saved.append(path)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        console_errors.append(f"(could not save the page: {exc})")
    if console_errors:
        path = RESULTS_DIR / f"{stem}.console.txt"
        path.write_text("\n".join(console_errors) + "\n", encoding="utf-8")
        saved.append(path)
    # The failed report is printed in the FAILURES section at the end of the run, so a
    # section added now still shows next to the traceback.
    lines = [f"page: {page.url}", *(f"saved: {os.path.relpath(p)}" for p in saved)]
    report.sections.append(("browser failure artifacts", "\n".join(lines)))
