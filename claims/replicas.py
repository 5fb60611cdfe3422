"""Which read replicas may serve reads now: each one's state and lag, checked a few times a
minute per process, never per request.

A replica (settings.READ_REPLICAS, from DATABASE_REPLICA_URLS) is **usable** when it answers,
is in recovery (a streaming standby, not a promoted or mistaken primary) and is at most
REPLICA_MAX_LAG seconds behind the primary. Anything else is skipped: reads go to another
replica or to the primary (claims.routing), and /healthz names it (claims.health).

**Lag.** `now() - pg_last_xact_replay_timestamp()` alone is wrong on a quiet site: the last
replayed commit may be an hour old while the replica is fully caught up. So the check first
reads the primary's WAL position, then asks the replica whether it has replayed that far:
if it has, it holds everything committed before the check and its lag is 0; if not, its lag
is the age of the last commit it replayed (an overestimate when the WAL it lacks holds no
commit, which errs towards the primary, for one check period). When the primary does not
answer, the lag is unknown and the replica stays usable: it holds the newest data there is,
and readers keep their pages while writes are down.

**Cost.** A status is reused for REPLICA_CHECK_SECONDS; the first request after that checks
every due replica (one query to the primary, one to each replica) while other threads keep
using the old status. A replica that is down costs that one request at most one
connect_timeout (DB_CONNECT_TIMEOUT) per period. A request that fails on a replica marks it
down at once (`mark_failed`), so the next requests skip it without waiting for the period.
"""

import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
OK, LAGGING, DOWN, PROMOTED, UNCHECKED = "ok", "lagging", "down", "not in recovery", "unchecked"
PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text"
# In recovery? replayed as far as the primary's position (NULL: unknown)? the age of the
# last replayed commit in seconds (NULL: none replayed since the replica started)?
REPLICA_POSITION = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn, "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8"
)


@dataclass(frozen=True)
class Status:
    alias: str
    state: str
    lag: float | None = None  # seconds behind the primary; None: unknown
    checked_at: float = 0.0  # time.monotonic()

    @property
    def usable(self) -> bool:
        return self.state == OK

    def describe(self) -> str:
        """One line for /healthz: the state and the lag, never a host or an error message."""
        if self.lag is None:
            behind = ", lag unknown (primary unreachable)" if self.state == OK else ""
        else:
            behind = f", {self.lag:.1f} s behind"
        return f"replica {self.alias}: {self.state}{behind}"


_statuses: dict[str, Status] = {}
_checking = threading.Lock()


def _primary_position() -> str | None:
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(PRIMARY_POSITION)
            return cursor.fetchone()[0]
    except Error:
        logger.warning("Replica check: the primary did not answer", exc_info=True)
        return None


def check(alias: str, primary_position: str | None) -> Status:
    """Ask `alias` how far it has replayed (one query); DOWN if it does not answer."""
    now = time.monotonic()
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(REPLICA_POSITION, [primary_position])
            in_recovery, caught_up, last_replay_age = cursor.fetchone()
    except Error:
        logger.warning("Replica %s did not answer its check", alias, exc_info=True)
        _close(alias)
        return Status(alias, DOWN, None, now)
    if not in_recovery:
        return Status(alias, PROMOTED, None, now)
    if primary_position is None:
        return Status(alias, OK, None, now)
    lag = 0.0 if caught_up else last_replay_age
    if lag is None or lag > settings.REPLICA_MAX_LAG:
        return Status(alias, LAGGING, lag, now)
    return Status(alias, OK, max(lag, 0.0), now)


def _close(alias: str) -> None:
    with contextlib.suppress(Error):  # a broken connection may fail to close; dropped anyway
        connections[alias].close()


def statuses() -> list[Status]:
    """Every replica's status, re-checking those older than REPLICA_CHECK_SECONDS.

    One thread checks at a time; the others use the statuses as they are meanwhile (a
    replica never checked yet counts as unusable, so reads go to the primary).
    """
    now = time.monotonic()
    due = [
        alias
        for alias in settings.READ_REPLICAS
        if alias not in _statuses
        or now - _statuses[alias].checked_at >= settings.REPLICA_CHECK_SECONDS
    ]
    if due and _checking.acquire(blocking=False):
        try:
            position = _primary_position()
            for alias in due:
                _record(check(alias, position))
        finally:
            _checking.release()
    return [_statuses.get(alias, Status(alias, UNCHECKED)) for alias in settings.READ_REPLICAS]


def _record(status: Status) -> None:
    before = _statuses.get(status.alias)
    _statuses[status.alias] = status
    if before is not None and before.usable != status.usable:
        level = logging.INFO if status.usable else logging.WARNING
        logger.log(level, "Reads %s: %s", "resume" if status.usable else "skip", status.describe())


def mark_failed(alias: str) -> None:
    """A request failed on `alias`: skip it until its next check."""
    _close(alias)
    _record(Status(alias, DOWN, None, time.monotonic()))


def choose() -> str:
    """A usable replica for one request's reads (spread at random), or the primary."""
    usable = [status.alias for status in statuses() if status.usable]
    return random.choice(usable) if usable else PRIMARY  # nosec B311 # load spreading


def forget() -> None:
    """Drop every status (tests; a changed configuration)."""
    _statuses.clear()
