"""Rate limits per API token (and per user for browser sessions); rates are in REST_FRAMEWORK settings.

The counts live in the shared cache (settings.CACHES), so a limit holds across every worker process.
DRF's own throttle keeps a list of timestamps that each request reads and writes back, so two
workers answering at once both see room and the limit leaks; here each request is one atomic
increment (INCR on Redis) of a per-window counter, and the limit is checked on a sliding window
estimated from this window's count and the previous one's: no span of one window length gets
much more than the rate, even across a window boundary.

A view that reads the data version (`reads_data_version`: the lists whose answers and statements are
keyed by it) has it read in the same round trip as the previous window's count.
"""

from rest_framework.throttling import SimpleRateThrottle

from oversight import dataversion
from oversight.models import ApiToken


class SharedCounterRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted with atomic increments on a sliding window."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, offset = divmod(self.now, self.duration)
        self.elapsed = offset / self.duration
        current = f"{self.key}:{int(window)}"
        previous = f"{self.key}:{int(window) - 1}"
        if getattr(view, "reads_data_version", False) and getattr(request, "_data_version", None) is None:
            found = self.cache.get_many([previous, dataversion.KEY])
            request._data_version = dataversion.from_cached(found.get(dataversion.KEY))  # as of_request reads it
            self.previous = found.get(previous) or 0
        else:
            self.previous = self.cache.get(previous) or 0
        self.cache.add(current, 0, self.duration * 2)
        try:
            self.count = self.cache.incr(current)
        except ValueError:  # expired in between
            self.cache.add(current, 1, self.duration * 2)
            self.count = 1
        if self.previous * (1 - self.elapsed) + self.count <= self.num_requests:
            return True
        self.cache.decr(current)  # a refused request does not use up the allowance
        self.count -= 1
        return False

    def wait(self):
        """Seconds until one more request fits in the sliding window."""
        left_in_window = self.duration * (1 - self.elapsed)
        if self.count >= self.num_requests or not self.previous:
            return left_in_window
        # previous × (1 − elapsed − t/duration) + count + 1 ≤ limit
        excess = self.previous * (1 - self.elapsed) + self.count + 1 - self.num_requests
        return min(left_in_window, max(0.0, excess / self.previous * self.duration))


class TokenRateThrottle(SharedCounterRateThrottle):
    """Counts requests per token, so two systems acting for one user have separate allowances."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionUserRateThrottle(SharedCounterRateThrottle):
    """Counts a signed-in browser's API requests per user."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
