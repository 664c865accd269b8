"""Cross-cutting request handling: request ids, security headers, login everywhere."""

import re
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


# A caller's request id is kept only if it is 1–64 of these characters; otherwise we make one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(incoming: str) -> str:
    """The caller's X-Request-ID when it is a plain token (≤ 64 of A–Z a–z 0–9 . _ -), else a new one."""
    return incoming if REQUEST_ID.fullmatch(incoming or "") else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed X-Request-ID of the caller's) for logs and the audit trail.

    The id is stored in the audit trail and echoed in a response header, so anything else (spaces,
    markup, a formula, 200 characters) is replaced by a generated id rather than kept or trimmed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
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
