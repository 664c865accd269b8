"""My API tokens: a user creates (the key shown once), names, scopes and revokes their own tokens."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from oversight import permissions
from oversight.models import ApiToken, TokenScope
from oversight.tokens import TokenRefused, token_issue, token_revoke

EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “ICB dashboard”.")
    scope = forms.ChoiceField(widget=forms.RadioSelect)
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = permissions.token_scopes_for(user)
        # Only the scopes within the user's rights are offered; the service refuses any other.
        self.fields["scope"].choices = [(value, label) for value, label in TokenScope.choices if value in allowed]
        self.fields["scope"].initial = permissions.READ_SCOPE


def _allowed(request):
    if not permissions.can_manage_own_tokens(request.user):
        raise PermissionDenied("API tokens are for signed-in users with a role.")


@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request):
    """The user's own tokens, and a form to create one; a new key is shown on this response only."""
    _allowed(request)
    user = request.user
    new_key = None
    new_token = None
    status = 200
    if request.method == "POST":
        form = TokenForm(request.POST, user=user)
        if form.is_valid():
            expires = form.cleaned_data["expires"]
            try:
                new_token, new_key = token_issue(
                    user=user,
                    scope=form.cleaned_data["scope"],
                    name=form.cleaned_data["name"],
                    expires_days=int(expires) if expires else None,
                )
                form = TokenForm(user=user)
            except TokenRefused as exc:
                form.add_error("scope", str(exc).split(": ", 1)[-1])
                status = 400
        else:
            status = 400
    else:
        form = TokenForm(user=user)
    tokens = ApiToken.objects.filter(user=user).order_by("-created")
    response = render(
        request,
        "oversight/tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key, "new_token": new_token},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the key must not sit in a cache
    return response


@require_POST
def token_revoke_view(request, pk: int):
    """Revoke one of the user's own tokens; another user's token answers 404, as one that does not exist."""
    _allowed(request)
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token, reason="Revoked by its user (token page)")
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created")
    return render(
        request,
        "oversight/tokens.html",
        {"form": TokenForm(user=request.user), "tokens": tokens, "revoked": token},
    )
