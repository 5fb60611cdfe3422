import os
import subprocess
import sys

import pytest
from django.conf import settings


def run_check(**env):
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "yes please"),
        ("DJANGO_SITE_URL", "claims.example.org"),
        ("DATABASE_URL", "mysql://root@localhost/claims"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_PROXY_COUNT", "-1"),
        ("DJANGO_SOURCE_TEXT_MAX_BYTES", "2MB"),
        ("DJANGO_SOURCE_TEXT_MAX_BYTES", "0"),
        ("DJANGO_IMPORT_MAX_CANDIDATES", "0"),
    ],
)
def test_malformed_environment_stops_startup_naming_the_variable(name, value):
    result = run_check(**{name: value})

    assert result.returncode != 0
    assert name in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_defaults_start_cleanly():
    result = run_check(DJANGO_DEBUG="", DJANGO_SITE_URL="https://claims.example.org/")

    assert result.returncode == 0, result.stderr
