"""Reads of indicator data and stored results, shared by pages, the API and the services."""

from .constants import RunStatus
from .models import ComputationRun


def latest_successful_run() -> ComputationRun | None:
    """The newest run that finished: pages say 'data as of' its finish time."""
    return ComputationRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-finished").first()
