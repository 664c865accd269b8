"""The forms of an ICB's system programme (/records/…): record its System Improvement Director, link a
trust, unlink one. Each finds the record among those the user may see (404 otherwise), refuses anyone
but oversight staff (403), and saves through trusts.system_programme, whose errors name the field."""

from functools import partial

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


def _programme_form(request, episode, form_class, *, save, title: str, done: str):
    """Refuse anyone but oversight staff (403); a valid POST calls `save(actor=…, **cleaned_data)`."""
    _require_oversight(request)
    form = form_class(request.POST or None)
    return _edit(
        request, form=form, episode=episode, title=title, save=lambda data: save(actor=request.user, **data), done=done
    )


@require_http_methods(["GET", "POST"])
def system_director_assign(request, pk):
    episode = _visible_episode(request, pk)
    return _programme_form(
        request,
        episode,
        system_forms.SystemDirectorForm,
        save=partial(programme.system_director_assign, episode=episode),
        title=f"System Improvement Director of {episode.organisation.name}",
        done="System Improvement Director recorded.",
    )


@require_http_methods(["GET", "POST"])
def system_trust_link(request, pk):
    episode = _visible_episode(request, pk)
    return _programme_form(
        request,
        episode,
        system_forms.SystemLinkForm,
        save=partial(programme.system_trust_link, episode=episode),
        title=f"Link a trust to {episode.organisation.name}'s programme",
        done="Trust linked.",
    )


@require_http_methods(["GET", "POST"])
def system_trust_unlink(request, pk):
    queryset = SystemProgrammeLink.objects.select_related("episode__organisation", "episode__regime", "trust")
    link = get_object_or_404(permissions.visible_to(request.user, queryset), pk=pk)
    return _programme_form(
        request,
        link.episode,
        system_forms.SystemUnlinkForm,
        save=partial(programme.system_trust_unlink, link=link),
        title=f"Take {link.trust.name} out of {link.episode.organisation.name}'s programme",
        done="Trust unlinked.",
    )
