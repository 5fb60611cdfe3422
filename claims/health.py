"""Operations endpoints: a health check for load balancers, and a plain 503 for a lost database.

Neither says *why* something failed: the reason goes to the server log, never to the client
(an error message can name hosts, users or SQL).
"""

import logging

from django.db import Error, InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import replicas

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is away.
RETRY_AFTER = "30"


@never_cache
@require_safe
def healthz(request):
    """200 "ok" when the default database answers `SELECT 1`, 503 "unavailable" when not.

    With read replicas, one more line per replica (its state and lag, claims.replicas): a
    replica that is down or lagging is reported, never a failure (reads skip it). With the
    primary away but a replica usable, 200 "degraded": readers still get their pages.
    """
    replica_lines = [status.describe() for status in replicas.statuses()]
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error:  # DatabaseError and InterfaceError alike
        logger.exception("Health check failed: the database did not answer SELECT 1")
        if any(status.usable for status in replicas.statuses()):
            return _plain(["degraded: the primary is unavailable", *replica_lines])
        response = HttpResponse("unavailable\n", content_type="text/plain", status=503)
        response["Retry-After"] = RETRY_AFTER
        return response
    return _plain(["ok", *replica_lines])


def _plain(lines: list[str]) -> HttpResponse:
    return HttpResponse("".join(line + "\n" for line in lines), content_type="text/plain")


def service_unavailable() -> HttpResponse:
    # Rendered without a request: the context processors would read the session and user,
    # i.e. the database that just went away.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection in a view into a plain 503 page, logged with its cause.

    Only connection failures (OperationalError, InterfaceError) become a 503: they are
    transient and a retry may work. Every other error (an IntegrityError is a bug) stays a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable during %s %s",
            request.method,
            request.path,
            exc_info=exception,
        )
        return service_unavailable()
