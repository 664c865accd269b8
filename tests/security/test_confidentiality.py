"""Nothing of the confidential CP watch list reaches a caller without confidential access, by any GET.

The world is computed by the real recompute, so the `confidential` flags on derived rows are the
ones it stamps. T01 went from CP into SMQ (route escalated_from_cp, a reason naming the watch
list), T02 is on CP alone and slipping, T00 and T04 are in SMQ directly, T03 slips in no regime.

Personas: alice (oversight), dan (analyst granted confidential access) see confidential data
through a session, a confidential or a write token; carol (analyst) and bob (director of T00
only) never do; a read token never does, whoever holds it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client

from indicators.models import PooledEffect, TrajectoryFit
from indicators.recompute import results_recompute
from tests.api.world import bearer, issue_token
from tests.indicators.builders import episode, organisations, panel, proportion_indicator
from tests.pages.conftest import _reference_data
from trusts.models import DiagnosticStocktake, EpisodeNote, ExitCriterion, RegimeEpisode
from trusts.services import user_create

pytestmark = pytest.mark.django_db

START = date(2014, 1, 1)
MONTHS = 72
ESCALATION_REASON = "Escalated from the challenged provider watch list: cp-escalation-marker-91"
CP_REASON = "Watch list: cp-only-marker-92"
CP_NOTE = "cp-note-marker-93"
MARKERS = ("cp-escalation-marker-91", "cp-only-marker-92", CP_NOTE, "escalated_from_cp", "Escalated from CP")


@pytest.fixture(scope="module")
def cp_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        _reference_data()
        indicators = [proportion_indicator("ed_4hr", name="A&E over 4 hours"), proportion_indicator("rtt_18wk")]
        orgs = organisations(8, prefix="T")
        late = MONTHS - 8

        def slipping(t):
            return 0.9 if t >= late else 0.0

        def improving(t):
            return 0.0 if t < 36 else -0.04 * (t - 36)

        for seed, indicator in enumerate(indicators):
            panel(
                indicator,
                orgs,
                START,
                MONTHS,
                seed=seed + 3,
                effects={0: improving, 1: improving, 2: slipping, 3: slipping},
            )
        smq = episode(orgs[0], "SMQ", date(2017, 1, 1), reason="CQC rated the trust inadequate.")
        cp_before = episode(orgs[1], "CP", date(2015, 9, 1), date(2016, 12, 31), reason=CP_REASON)
        escalated = episode(
            orgs[1], "SMQ", date(2017, 1, 1), route="escalated_from_cp", reason=ESCALATION_REASON, notes=CP_NOTE
        )
        cp_only = episode(orgs[2], "CP", date(2016, 6, 1), reason=CP_REASON)
        episode(orgs[4], "SMQ", date(2016, 1, 1), date(2018, 6, 30), reason="Inadequate for well-led.")
        for cp in (cp_before, cp_only):
            DiagnosticStocktake.objects.create(episode=cp, root_causes=CP_NOTE)
            ExitCriterion.objects.create(episode=cp, theme="culture", description=CP_NOTE)
            EpisodeNote.objects.create(episode=cp, text=CP_NOTE)
        people = {
            "alice": user_create(username="alice", role="oversight", password="alice-password-1"),
            "bob": user_create(
                username="bob", role="director", password="bob-password-1", trusts=[orgs[0]], assigned_from=START
            ),
            "carol": user_create(username="carol", role="analyst", password="carol-password-1"),
            "dan": user_create(username="dan", role="analyst", password="dan-password-1"),
        }
        people["dan"].user_permissions.add(Permission.objects.get(codename="view_confidential"))
        run = results_recompute(triggered_by="test")
        tokens = {
            (name, scope): issue_token(user, scope, name=f"{name}-{scope}")
            for name, user in people.items()
            for scope in ("read", "confidential", "write")
        }
        yield {
            "orgs": orgs,
            "people": people,
            "tokens": tokens,
            "smq": smq,
            "escalated": escalated,
            "cp_episodes": [cp_before, cp_only],
            "run": run,
        }
        transaction.set_rollback(True)


SEES = {"alice", "dan"}
CALLERS = [
    (name, scope) for name in ("alice", "bob", "carol", "dan") for scope in ("session", "read", "confidential", "write")
]


def sees_confidential(name: str, scope: str) -> bool:
    return name in SEES and scope != "read"


def client_for(cp_world, name: str, scope: str) -> tuple[Client, dict]:
    from django.core.cache import cache

    cache.clear()  # a fresh throttle allowance for each caller's walk
    client = Client()
    if scope == "session":
        client.force_login(cp_world["people"][name])
        return client, {}
    return client, bearer(cp_world["tokens"][(name, scope)])


CSV_VALUES = {"True": True, "False": False, "": None}


def touches_confidential(row: dict, cp_world) -> list[str]:
    """What in one returned row names a confidential regime, its episodes or its derived results."""
    text = json.dumps(row, default=str)
    found = [marker for marker in MARKERS if marker in text]
    if row.get("confidential") is True:
        found.append("confidential: true")
    for key in ("regime", "regime_group", "code"):
        if row.get(key) in ("CP", "SMQ+CP"):
            found.append(f"{key}={row[key]}")
    if re.search(r"(^|>)CP(>|$)", str(row.get("regimes", ""))):
        found.append(f"regimes={row['regimes']}")
    if row.get("route") == "escalated_from_cp":
        found.append("route")
    return found


def schema_get_paths(client, headers) -> list[str]:
    response = client.get("/api/v1/schema/?format=json", **headers)
    assert response.status_code == 200
    schema = json.loads(response.content)
    return [path for path, operations in schema["paths"].items() if "get" in operations]


def confidential_details(cp_world) -> dict[str, list[str]]:
    """For each detail path template, the lookups of its confidential rows."""
    cp_ids = [episode.pk for episode in cp_world["cp_episodes"]]
    return {
        "/api/v1/episodes/{id}/": [str(pk) for pk in cp_ids],
        "/api/v1/regimes/{code}/": ["CP"],
        "/api/v1/trajectories/{id}/": [
            str(pk) for pk in TrajectoryFit.objects.filter(confidential=True).values_list("pk", flat=True)
        ],
        "/api/v1/pooled-effects/{id}/": [
            str(pk) for pk in PooledEffect.objects.filter(confidential=True).values_list("pk", flat=True)
        ],
        "/api/v1/stocktakes/{id}/": [
            str(pk) for pk in DiagnosticStocktake.objects.filter(episode_id__in=cp_ids).values_list("pk", flat=True)
        ],
        "/api/v1/criteria/{id}/": [
            str(pk) for pk in ExitCriterion.objects.filter(episode_id__in=cp_ids).values_list("pk", flat=True)
        ],
        "/api/v1/notes/{id}/": [
            str(pk) for pk in EpisodeNote.objects.filter(episode_id__in=cp_ids).values_list("pk", flat=True)
        ],
    }


def all_rows(client, path, headers) -> tuple[int, list[dict] | None, int | None]:
    """Every row of a list, following its pages; (status, rows, the count it declared)."""
    rows, count, url = [], None, f"{path}?page_size=1000"
    while url:
        response = client.get(url, **headers)
        if response.status_code != 200:
            return response.status_code, None, None
        data = json.loads(response.content)
        if isinstance(data, list):
            return 200, data, len(data)
        if "results" not in data:
            return 200, [data], None
        rows.extend(data["results"])
        count = data.get("count") if count is None else count  # a cursor list (issue 11) counts nothing
        url = data.get("next")
    return 200, rows, count


def test_the_world_has_confidential_results_to_guard(cp_world):
    # Without these the walk below would prove nothing.
    assert TrajectoryFit.objects.filter(confidential=True, regimes="CP>SMQ").exists()
    assert TrajectoryFit.objects.filter(confidential=True, regimes="CP").exists()
    assert TrajectoryFit.objects.filter(confidential=False, regimes="SMQ").exists()
    assert PooledEffect.objects.filter(regime_group="CP", confidential=True).exists()
    assert PooledEffect.objects.filter(regime_group="SMQ+CP", confidential=True).exists()
    assert not PooledEffect.objects.filter(regime_group__in=["CP", "SMQ+CP"], confidential=False).exists()
    # SMQ pooled both over every fit and over the non-confidential ones.
    assert set(PooledEffect.objects.filter(regime_group="SMQ").values_list("confidential", flat=True)) == {True, False}


def test_the_smq_group_is_pooled_over_every_fit_and_over_the_visible_fits_apart(cp_world):
    from indicators.stats.pooling import dersimonian_laird

    fits = list(TrajectoryFit.objects.filter(indicator__code="ed_4hr", regime_group="SMQ"))
    for confidential, members in ((True, fits), (False, [fit for fit in fits if not fit.confidential])):
        row = PooledEffect.objects.get(
            indicator__code="ed_4hr", regime_group="SMQ", quantity="level_change", confidential=confidential
        )
        pairs = [
            (fit.coefficients["level_change"]["estimate"], fit.coefficients["level_change"]["se"])
            for fit in members
            if "level_change" in fit.coefficients
        ]
        assert row.n == len(pairs)
        if pairs:
            assert row.estimate == pytest.approx(
                dersimonian_laird([p[0] for p in pairs], [p[1] for p in pairs]).estimate
            )
    assert any(fit.confidential for fit in fits) and any(not fit.confidential for fit in fits)


@pytest.mark.parametrize(("name", "scope"), CALLERS)
def test_every_get_endpoint_hides_confidential_rows_and_counts_unless_allowed(cp_world, name, scope):
    client, headers = client_for(cp_world, name, scope)
    allowed = sees_confidential(name, scope)
    details = confidential_details(cp_world)
    failures, seen_confidential = [], set()
    paths = schema_get_paths(client, headers)
    assert len(paths) > 25
    visible_counts: dict[str, int] = {}
    for template in paths:
        if template.startswith(("/api/v1/schema", "/api/v1/docs")):
            continue
        if "{" not in template:
            status, rows, count = all_rows(client, template, headers)
            if status != 200:
                continue  # refused outright (episode records for a read token): nothing to leak
            if count is not None and count != len(rows):
                failures.append(f"{template}: count {count} for {len(rows)} rows")
            visible_counts[template] = len(rows)
            for row in rows:
                found = touches_confidential(row, cp_world)
                if found:
                    seen_confidential.add(template)
                    if not allowed:
                        failures.append(f"{template} row {row.get('id')}: {found}")
            csv_response = client.get(f"{template}?format=csv&page_size=1000", **headers)
            if csv_response.status_code == 200:
                body = csv_response.content.decode()
                csv_rows = list(csv.DictReader(io.StringIO(body)))
                if rows and isinstance(rows[0], dict) and "id" in rows[0] and len(csv_rows) != min(len(rows), 1000):
                    failures.append(f"{template}?format=csv: {len(csv_rows)} rows for {len(rows)}")
                if not allowed:
                    for row in csv_rows:
                        cells = {key: CSV_VALUES.get(value, value) for key, value in row.items()}
                        found = touches_confidential(cells, cp_world)
                        if found:
                            failures.append(f"{template}?format=csv row {row.get('id')}: {found}")
            continue
        for lookup in details.get(template, []):
            path = re.sub(r"\{[^}]+\}", lookup, template)
            response = client.get(path, **headers)
            if allowed and response.status_code not in (200, 403):
                failures.append(f"{path}: {response.status_code} for a caller who may see it")
            if not allowed and response.status_code != 404 and not (scope == "read" and response.status_code == 403):
                failures.append(f"{path}: {response.status_code}, expected 404 (as for a row that does not exist)")
            if not allowed and response.status_code == 200:
                failures.append(f"{path}: served {response.content[:80]!r}")
    # Run counts: never more trajectories or pooled effects than the caller can list.
    status, runs, _ = all_rows(client, "/api/v1/runs/", headers)
    assert status == 200
    counts = next(run for run in runs if run["id"] == cp_world["run"].pk)["counts"]
    for key, template in (("trajectories", "/api/v1/trajectories/"), ("pooled_effects", "/api/v1/pooled-effects/")):
        if not allowed and counts.get(key) != visible_counts[template]:
            failures.append(f"/api/v1/runs/ counts {key}={counts.get(key)}, caller lists {visible_counts[template]}")
        if allowed and counts.get(key) != visible_counts[template]:
            failures.append(
                f"confidential caller: runs count {key}={counts.get(key)}, lists {visible_counts[template]}"
            )
    assert "without_confidential" not in json.dumps(runs)
    if allowed:
        # The confidential caller sees what the others may not.
        for template in ("/api/v1/episodes/", "/api/v1/trajectories/", "/api/v1/pooled-effects/", "/api/v1/regimes/"):
            assert template in seen_confidential, f"{name}/{scope} saw nothing confidential in {template}"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("name", "scope"), [c for c in CALLERS if not sees_confidential(*c)])
def test_an_escalated_episode_reads_like_any_other_without_confidential_access(cp_world, name, scope):
    client, headers = client_for(cp_world, name, scope)
    response = client.get("/api/v1/episodes/?page_size=1000", **headers)
    rows = {row["id"]: row for row in json.loads(response.content)["results"]}
    escalated, direct = rows[cp_world["escalated"].pk], rows[cp_world["smq"].pk]
    disclosed = name == "bob" and scope != "read"  # bob is T00's director: his own trust's details
    assert escalated["route"] == "not_disclosed" and escalated["reason"] == "" and escalated["notes"] == ""
    assert escalated["details_disclosed"] is False
    if not disclosed:
        # The direct entry reads exactly alike, so the redaction itself says nothing.
        assert (direct["route"], direct["reason"], direct["details_disclosed"]) == ("not_disclosed", "", False)


def test_a_confidential_caller_reads_the_true_route_and_reason(cp_world):
    client, headers = client_for(cp_world, "dan", "confidential")
    row = json.loads(client.get(f"/api/v1/episodes/{cp_world['escalated'].pk}/", **headers).content)
    assert (row["route"], row["reason"], row["details_disclosed"]) == ("escalated_from_cp", ESCALATION_REASON, True)


def test_the_slipping_list_and_the_alerts_agree_for_everyone(cp_world):
    """A trust on CP alone stays on the slipping list, as its alerts stay listed: nothing to subtract."""
    cp_only = cp_world["orgs"][2]
    pages = {}
    alerts = {}
    for name in ("carol", "alice"):
        client, _ = client_for(cp_world, name, "session")
        pages[name] = client.get("/early-warning/").content.decode()
        rows = json.loads(client.get("/api/v1/alerts/?page_size=1000").content)["results"]
        alerts[name] = {(row["organisation"], row["indicator"], row["period"]) for row in rows}
    assert alerts["carol"] == alerts["alice"]
    assert any(org == cp_only.ods_code for org, _, _ in alerts["carol"])
    slipping_carol = set(re.findall(r"CUSUM of the adjusted z-score: (T\d\d)", pages["carol"]))
    slipping_alice = set(re.findall(r"CUSUM of the adjusted z-score: (T\d\d)", pages["alice"]))
    assert slipping_carol == slipping_alice
    assert cp_only.ods_code in slipping_carol and cp_world["orgs"][3].ods_code in slipping_carol


@pytest.mark.parametrize("name", ["carol", "bob"])
def test_the_escalated_trusts_page_shows_no_cp_route_or_reason(cp_world, name):
    client, _ = client_for(cp_world, name, "session")
    organisation = cp_world["orgs"][1]
    for url in (f"/trusts/{organisation.ods_code}/", f"/trusts/{organisation.ods_code}/?indicator=rtt_18wk"):
        html = client.get(url).content.decode()
        assert organisation.name in html
        for marker in (*MARKERS, "CP&gt;SMQ", "CP>SMQ", "escalated"):
            assert marker not in html, f"{url} shows {marker!r} to {name}"
        assert "Not disclosed" in html


def test_the_escalated_trusts_page_shows_route_and_reason_to_a_confidential_user(cp_world):
    client, _ = client_for(cp_world, "dan", "session")
    html = client.get(f"/trusts/{cp_world['orgs'][1].ods_code}/").content.decode()
    assert "cp-escalation-marker-91" in html and "Escalated from CP" in html


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_the_board_export_shows_no_cp_route_to_an_analyst(cp_world, export):
    client, _ = client_for(cp_world, "carol", "session")
    response = client.get(f"/?export={export}")
    assert response.status_code == 200
    if export == "csv":
        body = response.content.decode()
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        body = "\n".join(",".join(str(cell.value) for cell in row) for row in sheet.iter_rows())
    assert "Escalated from CP" not in body and "CP," not in body
    assert "Not disclosed" in body


def test_regime_analytics_hides_cp_groups_and_pools_smq_over_the_visible_fits(cp_world):
    client, _ = client_for(cp_world, "carol", "session")
    html = client.get("/analytics/?regime=CP").content.decode()
    assert "That regime group is not available to you" in html
    response = client.get("/analytics/?regime=SMQ&indicator=ed_4hr")
    assert response.status_code == 200
    public = PooledEffect.objects.get(
        indicator__code="ed_4hr", regime_group="SMQ", quantity="level_change", confidential=False
    )
    shown = TrajectoryFit.objects.filter(indicator__code="ed_4hr", regime_group="SMQ", confidential=False)
    assert public.n == sum(1 for fit in shown if "level_change" in fit.coefficients)
    assert f"n = {public.n}," in response.content.decode()


def test_episode_forms_answer_404_alike_for_a_hidden_and_a_missing_episode(cp_world):
    client, _ = client_for(cp_world, "bob", "session")
    hidden = cp_world["cp_episodes"][1].pk
    missing = RegimeEpisode.objects.order_by("-pk").first().pk + 1000
    visible_other = cp_world["escalated"].pk  # visible to bob, but not his trust
    for form in ("stocktake/", "criteria/new/", "notes/new/", "propose-exit/", "approve-exit/"):
        hidden_response = client.get(f"/records/episodes/{hidden}/{form}")
        missing_response = client.get(f"/records/episodes/{missing}/{form}")
        assert hidden_response.status_code == missing_response.status_code == 404, form
        assert client.get(f"/records/episodes/{visible_other}/{form}").status_code == 403, form
    criterion = ExitCriterion.objects.filter(episode_id=hidden).first().pk
    assert client.get(f"/records/criteria/{criterion}/").status_code == 404
    assert client.get(f"/records/criteria/{criterion + 1000}/").status_code == 404


def test_api_details_answer_404_alike_for_a_hidden_and_a_missing_row(cp_world):
    client, headers = client_for(cp_world, "carol", "write")
    hidden_fit = TrajectoryFit.objects.filter(confidential=True).first().pk
    for hidden, missing in (
        (f"/api/v1/episodes/{cp_world['cp_episodes'][1].pk}/", "/api/v1/episodes/999999/"),
        (f"/api/v1/trajectories/{hidden_fit}/", "/api/v1/trajectories/999999/"),
        ("/api/v1/regimes/CP/", "/api/v1/regimes/NOPE/"),
    ):
        one, other = client.get(hidden, **headers), client.get(missing, **headers)
        assert (one.status_code, one.json()) == (other.status_code, other.json()) == (404, other.json())


def test_organisations_stay_public(cp_world):
    # The CP trust itself is an NHS trust on the public register; only its regime is confidential.
    client, headers = client_for(cp_world, "carol", "read")
    assert client.get(f"/api/v1/organisations/{cp_world['orgs'][2].ods_code}/", **headers).status_code == 200


@pytest.mark.parametrize(
    ("name", "scope", "sees"), [("carol", "session", False), ("alice", "read", False), ("dan", "confidential", True)]
)
def test_filtering_by_route_tells_no_more_than_the_rows(cp_world, name, scope, sees):
    client, headers = client_for(cp_world, name, scope)

    def ids(route):
        response = client.get(f"/api/v1/episodes/?route={route}&page_size=1000", **headers)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    escalated, direct = cp_world["escalated"].pk, cp_world["smq"].pk
    if sees:
        assert escalated in ids("escalated_from_cp") and direct not in ids("escalated_from_cp")
        assert {escalated, direct} <= ids("not_disclosed")
    else:
        assert ids("escalated_from_cp") == set() and ids("direct") == set()
        assert {escalated, direct} <= ids("not_disclosed")


def test_the_audit_timeline_of_the_escalated_trust_reads_neutrally_to_an_analyst(cp_world):
    escalated = RegimeEpisode.objects.get(pk=cp_world["escalated"].pk)
    with transaction.atomic():
        escalated.notes = "now cp-note-marker-93 again"
        escalated.reason = "Reworded: cp-escalation-marker-91"
        escalated._change_reason = "Reworded after the cp-escalation-marker-91 review"
        escalated.save()
        code = cp_world["orgs"][1].ods_code
        carol, _ = client_for(cp_world, "carol", "session")
        page = carol.get(f"/audit/organisation/{code}/")
        export = carol.get(f"/audit/organisation/{code}/", {"format": "csv"})
        text = page.content.decode() + b"".join(export.streaming_content).decode()
        assert page.status_code == 200
        for marker in MARKERS:
            assert marker not in text
        dan, _ = client_for(cp_world, "dan", "session")
        assert "cp-escalation-marker-91" in dan.get(f"/audit/organisation/{code}/").content.decode()
        transaction.set_rollback(True)
