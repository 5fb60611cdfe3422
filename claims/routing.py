"""Where a request reads: a read replica for anonymous public traffic, the primary for the rest.

With DATABASE_REPLICA_URLS set (settings.READ_REPLICAS), `ReadRoutingMiddleware` decides per
request, and `PrimaryReplicaRouter` sends the ORM's reads there:

- **The primary**: every write, and every read of a request that is not a GET or HEAD, that
  carries a session cookie (staff, the admin's users), that is under /admin/, or whose client
  wrote within READ_YOUR_WRITES_SECONDS (below); any read inside a transaction on the
  primary; anything outside a request (commands, the shell).
- **A replica**, picked once per request among the usable ones (claims.replicas), for the
  rest: anonymous readers' pages, the API, exports, feeds and sitemaps. The request keeps it
  for all its reads, the data version behind the ETag included (claims.dataversion.current
  reads where the request reads), so an ETag always names data at least as old as the page's.
  No usable replica: the primary.

**Read-your-writes.** A POST, PUT, PATCH or DELETE that wrote (the router saw a write) or
succeeded (an admin save, an approval, an error report, a logout) gets a signed
cookie holding the time of the write; for READ_YOUR_WRITES_SECONDS after it, that client's
reads go to the primary, so nobody sees their own change vanish. The window is at least the
lag a replica may have plus the age its status may have (settings refuses less), so by the
time reads return to a replica, it holds the write. The cookie is signed so that a client
cannot pin its reads (and a flood of them) on the primary at will.

**A replica that fails mid-request.** A GET or HEAD that read from a replica and ended in the
503 page is answered again from the primary, and the replica is skipped until its next check.

Raw SQL that reads public data asks `read_database()` for its connection, as the ORM does.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.urls import reverse

from . import replicas
from .replicas import PRIMARY

COOKIE = "claims_wrote"
SALT = "claims.routing.wrote"
READS = ("GET", "HEAD")


@dataclass
class Reads:
    """One request's reading: why it must read from the primary (None: a replica may serve),
    the database chosen at its first read, and whether it wrote."""

    primary_because: str | None
    alias: str | None = None
    wrote: bool = False

    def database(self) -> str:
        if self.alias is None:
            self.alias = PRIMARY if self.primary_because else replicas.choose()
        return self.alias


_current: ContextVar[Reads | None] = ContextVar("claims_reads", default=None)


def read_database() -> str:
    """The alias this context's reads go to: the request's replica, or the primary."""
    reads = _current.get()
    if reads is None or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return reads.database()


class PrimaryReplicaRouter:
    """The ORM's side of the routing (settings.DATABASE_ROUTERS, set with replicas)."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # a related read stays where its object came from
        return read_database()

    def db_for_write(self, model, **hints):
        if (reads := _current.get()) is not None:
            reads.wrote = True
        instance = hints.get("instance")
        if instance is not None and instance._state.db not in (None, *settings.READ_REPLICAS):
            return None  # an object of another database (not a replica) is saved there
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, **hints):
        return False if db in settings.READ_REPLICAS else None  # they replicate the primary's


def _admin_prefix() -> str:
    return reverse("admin:index")


def primary_because(request) -> str | None:
    """Why `request` must read from the primary, or None."""
    if request.method not in READS:
        return "method"
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return "session"
    if request.path_info.startswith(_admin_prefix()):
        return "admin"
    if COOKIE in request.COOKIES and _recent_write(request):
        return "recent write"
    return None


def _recent_write(request) -> bool:
    return bool(
        request.get_signed_cookie(
            COOKIE, default=None, salt=SALT, max_age=settings.READ_YOUR_WRITES_SECONDS
        )
    )


class ReadRoutingMiddleware:
    """Sets where the request reads (see the module docstring); without replicas, nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.READ_REPLICAS:
            return self.get_response(request)
        reads = Reads(primary_because(request))
        token = _current.set(reads)
        try:
            response = self.get_response(request)
            if response.status_code == 503 and reads.alias not in (None, PRIMARY):
                replicas.mark_failed(reads.alias)
                reads.alias = PRIMARY
                response = self.get_response(request)
        finally:
            _current.reset(token)
        if request.method not in READS and (reads.wrote or response.status_code < 400):
            response.set_signed_cookie(
                COOKIE,
                "1",  # the signature's timestamp is the write's time
                salt=SALT,
                max_age=settings.READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
