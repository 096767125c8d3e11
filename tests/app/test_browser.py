"""The real app in headless Chromium: every page opens, and a buyer approves a reorder
suggestion, sends the purchase order and the supplier simulator receives exactly one order.

Needs Debian's chromium (`apt-get install chromium`); without it the tests skip and say so.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ichigen.app.launch import app_command, app_environment
from ichigen.app.screenshots import CHROMIUM_ARGS, PAGES, free_port, page_path
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.simulators.supplier import SupplierApp
from ichigen.settings import load_settings
from ichigen.wait import wait_until_answering

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture
def app_url(app_data_dir: Path, sandbox: RunningSandbox) -> Iterator[str]:
    """`oms app`'s command on a free port, pointed at the test snapshot and the simulators."""
    env = {"ICHIGEN_DATA_DIR": str(app_data_dir), "ICHIGEN_RATE_MULTIPLIER": "10"}
    env |= sandbox.url_environment
    settings = load_settings(env, dotenv=False)
    port = free_port()
    process = subprocess.Popen(
        app_command(port=port),
        env=app_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/_stcore/health", process, what="the app", timeout_s=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_every_page_opens_in_the_browser_without_an_error(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name in PAGES:
            page.goto(f"{app_url}/{page_path(name)}")
            title = name.replace("_", " ").capitalize()
            page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
            assert page.locator("[data-testid='stException']").count() == 0, name
        browser.close()


def test_a_buyer_approves_a_suggestion_and_the_supplier_receives_exactly_one_order(
    app_url: str, sandbox: RunningSandbox
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(f"{app_url}/reorder")
        page.get_by_role("heading", name="Reorder").first.wait_for(timeout=30_000)
        # the buyer's role, from the sidebar
        role = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").nth(1)
        role.click()
        page.get_by_role("option", name="buyer").click()
        # tick the first suggestion: the editor's first column, first row (a canvas grid)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for()
        box = grid.bounding_box()
        assert box is not None
        create = page.get_by_role("button", name="Create purchase orders from 1 ticked line(s)")
        # On a loaded machine the canvas can take the first click before it handles input;
        # tick again only once the app has had ample time to show the first tick.
        for attempt in range(3):
            page.mouse.click(box["x"] + 30, box["y"] + 55)
            page.keyboard.press("Space")
            try:
                create.wait_for(timeout=20_000)
                break
            except PlaywrightTimeoutError:
                if attempt == 2:
                    raise
        create.click()
        page.get_by_text("Created draft purchase order").wait_for(timeout=30_000)
        page.get_by_role("tab", name="Purchase orders").click()
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("approved by").wait_for(timeout=30_000)
        page.get_by_role("button", name="Send to supplier").click()
        page.get_by_text("Sent: 1 accepted").wait_for(timeout=60_000)
        browser.close()
    supplier = sandbox.servers["supplier"].app
    assert isinstance(supplier, SupplierApp)
    assert len(supplier._references) == 1
