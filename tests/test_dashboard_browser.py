"""The dashboard as an analyst sees it: the real server on a real pipeline run, in headless Chromium.

Screenshots of the pages are kept under the test's temp dir (pytest prints it with -v;
look under /tmp/pytest-of-$USER/pytest-current/).
"""

from __future__ import annotations

import json
import re

import browser
import pytest

pytestmark = pytest.mark.browser

# Charts are Vega canvases drawn after the page's text; tables are canvas grids.
PAGES = [("Utility and rare classes", "Utility: train on synthetic, test on real", "utility.png"),
         ("Privacy", "Privacy", "privacy.png"), ("PII", "Personal data", "pii.png"),
         ("Expectations", "Expectations", "expectations.png"), ("Compare runs", "Compare runs", "compare.png")]
CHARTS_DRAWN = "document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= {n}"
GRIDS_DRAWN = "document.querySelectorAll('[data-testid=data-grid-canvas]').length >= {n}"


def test_dashboard_shows_the_overview_and_fidelity_of_a_pipeline_run_in_chromium(release_dir, tmp_path):
    report = json.loads((release_dir / "owner" / "report.json").read_text())  # the run folder opens its owner part
    summary = report["summary"]
    with browser.dashboard_server(release_dir) as url, browser.chromium_page() as page:
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text(f"Synthetic data run: {report['run']['id']}").wait_for(timeout=30_000)
        page.get_by_text("Synthetic rows (first 50)").wait_for(timeout=20_000)  # the overview's last section
        page.wait_for_function(GRIDS_DRAWN.format(n=1), timeout=20_000)
        # The summary's metrics (in columns) can draw after the sections below them: wait for all eight.
        page.wait_for_function("document.querySelectorAll('[data-testid=stMetric]').length >= 8", timeout=20_000)
        overview = page.inner_text("body")
        listed = page.locator("[data-testid=stMarkdownContainer] ol > li").all_inner_texts()  # the findings
        browser.screenshot_whole_app(page, tmp_path / "overview.png")
        errors = page.locator("[data-testid=stException]").count()

        page.get_by_role("link", name="Fidelity").click()
        page.get_by_text("Column associations").wait_for(timeout=20_000)
        page.wait_for_function(CHARTS_DRAWN.format(n=5), timeout=30_000)  # distribution, 3 heatmaps, pair
        browser.screenshot_whole_app(page, tmp_path / "fidelity.png")
        errors += page.locator("[data-testid=stException]").count()

        # Every other page: its header drawn, no exception, a screenshot to look at.
        for link, header, shot in PAGES:
            page.get_by_role("link", name=link).click()
            page.get_by_role("heading", name=header).first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # grids and charts draw after the text
            browser.screenshot_whole_app(page, tmp_path / shot)
            errors += page.locator("[data-testid=stException]").count()
    assert errors == 0
    # The headline's count is the number of findings listed under it.
    match = re.search(r"(\d+) findings? below", overview)
    assert all(re.match(r"\S+ \((stop|review|note)\): ", item) for item in listed), listed
    if match:
        assert int(match.group(1)) == len(listed), (match.group(0), listed)
    else:  # "Do not share yet: ..." names the first stop; every finding is still listed
        assert listed
    assert "Headline figures, judged" in overview
    # The verdict and the key figures of the overview, as the analyst reads them.
    assert any(headline in overview for headline in ("Do not share yet", "Review before sharing",
                                                      "No blocking issue found"))
    assert "What to look at first" in overview and "no formal privacy guarantee" in overview
    assert f"{summary['rows']:,}" in overview and f"{summary['fidelity_score']:.1%}" in overview
    assert f"{summary['expectations_passed']} passed" in overview
    for path in [tmp_path / "overview.png", tmp_path / "fidelity.png", *(tmp_path / shot for *_, shot in PAGES)]:
        assert path.stat().st_size > 10_000


def test_a_missing_chromium_skips_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser.require_chromium()
