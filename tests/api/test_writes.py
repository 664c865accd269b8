"""Writes through the API use the same services, rights and version checks as the forms."""

from datetime import date

from tests.api.world import bearer


def patch(client, url, data, key):
    return client.patch(url, data, content_type="application/json", **bearer(key))


def post(client, url, data, key):
    return client.post(url, data, content_type="application/json", **bearer(key))


def test_bobs_write_token_updates_a_criterion_of_his_trust(client, tokens, world):
    criterion = world["records"]["own"]["criterion"]
    response = patch(
        client,
        f"/api/v1/criteria/{criterion.pk}/",
        {"evidence": "Board minutes", "status": "in_progress", "version": 1},
        tokens["write_bob"],
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    criterion.refresh_from_db()
    assert (criterion.evidence, criterion.status, criterion.version) == ("Board minutes", "in_progress", 2)


def test_bobs_write_token_cannot_touch_another_trusts_records(client, tokens, world):
    other = world["records"]["other"]
    # Another trust's episode records are not his to see, so they are not there for him (404);
    # the episode itself is published, so adding to it is refused (403).
    key = tokens["write_bob"]
    assert (
        patch(client, f"/api/v1/criteria/{other['criterion'].pk}/", {"evidence": "x", "version": 1}, key).status_code
        == 404
    )
    assert (
        patch(client, f"/api/v1/funding/{other['funding'].pk}/", {"spent": "5", "version": 1}, key).status_code == 404
    )
    assert post(client, "/api/v1/notes/", {"episode": world["other_episode"].pk, "text": "x"}, key).status_code == 403
    created = post(
        client, "/api/v1/criteria/", {"episode": world["other_episode"].pk, "theme": "culture", "description": "x"}, key
    )
    assert created.status_code == 403
    assert (
        post(
            client,
            f"/api/v1/episodes/{world['other_episode'].pk}/propose-exit/",
            {"exit_date": "2022-01-01", "version": 1},
            key,
        ).status_code
        == 403
    )
    # A CP episode of a trust that is not his does not exist as far as he can tell.
    cp_episode = world["cp_episode"]
    assert post(client, "/api/v1/notes/", {"episode": cp_episode.pk, "text": "x"}, key).status_code == 400
    assert (
        post(
            client, f"/api/v1/episodes/{cp_episode.pk}/propose-exit/", {"exit_date": "2022-01-01", "version": 1}, key
        ).status_code
        == 404
    )
    other["criterion"].refresh_from_db()
    assert other["criterion"].evidence == ""


def test_a_stale_version_is_refused_with_a_409_and_nothing_is_overwritten(client, tokens, world):
    stocktake = world["records"]["own"]["stocktake"]
    first = patch(
        client, f"/api/v1/stocktakes/{stocktake.pk}/", {"root_causes": "first", "version": 1}, tokens["write_bob"]
    )
    assert first.status_code == 200
    second = patch(
        client, f"/api/v1/stocktakes/{stocktake.pk}/", {"root_causes": "second", "version": 1}, tokens["write_alice"]
    )
    assert second.status_code == 409
    assert "changed by bob" in second.json()["detail"]
    assert "Nothing was overwritten" in second.json()["detail"]
    stocktake.refresh_from_db()
    assert stocktake.root_causes == "first"


def test_an_edit_without_a_version_is_refused(client, tokens, world):
    funding = world["records"]["own"]["funding"]
    response = patch(client, f"/api/v1/funding/{funding.pk}/", {"spent": "10"}, tokens["write_bob"])
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


def test_exit_is_proposed_by_the_director_and_approved_by_someone_else(client, tokens, world):
    episode = world["own_episode"]
    proposed = post(
        client,
        f"/api/v1/episodes/{episode.pk}/propose-exit/",
        {"exit_date": "2021-03-01", "version": 1},
        tokens["write_bob"],
    )
    assert proposed.status_code == 200, proposed.json()
    assert proposed.json()["proposed_exit"] == "2021-03-01"
    assert proposed.json()["exited"] is None
    without_reason = post(client, f"/api/v1/episodes/{episode.pk}/approve-exit/", {"version": 2}, tokens["write_alice"])
    assert without_reason.status_code == 400
    approved = post(
        client,
        f"/api/v1/episodes/{episode.pk}/approve-exit/",
        {"version": 2, "change_reason": "Exit criteria met; CQC rated requires improvement"},
        tokens["write_alice"],
    )
    assert approved.status_code == 200, approved.json()
    episode.refresh_from_db()
    assert episode.exited == date(2021, 3, 1)


def test_the_proposer_cannot_approve_their_own_exit(client, tokens, world):
    episode = world["own_episode"]
    post(
        client,
        f"/api/v1/episodes/{episode.pk}/propose-exit/",
        {"exit_date": "2021-03-01", "version": 1},
        tokens["write_alice"],
    )
    response = post(
        client,
        f"/api/v1/episodes/{episode.pk}/approve-exit/",
        {"version": 2, "change_reason": "done"},
        tokens["write_alice"],
    )
    assert response.status_code == 403
    assert "Four eyes" in response.json()["detail"]


def test_a_director_cannot_approve(client, tokens, world):
    criterion = world["records"]["own"]["criterion"]
    response = post(client, f"/api/v1/criteria/{criterion.pk}/approve/", {"version": 1}, tokens["write_bob"])
    assert response.status_code == 403


def test_oversight_opens_an_episode_and_a_director_cannot(client, tokens, world):
    data = {"organisation": "RB2", "regime": "NOF4", "entered": "2024-04-01", "reason": "Segment 4"}
    assert post(client, "/api/v1/episodes/", data, tokens["write_bob"]).status_code == 403
    response = post(client, "/api/v1/episodes/", data, tokens["write_alice"])
    assert response.status_code == 201, response.json()
    assert response.json()["regime"] == "NOF4"


def test_an_episode_outside_its_regimes_dates_is_refused_with_the_field_named(client, tokens, world):
    data = {"organisation": "RB2", "regime": "SMQ", "entered": "2024-04-01"}
    response = post(client, "/api/v1/episodes/", data, tokens["write_alice"])
    assert response.status_code == 400
    assert "entered" in response.json()["errors"]


def test_a_director_adds_criteria_and_notes_for_his_trust(client, tokens, world):
    episode = world["own_episode"]
    created = post(
        client,
        "/api/v1/criteria/",
        {"episode": episode.pk, "theme": "finance", "description": "Deficit plan agreed", "indicator": "ed_4hr"},
        tokens["write_bob"],
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "proposed"
    note = post(client, "/api/v1/notes/", {"episode": episode.pk, "text": "Visited the board"}, tokens["write_bob"])
    assert note.status_code == 201
    assert note.json()["author"] == "bob"


def test_an_analyst_cannot_write(client, world):
    client.force_login(world["carol"])
    criterion = world["records"]["own"]["criterion"]
    response = client.patch(
        f"/api/v1/criteria/{criterion.pk}/", {"evidence": "x", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 403
