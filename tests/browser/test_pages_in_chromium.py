"""The pages in a real browser: Plotly draws every chart from the JSON blocks, under the CSP, with no errors.

Runs headless Chromium from /usr/bin/chromium through Playwright's sync API against
pytest-django's live server. Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

import re

from tests.browser.harness import IN_CHROMIUM, SCREENSHOTS, sign_in, snapshot

pytestmark = IN_CHROMIUM


def chart_traces(page, element_id: str) -> list[str]:
    """Trace names of the Plotly chart drawn in #element_id (read from the live graph div)."""
    return page.evaluate(
        "(id) => { const div = document.getElementById(id); return (div.data || []).map(t => t.name); }",
        f"{element_id}-chart",
    )


def test_the_pages_draw_their_charts_without_errors(live_server, computed_world, alice, browser):
    world = computed_world
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors = []
    page = sign_in(context, live_server, errors=errors)

    # The national board: a table, no charts.
    assert page.locator("table.board tbody tr").count() == 3
    snapshot(page, "board")

    # The trust page: timeline, z-score, value and SPC charts.
    page.goto(f"{live_server.url}/trusts/{world.orgs[0].ods_code}/?indicator=ed_4hr")
    page.wait_for_selector("#zscore-figure-chart .main-svg")
    for chart in ("timeline-figure", "zscore-figure", "value-figure", "spc-figure"):
        assert page.locator(f"#{chart}-chart .main-svg").count() >= 1, chart
    z_names = chart_traces(page, "zscore-figure")
    assert z_names[:4] == ["Adjusted z-score", "National (z = 0)", "95% limits (±1.96)", "99.8% limits (±3.09)"]
    assert any(name.startswith("ITS fit (") for name in z_names)
    assert any(name.startswith("Counterfactual: pre-entry trend (") for name in z_names)
    snapshot(page, "trust")
    # A window resize keeps every chart at its figure's height (no collapse, no overlap of the text below).
    page.set_viewport_size({"width": 768, "height": 700})
    page.wait_for_timeout(400)
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart[data-drawn]')).map(
            div => [
                div.clientHeight,
                JSON.parse(document.getElementById(div.dataset.figure).textContent).layout.height,
            ])"""
    )
    assert boxes and all(height == expected for height, expected in boxes), boxes
    page.set_viewport_size({"width": 1280, "height": 900})

    # The indicator page: funnel with clickable points, trend and spread.
    page.goto(f"{live_server.url}/indicators/ed_4hr/")
    page.wait_for_selector("#funnel-figure-chart .main-svg")
    funnel = chart_traces(page, "funnel-figure")
    # Issue 10: better and worse told apart (blue better, orange/red worse; red never better).
    assert funnel[:4] == [
        "Within 95% limits",
        "Better: beyond 95% limits",
        "Worse: beyond 95% limits",
        "Worse: beyond 99.8% limits",
    ]
    assert "99.8% limits (overdispersed)" in funnel
    points = page.evaluate(
        "() => document.getElementById('funnel-figure-chart').data.slice(0, 3).reduce((n, t) => n + t.x.length, 0)"
    )
    assert points == len(world.orgs)
    assert page.locator("#trend-figure-chart .main-svg").count() >= 1
    assert page.locator("#spread-figure-chart .main-svg").count() >= 1
    snapshot(page, "indicator")
    # A click on a funnel point opens that trust's page.
    page.locator("#funnel-figure-chart .scatterlayer .trace .points path").first.click(force=True)
    page.wait_for_url(re.compile(r"/trusts/\w+/\?indicator=ed_4hr$"))  # on the indicator clicked

    # Regime analytics: forest plots and time in regime.
    page.goto(f"{live_server.url}/analytics/?regime=SMQ%2BCP&indicator=ed_4hr")
    page.wait_for_selector("#forest-level_change-chart .main-svg")
    forest = chart_traces(page, "forest-level_change")
    assert forest[0] == "Trust estimate (95% CI)" and forest[1].startswith("Pooled (random effects")
    # NOF4's curve is absent: the world's NOF4 episode began after the data's cut-off (issue 10).
    assert {"SMQ", "CP"} <= set(chart_traces(page, "survival-figure"))
    assert chart_traces(page, "competing-figure") == ["Exited CP", "Escalated to SMQ"]
    snapshot(page, "analytics")

    # Early warning: the CUSUM chart of the slipping trust.
    page.goto(f"{live_server.url}/early-warning/")
    chart = f"#cusum-{world.slipping.ods_code}-chart .main-svg"
    page.wait_for_selector(chart)
    snapshot(page, "early-warning")

    # The upload page shows its progress state on submit (no inline script needed).
    page.goto(f"{live_server.url}/imports/")
    assert page.locator("#upload-status").is_hidden()
    page.set_input_files("#id_file", files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    page.evaluate(
        "() => document.querySelector('form[data-progress]').addEventListener('submit', e => e.preventDefault())"
    )
    page.click("form[data-progress] button[type=submit]")
    assert page.locator("#upload-status").is_visible()

    context.close()
    assert errors == []
