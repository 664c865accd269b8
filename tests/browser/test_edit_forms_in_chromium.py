"""Every edit form, opened in a real browser and saved unchanged, keeps every field: nothing is lost.

A date that the form fills in a format `<input type=date>` does not take is dropped by the browser
and erased on save; a number shown at another precision, a choice missing from its list, an empty
value turned into another, or line breaks sent back as CRLF would each change the record. Here each
form is opened in headless Chromium (/usr/bin/chromium through Playwright), saved with its Save
button as it was filled, and the stored row, its version and its history are compared before and
after: nothing may change.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from tests.browser.harness import IN_CHROMIUM, sign_in

pytestmark = IN_CHROMIUM


@pytest.fixture
def records(live_server, alice, make_org, regimes):
    """An episode whose records use every kind of field, filled as an editor would have left them."""
    from indicators.models import Indicator
    from trusts.models import DiagnosticStocktake, ExitCriterion, RegimeEpisode, SupportFunding

    indicator = Indicator.objects.create(code="ed_4hr", name="A&E within 4 hours", kind="proportion", cadence="monthly")
    episode = RegimeEpisode.objects.create(
        organisation=make_org("RF1", "Form Trust"),
        regime=regimes["SMQ"],
        entered=date(2019, 1, 1),
        proposed_exit=date(2021, 3, 31),
        proposed_exit_by=alice,
    )
    stocktake = DiagnosticStocktake.objects.create(
        episode=episode,
        root_causes="Weak board oversight.\nNo clinical strategy.",
        structural_issues="",
        leadership_capability="Interim CEO\n\nNew chair from April",
        leadership_direction="partial",
        leadership_alignment="absent",
        leadership_commitment="present",
        completed_on=date(2019, 3, 14),
    )
    open_terms = ExitCriterion.objects.create(
        episode=episode,
        theme="operations",
        description="Four-hour performance sustained",
        indicator=indicator,
        comparator="ge",
        threshold=0.955,
        months_sustained=6,
        status="in_progress",
        evidence="Monthly SitRep\nBoard papers",
    )
    no_numbers = ExitCriterion.objects.create(
        episode=episode, theme="culture", description="Staff survey acted on", status="proposed"
    )
    approved = ExitCriterion.objects.create(
        episode=episode, theme="governance", description="Well-led review", comparator="", status="approved"
    )
    approved.approved_snapshot = approved.approval_view()
    approved.save()
    funding = SupportFunding.objects.create(
        episode=episode, year=2024, category="qi_training", budget=Decimal("250000.00"), spent=Decimal("1234.50")
    )
    return {
        "stocktake": (stocktake, f"/records/episodes/{episode.pk}/stocktake/"),
        "criterion with every term": (open_terms, f"/records/criteria/{open_terms.pk}/"),
        "criterion with empty terms": (no_numbers, f"/records/criteria/{no_numbers.pk}/"),
        "approved criterion": (approved, f"/records/criteria/{approved.pk}/"),
        "funding": (funding, f"/records/funding/{funding.pk}/"),
        "proposed exit": (episode, f"/records/episodes/{episode.pk}/propose-exit/"),
    }


def stored(record) -> tuple[dict, int]:
    fresh = type(record).objects.get(pk=record.pk)
    row = model_to_dict(fresh)
    row["version"] = fresh.version
    return row, fresh.history.count()


def test_every_edit_form_saved_unchanged_keeps_every_field(live_server, records, browser):
    page = sign_in(browser.new_context(viewport={"width": 1280, "height": 900}), live_server)

    changed = {}
    for name, (record, url) in records.items():
        before = stored(record)
        page.goto(f"{live_server.url}{url}")
        with page.expect_navigation():
            page.click("form.record-form button[type=submit]")
        assert page.url != f"{live_server.url}{url}", f"{name}: the form was refused: {page.content()[:2000]}"
        after = stored(record)
        if after != before:
            changed[name] = {
                field: (before[0][field], after[0][field]) for field in before[0] if before[0][field] != after[0][field]
            } or {"history rows": (before[1], after[1])}
    assert not changed, changed
    # The stocktake's completion date is the one the issue saw erased.
    assert records["stocktake"][0].__class__.objects.get().completed_on == date(2019, 3, 14)
