"""The address of the client behind a request, as far as our own proxies vouch for it.

django-axes locks a username per client address (settings.AXES_CLIENT_IP_CALLABLE); anything
else that limits by address must ask `client_address` too, so that all of them agree.

Without a proxy (DJANGO_PROXY_COUNT=0) the client is the peer: REMOTE_ADDR; X-Forwarded-For
is then the client's own words and ignored. Behind N proxies, each one appends the address it
received the request from to X-Forwarded-For, so the N-th entry from the right was written by
the outermost of our proxies and is the client; entries further left came with the request
and anyone can write them. A request that passed fewer of our proxies (fewer entries than N)
gets the leftmost entry, which one of ours wrote; a request with no header at all, the peer.
"""

import ipaddress

from django.conf import settings
from django.core import checks


def client_address(request) -> str | None:
    """The client's IP address (canonical form), or None when even the peer has none."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    count = settings.PROXY_COUNT
    if count <= 0:
        return peer
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [e for e in entries if e]
    if not entries:
        return peer
    # Our outermost proxy wrote a bad entry (a misconfiguration): the peer, not None, so
    # that one client's failures are not everyone's.
    return _parse(entries[-min(count, len(entries))]) or peer


def _parse(raw: str) -> str | None:
    """`raw` as a canonical IP address; an IPv4 address with a port, or [IPv6]:port, too."""
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


@checks.register(checks.Tags.security, deploy=True)
def check_proxy_count(app_configs=None, **kwargs):
    """Warn (`check --deploy`) behind a proxy that no proxy count trusts: every request's peer
    is then the proxy, so every client has one address."""
    if not settings.BEHIND_PROXY or settings.PROXY_COUNT > 0:
        return []
    return [
        checks.Warning(
            "DJANGO_BEHIND_PROXY=true but DJANGO_PROXY_COUNT=0: every request comes from the "
            "proxy's address, so a login lockout locks the username for every client and all "
            "readers share one error-report quota.",
            hint="Set DJANGO_PROXY_COUNT to the number of proxies in front that append to "
            "X-Forwarded-For (1 behind one nginx).",
            id="claims.W001",
        )
    ]
