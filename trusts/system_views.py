"""The forms of an ICB's system programme (/records/…): record its System Improvement Director, link a
trust, unlink one. Each finds the record among those the user may see (404 otherwise), refuses anyone
but oversight staff (403), and saves through trusts.system_programme, whose errors name the field."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from oversight import permissions

from . import system_forms
from . import system_programme as programme
from .edit_views import _edit, _visible_episode
from .system_models import SystemProgrammeLink


def _require_oversight(request) -> None:
    if not permissions.can_manage_episodes(request.user):
        raise PermissionDenied("Only oversight staff can change an ICB's system programme.")


@require_http_methods(["GET", "POST"])
def system_director_assign(request, pk):
    episode = _visible_episode(request, pk)
    _require_oversight(request)
    form = system_forms.SystemDirectorForm(request.POST or None)

    def save(data):
        programme.system_director_assign(
            actor=request.user, episode=episode, user=data["user"], date_from=data["date_from"], reason=data["reason"]
        )

    title = f"System Improvement Director of {episode.organisation.name}"
    return _edit(
        request, form=form, episode=episode, title=title, save=save, done="System Improvement Director recorded."
    )


@require_http_methods(["GET", "POST"])
def system_trust_link(request, pk):
    episode = _visible_episode(request, pk)
    _require_oversight(request)
    form = system_forms.SystemLinkForm(request.POST or None)

    def save(data):
        programme.system_trust_link(
            actor=request.user,
            episode=episode,
            trust=data["trust"],
            outside_icb=data["outside_icb"],
            note=data["note"],
            reason=data["reason"],
        )

    title = f"Link a trust to {episode.organisation.name}'s programme"
    return _edit(request, form=form, episode=episode, title=title, save=save, done="Trust linked.")


@require_http_methods(["GET", "POST"])
def system_trust_unlink(request, pk):
    queryset = SystemProgrammeLink.objects.select_related("episode__organisation", "episode__regime", "trust")
    link = get_object_or_404(permissions.visible_to(request.user, queryset), pk=pk)
    _require_oversight(request)
    form = system_forms.SystemUnlinkForm(request.POST or None)

    def save(data):
        programme.system_trust_unlink(actor=request.user, link=link, reason=data["reason"])

    title = f"Take {link.trust.name} out of {link.episode.organisation.name}'s programme"
    return _edit(request, form=form, episode=link.episode, title=title, save=save, done="Trust unlinked.")
