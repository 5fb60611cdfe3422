import json
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


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DATABASE_REPLICA_URLS": "sqlite:///replica.sqlite3"}, "DATABASE_REPLICA_URLS"),
        ({"DATABASE_REPLICA_URLS": "postgres://replica.internal/claims"}, "DATABASE_REPLICA_URLS"),
        (
            {
                "DATABASE_URL": "postgres://primary.internal/claims",
                "DATABASE_REPLICA_URLS": "postgres://replica.internal/claims",
                "DJANGO_READ_YOUR_WRITES_SECONDS": "10",
            },
            "DJANGO_READ_YOUR_WRITES_SECONDS",
        ),
        ({"DJANGO_DB_TRANSACTION_POOLING": "pgbouncer"}, "DJANGO_DB_TRANSACTION_POOLING"),
    ],
)
def test_replica_settings_that_cannot_work_stop_startup(env, name):
    result = run_check(**{"DATABASE_URL": "", **env})

    assert result.returncode != 0
    assert name in result.stderr


def test_replicas_and_a_pooler_configure_the_databases_and_the_router():
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.READ_REPLICAS, s.DATABASE_ROUTERS, "
        "{a: [d['PORT'], d.get('DISABLE_SERVER_SIDE_CURSORS', False), d['TEST'].get('MIRROR'), "
        "'options' in d['OPTIONS']] for a, d in s.DATABASES.items()}]))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://app@pgbouncer.internal:6432/claims",
        "DATABASE_REPLICA_URLS": "postgres://app@pgbouncer.internal:6433/claims, "
        "postgres://app@pgbouncer.internal:6434/claims",
        "DJANGO_DB_TRANSACTION_POOLING": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["replica_1", "replica_2"],
        ["claims.routing.PrimaryReplicaRouter"],
        {
            "default": [6432, True, None, False],
            "replica_1": [6433, True, "default", False],
            "replica_2": [6434, True, "default", False],
        },
    ]
