"""The forms of an ICB's system programme (/records/…): record its System Improvement Director, link a
trust, unlink one. Each finds the record among those the user may see (404 otherwise), refuses anyone
but oversight staff (403), and saves through trusts.system_programme, whose errors name the field."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from oversight import permissions

from . import system_forms
from . import system_programme as programme
from .edit_views import _edit, _episode_form
from .system_models import SystemProgrammeLink


def _require_oversight(request, _episode=None) -> None:
    if not permissions.can_manage_episodes(request.user):
        raise PermissionDenied("Only oversight staff can change an ICB's system programme.")


@require_http_methods(["GET", "POST"])
def system_director_assign(request, pk):
    title, done = "System Improvement Director of {organisation}", "System Improvement Director recorded."
    service = programme.system_director_assign
    return _episode_form(
        request, pk, system_forms.SystemDirectorForm, service, title=title, done=done, require=_require_oversight
    )


@require_http_methods(["GET", "POST"])
def system_trust_link(request, pk):
    title, service = "Link a trust to {organisation}'s programme", programme.system_trust_link
    return _episode_form(
        request, pk, system_forms.SystemLinkForm, service, title=title, done="Trust linked.", require=_require_oversight
    )


@require_http_methods(["GET", "POST"])
def system_trust_unlink(request, pk):
    queryset = SystemProgrammeLink.objects.select_related("episode__organisation", "episode__regime", "trust")
    link = get_object_or_404(permissions.visible_to(request.user, queryset), pk=pk)
    _require_oversight(request)
    form = system_forms.SystemUnlinkForm(request.POST or None)

    def save(data):
        programme.system_trust_unlink(actor=request.user, link=link, **data)

    title = f"Take {link.trust.name} out of {link.episode.organisation.name}'s programme"
    return _edit(request, form=form, episode=link.episode, title=title, save=save, done="Trust unlinked.")
