"""Cached JSON answers for the API's busiest lists, with ETags, invalidated by the data version.

A list answer depends on three things: the data (oversight.dataversion moves on with every import,
recompute and edit of what the lists show), the rows the caller may see (oversight.permissions
.visibility_key: a `read` token and a confidential one have different keys, and so never share an
answer), and the request (its absolute URL, which the page links repeat, and the media type). The
cache key holds the last two; the entry records the version it was read at and is used only while
the version is unchanged, so an edit shows up in the very next response.

Version and entry come back in one round trip to the shared cache. Authentication and throttling
have run before `list` (DRF's `initial`), so a cached answer is never served to a caller refused.

Every answer carries a strong ETag (a hash of its bytes); a client sending it back in If-None-Match
gets 304 Not Modified with no body. CSV and the browsable API are not cached.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from oversight import dataversion, permissions

from .renderers import FastJSONRenderer

PREFIX = "api:list:"


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


class CachedListMixin:
    """`list` answered from the shared cache while the data version stands; the rest as the view computes it.

    Put it before ValuesListMixin. `list_cache_seconds` (settings.API_LIST_CACHE_SECONDS; 0 turns
    caching off) only bounds how long an unused entry takes room: freshness comes from the version.
    """

    def list_cache_seconds(self) -> int:
        return settings.API_LIST_CACHE_SECONDS

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if not isinstance(renderer, FastJSONRenderer):
            return super().list(request, *args, **kwargs)
        seconds = self.list_cache_seconds()
        key = None
        version = None
        entry = None
        if seconds > 0:
            visibility = permissions.visibility_key(request.user, self.get_serializer_class().Meta.model)
            request_key = f"{visibility}\n{request.accepted_media_type}\n{request.build_absolute_uri()}"
            key = PREFIX + hashlib.sha256(request_key.encode()).hexdigest()
            found = cache.get_many([dataversion.KEY, key])
            version = dataversion.from_cached(found.get(dataversion.KEY))
            request._data_version = version  # what the view's memos read at (oversight.dataversion.memo)
            entry = found.get(key)
        if entry is not None and entry[0] == version:
            _, etag, body = entry
        else:
            response = super().list(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            body = renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
            etag = _etag(body)
            if key is not None:
                # Under the version read before the rows: an edit committed meanwhile has moved it on.
                cache.set(key, (version, etag, body), seconds)
        wanted = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in wanted or "*" in wanted:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type=renderer.media_type)
        response["ETag"] = etag
        return response
