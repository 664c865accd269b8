"""Cross-cutting request handling: request ids, security headers, login everywhere."""

import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

# Paths reachable without a session: the login page itself, static files, and the API
# (which authenticates with tokens and answers 401/403 as JSON rather than redirecting).
PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/api/", "/healthz")

# Plotly renders with inline styles, so style-src needs 'unsafe-inline'; scripts stay 'self' only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class RequestIdMiddleware:
    """Gives every request an id (or keeps the caller's X-Request-ID) for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class SessionCookieGuardMiddleware:
    """Drops a session cookie that cannot be a session key (session keys are lowercase letters and digits).

    A hostile cookie with a NUL byte otherwise reaches the database session store, and PostgreSQL
    refuses the query with a server error; treated as no session, it gets the login page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key is not None and not (key.isascii() and key.isalnum() and len(key) <= 64):
            del request.COOKIES[settings.SESSION_COOKIE_NAME]
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Adds the content security policy and permissions policy to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Swagger UI and the admin bring their own inline scripts; they are under login anyway.
        if not request.path.startswith(("/api/v1/docs", "/admin/")):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class LoginRequiredMiddleware:
    """Every page needs a login: deny by default rather than decorate each view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated or request.path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        if request.path.startswith("/admin/"):
            return self.get_response(request)  # the admin has its own login
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
