"""Throwaway PostgreSQL servers for the tests: a primary with a streaming replica, and PgBouncer.

Each is made on free loopback ports in a temporary directory of its own (never a copy of the
machine's running cluster, which may hold gigabytes) and removed when its context ends, also
when the test failed. As root, the servers run as the `postgres` user (initdb and PgBouncer
refuse root). `missing()` says what is not installed, for a skip reason.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

RUN_AS = "postgres"
STARTUP_SECONDS = 30


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian keeps them per version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if versions:
        return versions[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing(*, pgbouncer: bool = False, cluster: bool = False) -> str | None:
    """Why the servers cannot be made here, or None."""
    if pgbouncer and not shutil.which("pgbouncer"):
        return "pgbouncer is not installed (apt-get install -y pgbouncer)"
    if cluster:
        found = bin_dir()
        if found is None or not (found / "initdb").exists():
            return "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return "running as root without runuser: cannot start PostgreSQL as another user"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run the servers as"
    return None


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick, so two workers differ)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(args: list) -> list[str]:
    args = [str(arg) for arg in args]
    return ["runuser", "-u", RUN_AS, "--", *args] if os.geteuid() == 0 else args


def _run(args: list) -> None:
    result = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{result.stdout}{result.stderr}")


@contextmanager
def _workdir(prefix: str):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if os.geteuid() == 0:
            shutil.chown(path, RUN_AS, RUN_AS)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _wait(connect, what: str, log: Path | None = None):
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            return connect()
        except (psycopg.Error, AssertionError) as error:
            if time.monotonic() > deadline:
                tail = log.read_text()[-2000:] if log and log.exists() else ""
                raise RuntimeError(f"{what} did not come up: {error}\n{tail}") from error
            time.sleep(0.1)


@dataclass
class Cluster:
    data: Path
    port: int

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname), autocommit=True, connect_timeout=2, **kwargs)

    def start(self) -> None:
        _run([bin_dir() / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w",
              "-t", STARTUP_SECONDS, "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run([bin_dir() / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def append_conf(self, lines: list[str]) -> None:
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n".join(lines) + "\n")


@dataclass
class Pair:
    primary: Cluster
    replica: Cluster
    dbname: str


def _server_conf(base: Path, port: int) -> list[str]:
    return [
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{base}'",
        "max_connections = 40",
        "shared_buffers = 32MB",
        "fsync = off",  # throwaway data: nothing to keep through a crash
        "full_page_writes = off",
        "jit = off",
        "wal_level = replica",
        "max_wal_senders = 4",
        "wal_receiver_status_interval = 1s",
        "wal_retrieve_retry_interval = 200ms",  # a restarted primary is found at once
        "log_min_messages = warning",
    ]


@contextmanager
def replica_pair(*, dbname: str, load_from: str | None = None):
    """A primary and its streaming replica (pg_basebackup -R), both running, with database
    `dbname` made on the primary (a copy of `load_from`, a libpq URL, when given: pg_dump |
    pg_restore). Stopped and removed when the context ends."""
    with _workdir("claims-replicas-") as base:
        primary = Cluster(base / "primary", free_port())
        replica = Cluster(base / "replica", free_port())
        try:
            _run([bin_dir() / "initdb", "-D", primary.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
            primary.append_conf(_server_conf(base, primary.port))
            # Who may connect: the tests, and the replica's WAL receiver (replication).
            (primary.data / "pg_hba.conf").write_text(
                "local   all          all                 trust\n"
                "host    all          all  127.0.0.1/32   trust\n"
                "host    replication  all  127.0.0.1/32   trust\n"
            )
            primary.start()
            with primary.connect() as admin:
                admin.execute(f'CREATE DATABASE "{dbname}"')
            if load_from:
                _copy_database(load_from, primary.conninfo(dbname))
            _run([bin_dir() / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port,
                  "-U", "postgres", "-D", replica.data, "-R", "-X", "stream",
                  "--checkpoint=fast", "--no-sync"])  # fmt: skip
            replica.append_conf(_server_conf(base, replica.port))
            replica.start()
            wait_streaming(replica)
            yield Pair(primary, replica, dbname)
        finally:
            for cluster in (replica, primary):
                with contextlib.suppress(RuntimeError):  # the directory goes either way
                    cluster.stop("immediate")


def wait_streaming(replica: Cluster) -> None:
    """Until `replica`'s WAL receiver streams from its primary."""

    def streaming():
        with replica.connect() as conn:
            status = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
            assert status is not None, "no WAL receiver yet"
            assert status[0] == "streaming", status
        return True

    _wait(streaming, "the replica's streaming", replica.data / "server.log")


def _copy_database(source_url: str, target: str) -> None:
    dump = subprocess.run(
        [bin_dir() / "pg_dump", "-Fc", "--no-owner", "-d", source_url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    subprocess.run(
        [bin_dir() / "pg_restore", "--no-owner", "--exit-on-error", "-d", target],
        input=dump.stdout,
        capture_output=True,
        timeout=120,
        check=True,
    )


@contextmanager
def pgbouncer(*, host: str, port: int):
    """PgBouncer in transaction pooling mode on a free port, in front of every database of
    the server at host:port (a wildcard entry). Yields its port.

    `server_round_robin` and `min_pool_size` make consecutive transactions of one client land
    on different server connections, so anything that leans on a session shows up in tests.
    """
    with _workdir("claims-pgbouncer-") as base:
        listen = free_port()
        ini = base / "pgbouncer.ini"
        (base / "userlist.txt").write_text('"postgres" ""\n')
        ini.write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {base / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 200\ndefault_pool_size = 10\nmin_pool_size = 2\n"
            "server_round_robin = 1\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {base / 'pgbouncer.log'}\npidfile = {base / 'pgbouncer.pid'}\n"
            "admin_users = postgres\n"
        )
        if os.geteuid() == 0:
            for path in base.iterdir():
                shutil.chown(path, RUN_AS, RUN_AS)
        args = ["pgbouncer", *(["-u", RUN_AS] if os.geteuid() == 0 else []), str(ini)]
        errors = base / "stderr.log"
        with open(errors, "wb") as stderr:
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr)
        try:

            def answers():
                assert process.poll() is None, errors.read_text()
                psycopg.connect(
                    f"host=127.0.0.1 port={listen} user=postgres dbname=pgbouncer",
                    autocommit=True,
                    connect_timeout=2,
                ).close()

            _wait(answers, "PgBouncer", base / "pgbouncer.log")
            yield listen
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
