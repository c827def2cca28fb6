"""The dashboard as an analyst sees it: the real server, in a real headless Chromium."""

from __future__ import annotations

import browser
import pytest
from run_folder import write_run_folder

pytestmark = pytest.mark.browser


def test_dashboard_shows_the_run_in_chromium(tmp_path):
    run_dir = write_run_folder(tmp_path / "demo-fixture")
    screenshot = tmp_path / "dashboard.png"
    with browser.dashboard_server(run_dir) as url, browser.chromium_page() as page:
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("Synthetic data run: demo-fixture").wait_for(timeout=20_000)
        page.get_by_text("Synthetic rows (first 50)").wait_for(timeout=20_000)  # the last section
        # Tables are canvas grids drawn after the text: wait for all five before the screenshot.
        page.wait_for_function("document.querySelectorAll('[data-testid=data-grid-canvas]').length >= 5",
                               timeout=20_000)
        body = page.inner_text("body")
        browser.screenshot_whole_app(page, screenshot)
        exceptions = page.locator("[data-testid=stException]").count()
    assert exceptions == 0
    assert "no formal privacy guarantee" in body
    assert "87.3%" in body and "1 failed" in body
    # Grid cells are drawn on canvas, out of reach of inner_text: the PII list above the grid is text.
    assert "Direct identifiers: customer_id (fake), email (fake)" in body
    assert screenshot.stat().st_size > 10_000


def test_a_missing_chromium_fails_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(AssertionError, match="apt-get install chromium"):
        browser.require_chromium()
