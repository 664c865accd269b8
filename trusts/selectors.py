"""Reads of organisations and episodes, shared by pages, the API and services."""

from .models import RegimeEpisode


def board_rows(user):
    """Open regime episodes the user may see, ordered by entry date."""
    episodes = RegimeEpisode.objects.filter(exited__isnull=True).select_related("organisation", "regime")
    if not user.has_perm("trusts.view_confidential"):
        episodes = episodes.exclude(regime__confidential=True)
    return episodes.order_by("regime__code", "entered")
