"""Chart annotations (audited, on every chart of the trust) and saved views (kept in the database)."""

import json
import re
from datetime import date

from django.test import Client

from actions.annotations import annotate
from actions.models import ChartAnnotation, SavedView
from indicators.recompute import results_recompute
from oversight.audit import AuditFilters, audit_page
from tests.pages.world import build_world


def figures(page: str) -> dict:
    return {
        name: json.loads(body)
        for name, body in re.findall(r'<script id="([\w-]+)" type="application/json">(.*?)</script>', page, re.S)
    }


def test_an_annotation_is_audited_and_drawn_on_every_chart(db, alice, carol):
    world = build_world(6, 36, start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    trust = world.orgs[0]
    client = Client()
    client.force_login(alice)
    response = client.post(
        f"/trusts/{trust.ods_code}/annotations/", {"on": "2016-03-01", "kind": "inspection", "text": "CQC visit"}
    )
    assert response.status_code == 302
    bad = client.post(f"/trusts/{trust.ods_code}/annotations/", {"on": "2016-03-01", "kind": "gossip", "text": "x"})
    assert bad.status_code == 302 and ChartAnnotation.objects.count() == 1
    carol_client = Client()
    carol_client.force_login(carol)
    refused = carol_client.post(
        f"/trusts/{trust.ods_code}/annotations/", {"on": "2016-03-01", "kind": "other", "text": "x"}
    )
    assert refused.status_code == 403
    page = client.get(f"/trusts/{trust.ods_code}/").content.decode()
    charted = [
        name
        for name, figure in figures(page).items()
        if any(shape.get("x0") == "2016-03-01" for shape in figure.get("layout", {}).get("shapes", []))
    ]
    date_charts = [name for name in figures(page) if name != "timeline"]
    assert len(charted) >= 3 and "CQC inspection: CQC visit" in page, (charted, date_charts)
    entry = audit_page(AuditFilters(kinds=["annotation"]), offset=0, limit=5)[0]
    assert (entry.change, entry.user, entry.reason) == ("created", "alice", "Annotation added")
    annotation = ChartAnnotation.objects.get()
    assert client.post(f"/annotations/{annotation.pk}/delete/").status_code == 302
    assert [e.change for e in audit_page(AuditFilters(kinds=["annotation"]), offset=0, limit=5)] == [
        "deleted",
        "created",
    ]


def test_annotate_adds_a_line_and_a_label():
    annotation = ChartAnnotation(on=date(2020, 1, 1), kind="rebase", text="New baseline")
    figure = annotate({"data": [], "layout": {"shapes": [{"type": "rect"}]}}, [annotation])
    assert figure["layout"]["shapes"][0] == {"type": "rect"}
    assert figure["layout"]["shapes"][1]["x0"] == "2020-01-01"
    assert figure["layout"]["annotations"][0]["text"] == "Rebase: New baseline"


def test_a_saved_view_is_remembered_in_the_database(db, alice, carol):
    build_world(6, 36, start=date(2015, 1, 1))
    client = Client()
    client.force_login(alice)
    assert client.get("/").status_code == 200  # no default yet
    saved = client.post("/views/board/default/", {"query": "region=Y56&sort=-months&export=csv&evil=1"})
    assert saved.status_code == 302
    assert SavedView.objects.get(user=alice).query == "region=Y56&sort=-months"  # only the page's own filters
    # A new session (a restart keeps the database): the board opens with the saved filters.
    again = Client()
    again.force_login(alice)
    response = again.get("/")
    assert response.status_code == 302 and response["Location"] == "/?region=Y56&sort=-months"
    assert again.get("/?view=all").status_code == 200
    other = Client()
    other.force_login(carol)
    assert other.get("/").status_code == 200  # each user's own
    client.post("/views/board/default/", {"query": ""})
    assert not SavedView.objects.exists()
    assert client.post("/views/nowhere/default/", {"query": "a=b"}).status_code == 404


def test_a_malformed_annotation_date_is_told_back_by_field_on_the_trust_page(db, alice):
    from django.contrib.messages import get_messages

    from tests.indicators.builders import organisations

    trust = organisations(1)[0]
    client = Client()
    client.force_login(alice)
    response = client.post(f"/trusts/{trust.ods_code}/annotations/", {"on": "3 March", "kind": "inspection"})
    assert response.status_code == 302 and response["Location"] == f"/trusts/{trust.ods_code}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Date: give the date as YYYY-MM-DD."]
    assert not ChartAnnotation.objects.exists()
    assert client.post("/trusts/NOSUCH/annotations/", {"on": "2016-03-01"}).status_code == 404
