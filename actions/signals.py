"""Decisions, imports and runs (indicators.signals.run_finished) queue their notification task after commit."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from indicators.signals import run_finished
from trusts.models import ExitCriterion, RegimeEpisode


@receiver(post_save, sender=RegimeEpisode, dispatch_uid="actions-episode-decision")
def _episode_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    from .tasks import notify_after_decision, queue
    from .transitions import episode_recorded

    episode_recorded(instance, created=created)

    queue(notify_after_decision, instance.pk, created=created)


@receiver(post_save, sender=ExitCriterion, dispatch_uid="actions-criterion")
def _criterion_saved(sender, instance, raw=False, **kwargs):
    if raw or not instance.approved_snapshot:
        return  # only a criterion once approved can be "changed after approval"
    from .tasks import notify_after_criterion, queue

    queue(notify_after_criterion, instance.pk)


@receiver(post_save, sender="indicators.ImportBatch", dispatch_uid="actions-import-failed")
def _import_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.status != "failed":
        return
    from .tasks import notify_after_import, queue

    queue(notify_after_import, instance.pk)


@receiver(run_finished, dispatch_uid="actions-run-finished")
def after_run(sender=None, run_id: int = 0, **kwargs) -> None:
    """A recompute run ended, succeeded or failed."""
    from .tasks import notify_after_run, queue

    queue(notify_after_run, run_id)
