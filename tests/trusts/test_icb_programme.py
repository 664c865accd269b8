"""An ICB in the programme (issue 15): its System Improvement Director and its trusts linked, shown on the
ICB's page and its trusts', as confidential as the ICB's episode, every change audited with who, when and why,
and bad input refused naming the field.

alice is oversight staff, carol an analyst without confidential access, bob an improvement director, and
erin another improvement director (the SID).
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from oversight.audit import AuditFilters, audit_page
from trusts.constants import AssignmentRole
from trusts.models import ImprovementDirectorAssignment, RegimeEpisode, SystemProgrammeLink
from trusts.services import user_create
from trusts.system_programme import (
    icb_programmes,
    system_director_assign,
    system_trust_link,
    system_trust_unlink,
    trust_system_programmes,
)

TODAY = date.today()


@pytest.fixture
def erin(db):
    user = user_create(username="erin", role="director", password="erin-password-1")
    user.first_name, user.last_name = "Erin", "Sid"
    user.save()
    return user


@pytest.fixture
def icb(make_org):
    return make_org("QWE", "South West London ICB", kind="icb", sector="icb")


@pytest.fixture
def members(make_org, icb):
    return [make_org("RM1", "Member One Trust", parent_icb=icb), make_org("RM2", "Member Two Trust", parent_icb=icb)]


@pytest.fixture
def outsider(make_org):
    other_icb = make_org("QXX", "Elsewhere ICB", kind="icb", sector="icb")
    return make_org("RO1", "Outside Trust", parent_icb=other_icb)


@pytest.fixture
def programme(regimes, icb):
    return RegimeEpisode.objects.create(organisation=icb, regime=regimes["NOF4"], entered=date(2024, 4, 1))


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _entries(kind):
    return audit_page(AuditFilters(kinds=[kind]), offset=0, limit=100)


def test_an_icb_in_the_programme_shows_its_sid_and_linked_trusts_with_their_own_regimes(
    alice, carol, erin, members, programme, regimes
):
    RegimeEpisode.objects.create(organisation=members[0], regime=regimes["SMQ"], entered=date(2019, 1, 1))
    system_director_assign(actor=alice, episode=programme, user=erin, date_from=date(2024, 5, 1), reason="Appointed")
    system_trust_link(actor=alice, episode=programme, trust=members[0], reason="Main acute provider")
    page = _signed_in(carol).get(f"/trusts/{programme.organisation.ods_code}/").content.decode()
    assert "System programme" in page and "Erin Sid from 1 May 2024" in page
    linked_row = page[page.index("Trusts linked to the programme") :]
    assert "Member One Trust" in linked_row and "SMQ" in linked_row.split("</tr>", 2)[1]
    assert "Other trusts in this ICB" in page and "Member Two Trust" in page.split("Other trusts in this ICB")[1]
    assert "Link a trust" not in page  # an analyst reads, never changes
    assert "Link a trust" in _signed_in(alice).get(f"/trusts/{programme.organisation.ods_code}/").content.decode()
    trust_page = _signed_in(carol).get(f"/trusts/{members[0].ods_code}/").content.decode()
    assert "Its system is in the programme" in trust_page and "System Improvement Director Erin Sid" in trust_page
    unlinked_page = _signed_in(carol).get(f"/trusts/{members[1].ods_code}/").content.decode()
    assert "Its system is in the programme" not in unlinked_page


def test_a_confidential_icb_episode_leaks_nowhere_without_confidential_access(
    alice, carol, erin, members, icb, regimes
):
    hidden = RegimeEpisode.objects.create(organisation=icb, regime=regimes["CP"], entered=date(2024, 1, 1))
    system_director_assign(actor=alice, episode=hidden, user=erin, date_from=date(2024, 2, 1))
    system_trust_link(actor=alice, episode=hidden, trust=members[0])
    assert [p.episode for p in icb_programmes(alice, icb)] == [hidden]
    assert icb_programmes(carol, icb) == [] and trust_system_programmes(carol, members[0]) == []
    for ods in (icb.ods_code, members[0].ods_code):
        page = _signed_in(carol).get(f"/trusts/{ods}/").content.decode()
        assert "Its system is in the programme" not in page and "Trusts linked to the programme" not in page
    assert "Its system is in the programme" in _signed_in(alice).get(f"/trusts/{members[0].ods_code}/").content.decode()
    # The forms answer 404 as for a record that does not exist, and the audit rows are withheld.
    link = SystemProgrammeLink.objects.get()
    assert _signed_in(carol).get(reverse("system-trust-unlink", args=[link.pk])).status_code == 404
    assert [e.change for e in _entries("system_link")] == ["created"]
    assert audit_page(AuditFilters(kinds=["system_link"], hide_confidential=True), offset=0, limit=10) == []


def test_every_change_is_audited_with_who_when_and_why(alice, erin, members, programme):
    before = TODAY
    link = system_trust_link(actor=alice, episode=programme, trust=members[0], reason="Covered from April")
    system_director_assign(actor=alice, episode=programme, user=erin, date_from=date(2024, 5, 1), reason="Appointed")
    system_trust_unlink(actor=alice, link=link, reason="Left the system's footprint")
    changes = [(e.user, e.change, e.reason) for e in _entries("system_link")]
    assert changes == [
        ("alice", "deleted", "Left the system's footprint"),
        ("alice", "created", "Covered from April"),
    ]
    assert all(e.when.date() >= before for e in _entries("system_link"))
    (assigned,) = _entries("assignment")
    assert (assigned.user, assigned.change, assigned.reason) == ("alice", "created", "Appointed")
    assert ImprovementDirectorAssignment.objects.get().role == AssignmentRole.SYSTEM_IMPROVEMENT_DIRECTOR


def test_a_new_sid_takes_over_from_the_previous_one(alice, erin, bob, programme):
    system_director_assign(actor=alice, episode=programme, user=erin, date_from=date(2024, 5, 1))
    system_director_assign(actor=alice, episode=programme, user=bob, date_from=date(2025, 1, 1), reason="Rotation")
    sids = ImprovementDirectorAssignment.objects.filter(role=AssignmentRole.SYSTEM_IMPROVEMENT_DIRECTOR)
    assert sorted(sids.values_list("user__username", "date_to")) == [("bob", None), ("erin", date(2024, 12, 31))]
    handed_over = next(e for e in _entries("assignment") if e.change == "changed")
    assert handed_over.reason == "Handed over to bob: Rotation"


def test_bad_input_is_refused_naming_the_field(alice, bob, carol, erin, members, outsider, programme, regimes):
    with pytest.raises(ValidationError) as refused:
        system_director_assign(actor=alice, episode=programme, user=carol, date_from=date(2020, 1, 1))
    assert set(refused.value.message_dict) == {"user", "date_from"}
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=programme, trust=outsider)
    assert "outside_icb" in refused.value.message_dict and "Elsewhere ICB" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=programme, trust=outsider, outside_icb=True)
    assert set(refused.value.message_dict) == {"note"}
    deliberate = system_trust_link(actor=alice, episode=programme, trust=outsider, outside_icb=True, note="Shared CEO")
    assert deliberate.outside_icb
    system_trust_link(actor=alice, episode=programme, trust=members[0])
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=programme, trust=members[0])
    assert refused.value.message_dict == {"trust": [f"{members[0]} is already linked to this programme."]}
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=programme, trust=programme.organisation)
    assert "trust" in refused.value.message_dict
    trust_episode = RegimeEpisode.objects.create(
        organisation=members[1], regime=regimes["SMQ"], entered=date(2019, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=trust_episode, trust=members[0])
    assert "episode" in refused.value.message_dict  # only an ICB has a system programme
    with pytest.raises(PermissionDenied):
        system_trust_link(actor=bob, episode=programme, trust=members[1])
    with pytest.raises(ValidationError) as refused:
        system_trust_unlink(actor=alice, link=deliberate, reason=" ")
    assert "reason" in refused.value.message_dict


def test_a_trust_cannot_be_in_two_open_system_programmes(alice, members, outsider, programme, regimes):
    other = RegimeEpisode.objects.create(
        organisation=outsider.parent_icb, regime=regimes["NOF4"], entered=date(2024, 6, 1)
    )
    system_trust_link(actor=alice, episode=programme, trust=members[0])
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=other, trust=members[0], outside_icb=True, note="Shared services")
    assert "already linked to the programme of South West London ICB" in refused.value.message_dict["trust"][0]


def test_the_forms_record_the_sid_and_links_and_show_errors_beside_the_field(
    alice, carol, erin, members, outsider, programme
):
    client = _signed_in(alice)
    director_url = reverse("system-director-assign", args=[programme.pk])
    assert "Erin Sid" in client.get(director_url).content.decode()
    wrong = client.post(director_url, {"user": carol.pk, "date_from": "2024-05-01"})
    assert wrong.status_code == 400 and "is not an improvement director" in wrong.content.decode()
    done = client.post(director_url, {"user": erin.pk, "date_from": "2024-05-01", "reason": "Appointed by the region"})
    assert done.status_code == 302 and done["Location"] == f"/trusts/{programme.organisation.ods_code}/"
    link_url = reverse("system-trust-link", args=[programme.pk])
    unknown = client.post(link_url, {"trust": "ZZZ9"})
    assert unknown.status_code == 400 and "No organisation has the ODS code" in unknown.content.decode()
    outside = client.post(link_url, {"trust": outsider.ods_code.lower()})
    assert outside.status_code == 400 and "outside this ICB deliberately" in outside.content.decode()
    assert client.post(link_url, {"trust": members[0].ods_code, "reason": "In scope"}).status_code == 302
    link = SystemProgrammeLink.objects.get()
    assert (link.trust, link.linked_by) == (members[0], alice)
    assert _signed_in(carol).post(link_url, {"trust": members[1].ods_code}).status_code == 403
    unlink_url = reverse("system-trust-unlink", args=[link.pk])
    assert client.post(unlink_url, {"reason": ""}).status_code == 400
    assert client.post(unlink_url, {"reason": "Out of scope"}).status_code == 302
    assert not SystemProgrammeLink.objects.exists()
    assert _entries("system_link")[0].channel == "form"


def test_an_ended_programme_cannot_change(alice, erin, members, programme):
    RegimeEpisode.objects.filter(pk=programme.pk).update(exited=TODAY - timedelta(days=1))
    programme.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        system_trust_link(actor=alice, episode=programme, trust=members[0])
    assert "episode" in refused.value.message_dict
