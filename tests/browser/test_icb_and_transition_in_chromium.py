"""Issue 15 in a real browser: a trust's transition after exit (its schedule, a check-in recorded and listed), and
an ICB's system programme (its System Improvement Director recorded, a trust linked, the trust's page saying so)."""

from datetime import date, timedelta

from tests.browser.harness import IN_CHROMIUM, SCREENSHOTS, sign_in, snapshot

pytestmark = IN_CHROMIUM

TODAY = date.today()


def _signed_in_page(browser, live_server, errors):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = sign_in(context, live_server, errors=errors, responses=False)
    return context, page


def test_transition_schedule_and_a_check_in(live_server, alice, regimes, make_org, browser):
    from actions.models import Transition
    from trusts.models import RegimeEpisode
    from trusts.services import episode_approve_exit, episode_propose_exit, user_create

    dora = user_create(username="dora", role="oversight", password="dora-password-1")
    trust = make_org("RT1", "Transition Trust")
    episode = RegimeEpisode.objects.create(organisation=trust, regime=regimes["NOF4"], entered=date(2023, 1, 1))
    episode = episode_propose_exit(
        actor=alice, episode=episode, exit_date=TODAY - timedelta(days=40), expected_version=episode.version
    )
    episode_approve_exit(actor=dora, episode=episode, expected_version=episode.version, reason="Criteria met")
    errors = []
    context, page = _signed_in_page(browser, live_server, errors)
    page.goto(f"{live_server.url}/trusts/RT1/")
    section = page.locator("section.transition")
    schedule = section.locator("table:has(caption:text('Tapering of national support')) tbody tr")
    assert schedule.count() == 3
    assert "Tapered national support" in schedule.first.inner_text()
    assert "current" in (schedule.first.get_attribute("class") or "")  # 40 days in: the first step
    check_ins = section.locator("table:has(caption:text('Check-ins')) tbody tr")
    assert check_ins.inner_text() == "No check-ins recorded yet."
    check_in = section.locator("article.transition-record form:has(button:text('Record the check-in'))")
    check_in.get_by_label("Held on").fill(TODAY.isoformat())
    check_in.get_by_label("Outcome").select_option("concern")
    check_in.get_by_label("Note").fill("RTT waiting list growing again")
    check_in.locator("button").click()
    page.wait_for_url(f"{live_server.url}/trusts/RT1/*")
    row = page.locator("section.transition table:has(caption:text('Check-ins')) tbody tr")
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells == [TODAY.isoformat(), "Concerns noted", "RTT waiting list growing again", "alice"]
    page.locator("section.transition").screenshot(path=str(SCREENSHOTS / "transition-section.png"))
    snapshot(page, "transition-trust-page")
    context.close()
    assert Transition.objects.get().check_ins[0]["outcome"] == "concern"
    assert errors == []


def test_icb_programme_sid_and_linked_trust(live_server, alice, regimes, make_org, browser):
    from trusts.models import RegimeEpisode, SystemProgrammeLink
    from trusts.services import user_create

    erin = user_create(username="erin", role="director", password="erin-password-1")
    erin.first_name, erin.last_name = "Erin", "Shaw"
    erin.save()
    icb = make_org("QWE", "NHS South West London Integrated Care Board", kind="icb", sector="icb")
    member = make_org("RM1", "Kingston and Richmond NHS Foundation Trust", parent_icb=icb)
    make_org("RM2", "Croydon Health Services NHS Trust", parent_icb=icb)
    RegimeEpisode.objects.create(organisation=member, regime=regimes["SMQ"], entered=date(2019, 1, 1))
    RegimeEpisode.objects.create(organisation=icb, regime=regimes["NOF4"], entered=date(2024, 4, 1))
    errors = []
    context, page = _signed_in_page(browser, live_server, errors)
    page.goto(f"{live_server.url}/trusts/QWE/")
    section = page.locator("section.system-programme")
    assert "none recorded" in section.inner_text()
    section.locator("a", has_text="Record the System Improvement Director").click()
    page.select_option("#id_user", label="Erin Shaw")
    page.fill("#id_date_from", "2024-05-01")
    page.fill("#id_reason", "Appointed by the region")
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/trusts/QWE/")
    assert "Erin Shaw from 1 May 2024" in page.locator("section.system-programme").inner_text()

    page.locator("section.system-programme a", has_text="Link a trust").click()
    page.fill("#id_trust", "ZZZ9")
    page.click("form.record-form button[type=submit]")
    error = page.locator(".field-error:has(#id_trust) .errorlist")
    assert "No organisation has the ODS code 'ZZZ9'" in error.inner_text()
    # The refused form answers 400, which the console reports: that one error is expected, and only it.
    assert [text for text in errors if "400" not in text] == [] and len(errors) == 1
    errors.clear()
    page.fill("#id_trust", "rm1")
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/trusts/QWE/")
    rows = page.locator("section.system-programme table.system-links tbody tr")
    assert rows.count() == 1
    assert "Kingston and Richmond" in rows.first.inner_text() and "SMQ since 1 Jan 2019" in rows.first.inner_text()
    assert "Croydon Health Services" in page.locator("section.system-programme").inner_text()  # not linked yet
    page.locator("section.system-programme").screenshot(path=str(SCREENSHOTS / "icb-programme.png"))
    snapshot(page, "icb-page")

    page.get_by_role("link", name="Kingston and Richmond NHS Foundation Trust", exact=True).click()
    notice = page.locator(".system-programme-notice")
    assert "Its system is in the programme" in notice.inner_text()
    assert "System Improvement Director Erin Shaw" in notice.inner_text()
    notice.screenshot(path=str(SCREENSHOTS / "icb-linked-trust-notice.png"))
    context.close()
    assert SystemProgrammeLink.objects.get().trust == member
    assert errors == []
