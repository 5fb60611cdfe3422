"""Pages measured as a reader's browser meets them: through gunicorn, on a warm keep-alive
connection.

The test client measures the view and its middleware; a reader also pays the WSGI server,
the socket and the HTTP parsing. `serve()` starts the documented deployment
(tracker/gunicorn.conf.py: gthread, 2 workers × 4 threads) on a free loopback port against a
database; `timed_gets()` sends N requests on one HTTP/1.1 connection and returns each one's
wall time. Several paths can be interleaved (one request of each in turn), so that a busy
moment of the machine falls on all of them alike: that is how the claim page is compared
with a peer's row page.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def serve(database_url: str, *, workers: int = 2, threads: int = 4) -> Iterator[int]:
    """gunicorn with the documented settings on a free loopback port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-" + os.urandom(16).hex(),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # nosec B603 # our own executable and arguments, no shell
        [
            str(gunicorn),
            "-c",
            "tracker/gunicorn.conf.py",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
            try:
                status, _ = get_once(port, "/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()


def get_once(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_gets(
    ports_and_paths: list[tuple[int, str]], *, repeat: int = 41, warmup: int = 10
) -> list[list[float]]:
    """Wall times (ms) of `repeat` GETs of each (port, path), interleaved, each on its own
    kept-alive connection, after `warmup` untimed rounds. Any non-200 answer stops it."""
    connections = [
        http.client.HTTPConnection(HOST, port, timeout=30) for port, _ in ports_and_paths
    ]
    times: list[list[float]] = [[] for _ in ports_and_paths]
    try:
        for round_ in range(warmup + repeat):
            for i, (connection, (_, path)) in enumerate(
                zip(connections, ports_and_paths, strict=True)
            ):
                start = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != 200:
                    raise RuntimeError(f"GET {path} answered {response.status}")
                if round_ >= warmup:
                    times[i].append(elapsed)
    finally:
        for connection in connections:
            connection.close()
    return times
