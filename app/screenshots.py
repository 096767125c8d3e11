"""`make screenshots`: every page of the app in headless Chromium, saved as PNG.

Serves the app on a free loopback port against $ICHIGEN_DATA_DIR's published snapshot (run
`oms demo --no-ui` or `oms build` first), opens each page as a buyer and writes
``screenshots/<page>.png`` (git-ignored). Needs Debian's chromium.

    python -m ichigen.app.screenshots [out_dir]
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from ichigen.app.launch import app_command, app_environment
from ichigen.settings import load_settings
from ichigen.wait import wait_until_answering

__all__ = ["CHROMIUM_ARGS", "PAGES", "free_port", "page_path", "take_screenshots"]

PAGES = (
    "overview",
    "demand",
    "returns",
    "customers",
    "reorder",
    "inventory",
    "orders",
    "data_health",
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def page_path(page: str) -> str:
    """A page's URL path: the router's default page (Overview) lives at the root."""
    return "" if page == "overview" else page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def take_screenshots(out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed: apt-get install chromium")
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        app_command(port=port),
        env=app_environment(load_settings()),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    written: list[Path] = []
    try:
        wait_until_answering(f"{url}/_stcore/health", process, what="the app")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in PAGES:
                page.goto(f"{url}/{page_path(name)}")
                title = name.replace("_", " ").capitalize()
                page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                page.wait_for_timeout(1_500)  # charts render after the heading
                path = out_dir / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    for shot in take_screenshots(target):
        print(shot)
