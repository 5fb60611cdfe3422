"""The documented server (gunicorn with tracker/gunicorn.conf.py), started for real on a free
loopback port: no answer names the server, its own error pages included."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, host: str = HOST) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    database = tmp_path_factory.mktemp("gunicorn") / "db.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": f"sqlite:///{database}",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "tracker/gunicorn.conf.py", "--bind", f"{HOST}:{port}"]
    command += ["--workers", "1", "--threads", "2", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if fetch(port, "/healthz").status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not answer /healthz (exit code {process.poll()})")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_page_from_the_server_does_not_name_it(server):
    response = fetch(server, "/healthz")

    assert response.status == 200
    assert response.getheader("Server") is None
    assert response.getheader("Date")  # the other default headers are still sent


def test_a_refusal_from_django_does_not_name_the_server(server):
    response = fetch(server, "/healthz", host="evil.example")

    assert response.status == 400
    assert response.getheader("Server") is None


def test_gunicorns_own_error_page_does_not_name_it(server):
    # A request line gunicorn itself refuses, before Django sees anything.
    with socket.create_connection((HOST, server), timeout=10) as sock:
        sock.sendall(b"NOT A REQUEST\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk

    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 400")
    assert [line for line in head.split("\r\n") if line.lower().startswith("server:")] == []
