"""An import's changes name their batch on the audit context, and the older ones get it from their reason text."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from indicators.models import ImportBatch
from ingest.importers import import_file
from oversight.audit import AuditFilters, audit_page, audit_scope
from oversight.models import AuditContext
from trusts.models import Organisation, RegimeEpisode

backfill_migration = importlib.import_module("oversight.migrations.0005_backfill_audit_batch_ids")
BATCH_LABEL = "indicators.importbatch"


def entries(**filters):
    return audit_page(AuditFilters(**filters), offset=0, limit=100)


def episodes_file(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("org_code,regime,entered,exited,reason\n" + body)
    return path


def contexts_of(history_model, history_ids):
    return AuditContext.objects.filter(history_model=history_model._meta.label_lower, history_id__in=history_ids)


def test_every_audit_row_of_an_import_carries_its_batch_id(world, tmp_path):
    with audit_scope(channel="import", request_id="req-import-0002"):
        import_file(
            "episodes", episodes_file(tmp_path, "entries.csv", "RB2,NOF4,2023-01-01,,In\n"), user=world["alice"]
        )
        import_file(
            "episodes", episodes_file(tmp_path, "exits.csv", "RB2,NOF4,2023-01-01,2024-03-31,In\n"), user=world["alice"]
        )
    entered, exited = ImportBatch.objects.get(file_name="entries.csv"), ImportBatch.objects.get(file_name="exits.csv")
    episode = RegimeEpisode.objects.get(organisation__ods_code="RB2", regime__code="NOF4")
    history = RegimeEpisode.history.model
    created, changed = (
        history.objects.get(id=episode.pk, history_type="+"),
        history.objects.get(id=episode.pk, history_type="~"),
    )
    by_row = {context.history_id: context for context in contexts_of(history, [created.pk, changed.pk])}
    assert (by_row[created.pk].batch_id, by_row[changed.pk].batch_id) == (entered.pk, exited.pk)
    assert {context.request_id for context in by_row.values()} == {"req-import-0002"}
    assert AuditContext.objects.get(history_model=BATCH_LABEL, history_id=exited.pk).batch_id == exited.pk
    shown = [entry for entry in entries(kinds=["episode"], batch_id=exited.pk) if entry.object_id == episode.pk]
    assert [(entry.change, entry.batch_id, entry.request_id) for entry in shown] == [
        ("changed", exited.pk, "req-import-0002")
    ]


def test_a_change_outside_any_import_names_no_batch(world):
    funding = world["records"]["own"]["funding"]
    funding.spent = 1
    funding.save()
    row = funding.history.latest("history_id")
    assert contexts_of(type(row), [row.pk]).get().batch_id is None


@pytest.fixture
def old_batch(db):
    """A batch finished before batch ids travelled on the context: its own context has none."""

    def make(file_name, *, started, minutes=10, request_id=""):
        batch = ImportBatch.objects.create(file_name=file_name, sha256="0" * 64, format="episodes")
        ImportBatch.objects.filter(pk=batch.pk).update(started=started, finished=started + timedelta(minutes=minutes))
        if request_id:
            AuditContext.objects.create(
                history_model=BATCH_LABEL, history_id=batch.pk, request_id=request_id, channel="import"
            )
        return ImportBatch.objects.get(pk=batch.pk)

    return make


def old_import(codes, reason, when):
    """Organisations written in bulk the old way: history rows, no audit context."""
    organisations = bulk_create_with_history(
        [Organisation(ods_code=code, name=code) for code in codes],
        Organisation,
        default_change_reason=reason,
        default_date=when,
    )
    return [Organisation.history.get(id=organisation.pk, history_type="+") for organisation in organisations]


def test_the_backfill_reads_each_old_imports_batch_out_of_its_reason_text(old_batch):
    base = timezone.now() - timedelta(days=30)
    earlier = old_batch("register.csv", started=base - timedelta(days=1), request_id="req-earlier")
    register = old_batch("register.csv", started=base, request_id="req-register")
    historical = old_batch("episodes.csv", started=base + timedelta(hours=1), request_id="req-episodes")
    by_file = old_import(["ZZA1", "ZZA2"], "Imported from register.csv", base + timedelta(minutes=5))
    by_number = old_import(
        ["ZZB1"], f"Imported from episodes.csv (historical import, batch {historical.pk})", base + timedelta(days=2)
    )
    unmatched = old_import(["ZZC1"], "Imported from register.csv", base + timedelta(days=5))  # no batch running
    # A row written through a save during an old import: a context with the reason, no request id, no batch.
    saved = old_import(["ZZD1"], "Imported from register.csv", base + timedelta(minutes=6))[0]
    AuditContext.objects.create(
        history_model="trusts.historicalorganisation", history_id=saved.pk, reason="Imported from register.csv"
    )

    backfill_migration.backfill(apps, None)

    label = "trusts.historicalorganisation"
    found = {
        context.history_id: (context.batch_id, context.request_id, context.channel)
        for context in AuditContext.objects.filter(history_model=label)
    }
    assert found == {
        by_file[0].pk: (register.pk, "req-register", "import"),
        by_file[1].pk: (register.pk, "req-register", "import"),
        by_number[0].pk: (historical.pk, "req-episodes", "import"),
        saved.pk: (register.pk, "req-register", "import"),
    }
    assert unmatched[0].pk not in found
    mine = [earlier.pk, register.pk, historical.pk]
    batch_ids = dict(
        AuditContext.objects.filter(history_model=BATCH_LABEL, history_id__in=mine).values_list(
            "history_id", "batch_id"
        )
    )
    assert batch_ids == {earlier.pk: earlier.pk, register.pk: register.pk, historical.pk: historical.pk}
    assert [entry.batch_id for entry in entries(kinds=["organisation"], batch_id=register.pk)] == [register.pk] * 3


def test_the_backfill_changes_nothing_the_second_time(old_batch):
    base = timezone.now() - timedelta(days=3)
    old_batch("register.csv", started=base, request_id="req-register")
    old_import(["ZZE1"], "Imported from register.csv", base + timedelta(minutes=1))
    backfill_migration.backfill(apps, None)
    before = list(AuditContext.objects.values_list("history_model", "history_id", "batch_id", "request_id"))
    backfill_migration.backfill(apps, None)
    assert list(AuditContext.objects.values_list("history_model", "history_id", "batch_id", "request_id")) == before


def test_a_reason_cut_short_by_the_history_column_still_finds_its_batch():
    now = timezone.now()
    batches = [(7, "a-very-long-register-name.csv", now - timedelta(hours=1), now), (8, "other.csv", now, now)]
    reason = "Imported from a-very-long-reg"
    assert backfill_migration.batch_id_from_reason(reason, now - timedelta(minutes=5), batches) == 7
    assert backfill_migration.batch_id_from_reason(reason, now + timedelta(minutes=5), batches) is None
    assert backfill_migration.batch_id_from_reason("Synthetic demo data", now, batches) is None
