"""The dashboard as an analyst sees it: a real server, a real headless Chromium."""

import json

import pytest
from playwright.sync_api import sync_playwright

from browser import CHROMIUM_ARGS, dashboard_server, require_chromium

pytestmark = pytest.mark.browser


def test_dashboard_renders_the_release_in_chromium(release_dir, tmp_path):
    chromium = require_chromium()
    report = json.loads((release_dir / "report.json").read_text())
    with dashboard_server(release_dir) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text(f"Synthetic data release: {report['run']['id']}").wait_for(timeout=60_000)
            page.get_by_text("Synthetic rows (first 50)").wait_for(timeout=60_000)  # the last section
            # tables are canvas grids that draw after the text; wait until every one is drawn
            page.wait_for_function("document.querySelectorAll('[data-testid=stDataFrame] canvas').length >= 3",
                                   timeout=30_000)
            body = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert "no formal privacy guarantee" in body
    assert f"{report['summary']['fidelity_score']:.1%}" in body
    assert "Leakage check" in body and "passed" in body
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
