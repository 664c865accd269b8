"""API token authentication: `Authorization: Bearer <key>` (or `Token <key>`), checked against the stored hash."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from .models import ApiToken, hash_token_key

# Recording every use would turn each read into a write; once a minute is enough to tell a live token.
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(TokenAuthentication):
    """Authenticates an API client by its token and marks the user with the token's scope.

    oversight.permissions reads `user.api_token_scope`, so a token can only narrow its user's rights.
    """

    keyword = "Bearer"
    model = ApiToken

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: give 'Bearer <token>'.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the token has invalid characters.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        user.api_token = token
        user.api_token_scope = token.scope
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
