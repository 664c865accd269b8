"""The sign-in lockout shared by the site's login and the admin's: failures counted per account and client.

The count lives in the shared cache (settings.CACHES: Redis, or the database), so every worker
process sees the same number. It is keyed on the account *and* the client address, so an attacker
cannot lock a user out from elsewhere, and the address is the client's as seen through
settings.TRUSTED_PROXY_COUNT proxies, so behind a proxy one client does not lock out everyone.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

LOCKED_MESSAGE = "Too many failed sign-ins for this account from this address. Try again in 15 minutes."


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT from the end of X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so the last N entries are
    the proxies' own records and entry -N is the client; anything before it is the client's to forge.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return forwarded[0] if forwarded else remote
    return forwarded[-proxies]


def _key(request, username: str) -> str:
    account = (username or "").strip().casefold()
    digest = hashlib.sha256(f"{account}\0{client_address(request)}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def attempt(request, username: str) -> bool:
    """Count one sign-in attempt for the account from this client; False once the limit is used up.

    The attempt is counted before the password is checked, with one atomic increment (INCR on
    Redis), so concurrent guesses on several workers cannot slip past the limit between a check
    and a count. A successful sign-in clears the count (`succeeded`); the window starts at the
    first attempt.
    """
    key = _key(request, username)
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW)
        count = 1
    return count <= settings.LOGIN_FAILURE_LIMIT


def succeeded(request, username: str) -> None:
    cache.delete(_key(request, username))
