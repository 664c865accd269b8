"""The board pack PDF: the board, then one page per trust in a regime, as each user may see it."""

import re
import zlib
from datetime import date

from django.core.management import call_command
from django.test import Client

from actions.board_pack import board_pack
from indicators.recompute import results_recompute
from tests.pages.world import build_world
from trusts.models import RegimeEpisode


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def text_of(pdf: bytes) -> str:
    """Every content stream, inflated (fpdf2 compresses them)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            chunks.append(match.group(1).decode("latin-1"))
    return "\n".join(chunks)


def test_one_page_per_trust_in_a_regime_and_the_board(db, alice, carol, tmp_path):
    world = build_world(6, 36, start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    results_recompute(triggered_by="test", as_at=date(2024, 1, 1))  # the pack as at a past date reads its run
    in_regime = RegimeEpisode.objects.filter(exited__isnull=True).values("organisation").distinct().count()
    assert in_regime == 3  # SMQ, CP and NOF4 (the exited episode is not in a regime)
    content, trusts = board_pack(alice, as_at=date(2024, 1, 1))
    assert content.startswith(b"%PDF") and trusts == in_regime and pages(content) == 1 + in_regime
    text = text_of(content)
    assert "National board" in text and world.orgs[1].name in text  # oversight staff see the CP trust
    # carol has no confidential access: the CP trust is neither on her board nor a page of her pack.
    visible = RegimeEpisode.objects.filter(exited__isnull=True, regime__confidential=False)
    content, trusts = board_pack(carol, as_at=date(2024, 1, 1))
    assert pages(content) == 1 + visible.values("organisation").distinct().count() == 1 + 2
    assert world.orgs[1].name not in text_of(content)
    out = tmp_path / "pack.pdf"
    call_command("board_pack", "--out", str(out), "--as-at", "2024-01-01")
    assert pages(out.read_bytes()) == 1 + in_regime
    client = Client()
    client.force_login(carol)
    response = client.get("/board/pack.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pages(response.content) == 3


def test_a_pack_as_at_a_past_date_reads_that_dates_run_and_refuses_without_one(db, alice, tmp_path):
    import pytest
    from django.core.management.base import CommandError

    from indicators.models import SpcSummary

    build_world(6, 36, start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    with pytest.raises(CommandError, match=r"no results have been computed as at 2016-06-30.*recompute --as-at"):
        call_command("board_pack", "--out", str(tmp_path / "old.pdf"), "--as-at", "2016-06-30")
    assert not (tmp_path / "old.pdf").exists()
    run = results_recompute(triggered_by="test", as_at=date(2016, 6, 30))
    content, _ = board_pack(alice, as_at=date(2016, 6, 30))
    text = text_of(content)
    assert f"results on data to {run.data_as_of:%B %Y}" in text and run.data_as_of <= date(2016, 6, 30)
    # Only trusts in a regime on the date: the world's episodes entered by then.
    on_date = RegimeEpisode.objects.filter(entered__lte=date(2016, 6, 30)).exclude(exited__lte=date(2016, 6, 30))
    assert pages(content) == 1 + on_date.values("organisation").distinct().count()
    assert SpcSummary.all_runs.filter(run=run).exists()


def test_the_weekly_board_pack_is_emailed_to_its_subscribers(db, alice, carol):
    from django.core import mail

    from actions import services

    build_world(6, 36, start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    for user in (alice, carol):
        user.email = f"{user.username}@example.nhs.uk"
        user.save()
    services.subscription_create(user=carol, target="all", events=["board_pack"])
    services.subscription_create(user=alice, target="all", events=["alert"])
    assert services.email_board_packs(date(2024, 1, 1)) == 1
    (message,) = mail.outbox
    assert message.to == [carol.email]
    (name, content, kind) = message.attachments[0]
    assert kind == "application/pdf" and pages(content) == 1 + 2  # carol's pack: no CP trust


def test_each_stored_variation_icon_prints_in_its_mdc_colour():
    from actions.board_pack import ICON_RGB, _icon_rgb

    assert _icon_rgb("special_cause_improvement") == ICON_RGB["improvement"]
    assert _icon_rgb("special_cause_concern") == ICON_RGB["concern"]
    assert _icon_rgb("special_cause_neutral_high") == _icon_rgb("special_cause_neutral_low") == ICON_RGB["neutral"]
    assert _icon_rgb("common_cause") == _icon_rgb("") == ICON_RGB["common"]
