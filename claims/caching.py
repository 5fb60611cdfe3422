"""Conditional GET, Cache-Control and compression for what anonymous readers get.

One middleware, placed before the session middleware (tracker/settings.py), so that a
revalidation is answered before anything else runs:

- **Public request**: GET or HEAD, no session cookie, a path that is not the admin, /healthz
  or a form page (the error report). Its ETag is decided *before the view*, from the data
  version (claims.dataversion: one primary-key read, at most once in
  CLAIMS_DATA_VERSION_CACHE_MS per process), the release, the UTC date, and what
  identifies the response (scheme, host, path, every query parameter). A matching
  If-None-Match is a 304 at once: no view, no query, no export started.
- **Public response**: a public request's 200 (or redirect, 404, 410) that set no cookie and
  does not vary on one (a page that used its session or a CSRF token did both). It gets the
  ETag, Last-Modified (the data version's time), `Cache-Control: public, max-age=…,
  stale-while-revalidate=…` (CACHE_MAX_AGE, CACHE_STALE_WHILE_REVALIDATE), `Vary:
  Accept-Encoding`, and is compressed (claims.compression) for a client that accepts it.
- **Anything else** with a session, or a response that set or reads a cookie, gets `private,
  no-store` unless its view said otherwise (the admin says `no-store` itself). It is never
  compressed: BREACH recovers a secret (CSRF token, session data) from the compressed size
  of responses that also reflect the attacker's input, so only responses without secrets
  are compressed, and those are exactly the public ones.

Every query parameter is part of the ETag, not a list of the known ones: a parameter a view
reads but such a list missed would serve one page as another's fresh copy; an unknown one
only costs a separate validator. The ETag is weak (W/): the gzip, Brotli and identity bodies
share it, which weak comparison allows. If-Modified-Since alone never gives a 304: it has
one-second resolution and cannot see a deploy; the ETag can.

The same in every mode, DEBUG included.
"""

import hashlib
import logging
from datetime import UTC
from functools import cache
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.http import http_date, parse_etags

from . import compression, dataversion
from .routing import READS

logger = logging.getLogger(__name__)

# URL names never cached publicly: health probes, and form pages (they carry a CSRF token).
NEVER_PUBLIC = {"claims:claim-report"}
NEVER_PUBLIC_NAMESPACES = {"admin"}
NEVER_PUBLIC_PREFIXES = ("/healthz",)
# Statuses a shared cache may keep: each is a function of the data, the release and the URL.
CACHEABLE = {200, 301, 302, 307, 308, 404, 410}
# The code that renders the responses: a deploy that changes any of it changes every ETag.
CODE = ("claims", "templates", "static", "tracker")


@cache
def code_digest() -> str:
    """A digest of the project's code, templates and static files, read once per process."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(django.__version__.encode())
    for top in CODE:
        for path in sorted((base / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(base)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def release() -> str:
    """DJANGO_RELEASE if set, else the code's digest; with the settings that change output."""
    rendering = (
        settings.RELEASE or code_digest(),
        settings.SITE_URL,
        settings.SITE_NAME,
        settings.PUBLIC_REVIEWERS,
        settings.DEBUG,
        settings.CLAIMS_SEARCH_BOUND,
        settings.STORAGES["staticfiles"]["BACKEND"],
    )
    return repr(rendering)


def is_public_request(request) -> bool:
    if request.method not in READS:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    if request.path_info.startswith(NEVER_PUBLIC_PREFIXES):
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # a 404, as public as the page it stands for
    return match.view_name not in NEVER_PUBLIC and not (
        set(match.namespaces) & NEVER_PUBLIC_NAMESPACES
    )


def etag_for(request, version: dataversion.Version) -> str:
    query = sorted(request.GET.lists())  # a stable sort: each parameter's values keep order
    key = repr(
        (
            release(),
            version.counter,
            version.changed_at.isoformat(),
            # The exports' file names carry the date.
            timezone.now().astimezone(UTC).date().isoformat(),
            request.scheme,
            request.get_host(),
            request.path,
            query,
        )
    )
    return 'W/"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def _matches(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in parse_etags(header))


def public_cache_control() -> str:
    return (
        f"public, max-age={settings.CACHE_MAX_AGE}, "
        f"stale-while-revalidate={settings.CACHE_STALE_WHILE_REVALIDATE}"
    )


def _validators(response, etag: str, version: dataversion.Version) -> None:
    response["ETag"] = etag
    if not response.has_header("Last-Modified"):  # a view's own (a sitemap's) is more precise
        response["Last-Modified"] = http_date(version.changed_at.timestamp())
    response["Cache-Control"] = public_cache_control()
    patch_vary_headers(response, ("Accept-Encoding",))


def _varies_on_cookie(response) -> bool:
    vary = {field.strip().lower() for field in cc_delim_re.split(response.get("Vary", ""))}
    return "cookie" in vary or "*" in vary


class PublicCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_request(request):
            response = self.get_response(request)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                dataversion.forget()  # it may have written: this process sees it at once
            return self._private(request, response)
        try:
            version = dataversion.recent()
        except DatabaseError:
            # The view meets the same database and answers for it (the 503 page), uncached.
            logger.warning("Data version unreadable: %s served uncached", request.path)
            return self._private(request, self.get_response(request))
        request.data_version = version  # what the page's numbers may be kept under
        etag = etag_for(request, version)
        if _matches(request, etag):
            response = HttpResponseNotModified()
            _validators(response, etag, version)
            return response
        response = self.get_response(request)
        if (
            response.status_code not in CACHEABLE
            or response.cookies
            or _varies_on_cookie(response)
            or response.has_header("Cache-Control")
        ):
            return self._private(request, response)
        _validators(response, etag, version)
        self._compress(request, response)
        return response

    @staticmethod
    def _private(request, response):
        """No shared cache keeps what a session or a cookie shaped (unless the view said)."""
        personal = (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            or response.cookies
            or _varies_on_cookie(response)
        )
        if personal and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response

    @staticmethod
    def _compress(request, response) -> None:
        """Compress a public response for a client that accepts it (never a private one:
        BREACH, see the module docstring)."""
        if not compression.compressible(response.get("Content-Type", "")):
            return
        if response.has_header("Content-Encoding"):
            return
        coding = compression.accepted(request.headers.get("Accept-Encoding", ""))
        if coding is None:
            return
        if response.streaming:
            response.streaming_content = compression.compress_stream(
                response.streaming_content, coding
            )
            del response["Content-Length"]
        else:
            if len(response.content) < compression.MIN_LENGTH:
                return
            compressed = compression.compress(response.content, coding)
            if len(compressed) >= len(response.content):
                return
            response.content = compressed
            response["Content-Length"] = str(len(compressed))
        response["Content-Encoding"] = coding
