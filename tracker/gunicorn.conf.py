"""gunicorn's settings for the documented deployment (docs/operations.md):

    .venv/bin/gunicorn -c tracker/gunicorn.conf.py

Options given on the command line (`--bind`, `--workers`…) override the values here.
"""

from gunicorn.http import wsgi

wsgi_app = "tracker.wsgi:application"
# Threaded workers: a sync worker kills a long CSV download at `timeout` and the client
# still sees HTTP 200 with a cut file (docs/csv-report.md).
worker_class = "gthread"
workers = 2
threads = 4
timeout = 120
# Behind the proxy, on loopback only: DJANGO_PROXY_COUNT trusts what the proxy appends to
# X-Forwarded-For, which holds only while nothing else can reach this port.
bind = "127.0.0.1:8000"


# No "Server: gunicorn" header: it tells an attacker which server and parser to aim at, and
# gunicorn has no setting to leave it out, so its response writer is told to skip it. Done
# here, before the workers are forked, it holds in every worker; tests/test_gunicorn.py
# checks the header is gone from a real server's answers, its own error pages included.
_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
