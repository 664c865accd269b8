"""Issue 15 in a real browser: the inbox and its unread count, a case from open to closed, the evaluation report."""

from tests.browser.harness import IN_CHROMIUM, SCREENSHOTS, sign_in, snapshot

pytestmark = IN_CHROMIUM


def test_inbox_case_and_report(live_server, computed_world, alice, browser):
    from actions import services
    from actions.models import Event, OutlierCase

    world = computed_world
    services.subscription_create(user=alice, target="all", events=["alert"])
    event = Event.objects.create(
        key="alert:browser", kind="alert", title="A browser-test signal", organisation=world.slipping
    )
    services.fan_out([event.pk])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors = []
    page = sign_in(context, live_server, errors=errors)

    # The inbox: the header counts one unread notification; marking it read clears the count.
    header = page.locator("nav[aria-label=Main] a", has_text="Notifications")
    assert "1" in header.inner_text()
    header.click()
    assert page.locator("ul.inbox li.unread", has_text="A browser-test signal").count() == 1
    snapshot(page, "inbox")
    page.click("ul.inbox li.unread button")
    assert page.locator("ul.inbox li.unread").count() == 0
    assert page.locator("nav[aria-label=Main] .badge").count() == 0

    # A case: opened from the early-warning list, answered, closed with a reason.
    page.goto(f"{live_server.url}/early-warning/")
    page.locator("form[action='/cases/open/'] button").first.click()
    page.wait_for_url(f"{live_server.url}/cases/*/")
    page.fill("#case-response", "Winter pressures; recovery plan agreed.")
    page.click("form:has(#case-response) button")
    assert "Trust responded" in page.locator("dl.facts").inner_text()
    page.fill("#case-close", "Response accepted.")
    page.click("form:has(#case-close) button")
    assert "Response accepted." in page.locator("dl.facts").inner_text()
    snapshot(page, "case")
    assert OutlierCase.objects.get().status == "closed"

    # The evaluation report: Table 23 in one table per regime group.
    page.goto(f"{live_server.url}/analytics/report/?cutoff=2030-01-01")
    assert page.locator("table.table23").count() >= 3
    assert page.locator("table.table23 tbody tr").count() > 0
    snapshot(page, "report")
    context.close()
    assert errors == []
