"""Rate limits per API token (and per user for browser sessions); rates are in REST_FRAMEWORK settings."""

from rest_framework.throttling import SimpleRateThrottle

from oversight.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Counts requests per token, so two systems acting for one user have separate allowances."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionUserRateThrottle(SimpleRateThrottle):
    """Counts a signed-in browser's API requests per user."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
