"""Start the dashboard server on a free loopback port and drive it with headless Debian Chromium.

Playwright's own browser downloads are not used (CI has no internet): Chromium comes from
`apt-get install chromium`, which `.ci/run` does. Where it is missing the browser tests
skip, saying so and how to install it (pytest's `-ra` prints the reason).
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from synthrecords.dashboard import streamlit_command

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out of a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"headless Chromium is needed for the browser tests and {CHROMIUM} is missing: "
                    "apt-get install chromium")
    return CHROMIUM


def free_port() -> int:
    # Another process may take the port before Streamlit binds it; rare enough on a test box.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def dashboard_server(run_dir: Path, timeout: float = 30) -> Iterator[str]:
    """The server `synthrecords dashboard RUN_DIR` starts, on 127.0.0.1 only; yields its URL.

    The server is always stopped on the way out, whatever happened inside.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = streamlit_command(run_dir, port=port, address="127.0.0.1")
    # Output to a file, not a pipe nobody reads: a full pipe would block the server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    problem = (f"exited with status {proc.returncode}" if proc.poll() is not None
                               else f"did not answer within {timeout} s")
                    raise RuntimeError(f"dashboard server on {url} {problem}; its output:\n"
                                       f"{log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000) -> Iterator[Page]:
    """A page in headless Debian Chromium; the browser is closed on the way out."""
    executable = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def screenshot_whole_app(page: Page, path: Path) -> None:
    """A screenshot of the whole Streamlit page, not just the first screen.

    Streamlit scrolls inside its main container, not the document, so Playwright's
    full_page alone stops at the viewport: grow the viewport to the content instead.
    """
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": int(height)})
    page.wait_for_timeout(500)  # let the canvas grids redraw at the new size
    page.screenshot(path=str(path), full_page=True)
