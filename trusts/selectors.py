"""Reads of organisations and episodes, shared by pages, the API and services."""

from oversight.permissions import visible_episodes

from .models import RegimeEpisode


def board_rows(user):
    """Open regime episodes the user may see, ordered by entry date."""
    episodes = RegimeEpisode.objects.filter(exited__isnull=True).select_related("organisation", "regime")
    return visible_episodes(user, episodes).order_by("regime__code", "entered")
