"""The pages in a real browser: Plotly draws every chart from the JSON blocks, under the CSP, with no errors.

Runs headless Chromium from /usr/bin/chromium through Playwright's sync API against
pytest-django's live server. Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

import re
import shutil
from pathlib import Path

import pytest

from indicators.recompute import results_recompute
from tests.pages.world import build_world

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that unless told,
    # and only for these tests (the flag must never reach another test or a deployment check).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is not executable")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def computed_world(live_server):
    built = build_world()
    results_recompute(triggered_by="browser test")
    return built


def snapshot(page, name: str) -> None:
    """A whole-page screenshot taken with a viewport as tall as the page.

    Playwright's full_page mode resizes the window while capturing, which makes responsive Plotly
    charts relayout mid-capture; a tall viewport shows the page exactly as laid out.
    """
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": min(height, 12000)})
    page.wait_for_timeout(300)  # Plotly's responsive relayout after the resize
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 900})


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
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

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
