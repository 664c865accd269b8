"""Accessibility in a real browser: axe-core on every main page, the 390 px layout, print, screenshots.

axe-core 4.14.1 (npm `axe-core`, MPL-2.0, tests/browser/axe-core-LICENSE.txt) is vendored beside this
test, not in static/: it is a test tool, never served. Screenshots at 1400 px, 390 px and in print
emulation go to test-artifacts/screenshots/ (gitignored).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.harness import IN_CHROMIUM, SCREENSHOTS, sign_in, snapshot

pytestmark = IN_CHROMIUM


def _settled(page) -> None:
    """Wait for the page's charts to finish loading: the load event always, network quiet if it comes
    within 60 s (on a loaded 2-core machine a 30 s networkidle wait timed out in CI while the page was
    complete; the checks that follow look at what is on the page either way)."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_load_state("networkidle", timeout=60_000)
    except PlaywrightTimeout:
        pass


AXE = Path(__file__).with_name("axe.min.js")
SERIOUS = {"serious", "critical"}


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page as shown, one line each."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[node['target'] for node in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def pages_to_check(world) -> dict[str, str]:
    smq = world.smq.pk
    criterion = world.criterion.pk
    return {
        "board": "/",
        "trust": f"/trusts/{world.orgs[0].ods_code}/?indicator=ed_4hr",
        "indicator": "/indicators/ed_4hr/",
        "analytics": "/analytics/?regime=SMQ%2BCP&indicator=ed_4hr",
        "early-warning": "/early-warning/",
        "imports": "/imports/",
        "audit": "/audit/",
        "tokens": "/account/tokens/",
        "glossary": "/glossary/",
        "about": "/about/",
        "form-stocktake": f"/records/episodes/{smq}/stocktake/",
        "form-criterion": f"/records/episodes/{smq}/criteria/new/",
        "form-criterion-edit": f"/records/criteria/{criterion}/",
        "form-note": f"/records/episodes/{smq}/notes/new/",
        "not-found": "/trusts/NOPE9/",
    }


def test_axe_finds_no_serious_or_critical_violation_on_any_main_page(live_server, computed_world, alice, browser):
    # bypass_csp only lets the test inject axe; the pages themselves are served with their CSP.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = sign_in(context, live_server, "alice", "alice-password-1")
    failures = {}
    for name, path in pages_to_check(computed_world).items():
        page.goto(f"{live_server.url}{path}")
        _settled(page)
        found = axe_violations(page)
        if found:
            failures[name] = found
    # And the token form after a failed submission (its error summary), and the board as an analyst.
    page.goto(f"{live_server.url}/account/tokens/")
    page.click("form.token-form button[type=submit]")
    page.wait_for_selector(".error-summary")
    if found := axe_violations(page):
        failures["tokens-error"] = found
    context.close()
    assert not failures, failures


def test_every_page_fits_390_px_and_the_screenshots_are_taken(live_server, computed_world, alice, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    world = computed_world
    shots = {
        "board": "/",
        "trust": f"/trusts/{world.orgs[0].ods_code}/?indicator=ed_4hr",
        "indicator": "/indicators/ed_4hr/",
        "tokens": "/account/tokens/",
    }
    wide = browser.new_context(viewport={"width": 1400, "height": 900})
    page = sign_in(wide, live_server, "alice", "alice-password-1")
    for name, path in shots.items():
        page.goto(f"{live_server.url}{path}")
        _settled(page)
        snapshot(page, f"{name}-1400")
    for name in ("board", "trust"):
        page.goto(f"{live_server.url}{shots[name]}")
        _settled(page)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1047, "height": 900})  # A4 landscape less 10 mm margins, at 96 dpi
        page.pdf(path=str(SCREENSHOTS / f"{name}-print.pdf"), landscape=True, format="A4", print_background=True)
        snapshot(page, f"{name}-print")
        # Nothing is cut off: no table wider than the printable A4 landscape width (297 - 20 mm at 96 dpi).
        widest = page.evaluate(
            "() => Math.max(...Array.from(document.querySelectorAll('table')).map(t => t.scrollWidth))"
        )
        assert widest <= 1047, (name, widest)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1400, "height": 900})
    wide.close()

    narrow = browser.new_context(viewport={"width": 390, "height": 844})
    page = sign_in(narrow, live_server, "alice", "alice-password-1")
    overflowing = {}
    for name, path in {**shots, **pages_to_check(world)}.items():
        page.goto(f"{live_server.url}{path}")
        _settled(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            overflowing[name] = width
        if name in shots:
            snapshot(page, f"{name}-390")
    narrow.close()
    assert not overflowing, overflowing


def test_charts_have_no_toolbar_in_the_tab_order_and_their_data_is_a_table(live_server, computed_world, alice, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = sign_in(context, live_server, "alice", "alice-password-1")
    page.goto(f"{live_server.url}/indicators/ed_4hr/")
    page.wait_for_selector("#funnel-figure-chart .main-svg")
    assert page.locator(".modebar").count() == 0
    # One "Chart options" control per chart, and the funnel's points as table rows that link to trusts.
    assert page.locator("details.chart-options").count() == page.locator(".chart[data-figure]").count()
    page.locator("#funnel-figure-chart").locator("xpath=..").locator("details.chart-data summary").click()
    page.wait_for_selector("[data-table-for=funnel-figure] table")
    links = page.locator("#funnel-figure-chart >> xpath=.. >> .chart-table a")
    assert links.count() == len(computed_world.orgs)
    links.first.focus()
    links.first.press("Enter")
    page.wait_for_url(re.compile(r"/trusts/\w+/\?indicator=ed_4hr$"))  # on the indicator clicked
    context.close()


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "alice-password-1"), ("carol", "carol-password-1"), ("id-t", "id-password-1")],
)
def test_board_to_trust_to_national_view_and_back_keeps_the_context(
    live_server, computed_world, alice, carol, browser, username, password
):
    world = computed_world
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = sign_in(context, live_server, username, password)
    code = world.orgs[0].ods_code
    page.click(f"table.board a[href='/trusts/{code}/']")
    page.wait_for_url(re.compile(rf"/trusts/{code}/$"))
    page.select_option("#indicator-select", "ed_4hr")
    page.wait_for_url(re.compile(r"indicator=ed_4hr"))
    page.click(f"a[href='/indicators/ed_4hr/?trust={code}']")
    page.wait_for_url(re.compile(rf"/indicators/ed_4hr/\?trust={code}$"))
    assert page.locator("tr.selected a[aria-current=true]").count() >= 1
    page.go_back()
    page.wait_for_url(re.compile(r"indicator=ed_4hr"))
    assert page.locator("#indicator-select").input_value() == "ed_4hr"
    page.go_back()
    page.go_back()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("table.board tbody tr").count() >= 1
    context.close()
