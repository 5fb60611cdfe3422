"""Backup and restore reproduce every claim, citation, evidence link and history row exactly."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

from claims.models import GradeAssessment
from claims.scales import Grade, Stance, Status, Verdict
from claims.services import grade_claim
from tests.factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    SourceFactory,
    UserFactory,
)

User = get_user_model()
MANAGE = Path(__file__).resolve().parent.parent / "manage.py"


def build_data():
    """Claims in every status, shared citations, evidence, an assessment and history rows."""
    reviewer = UserFactory(username="reviewer", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="grade_claim"))
    reviewers = Group.objects.get_or_create(name="Backup reviewers")[0]
    reviewers.permissions.add(Permission.objects.get(codename="change_claim"))
    reviewer.groups.add(reviewers)
    source = SourceFactory(title="Kratom article ⊕ “quoted”")
    published = ClaimFactory(source=source, published=True)
    claims = [
        ClaimFactory(source=source, status=status, merged_into=None)
        for status in Status.values
        if status not in (Status.PUBLISHED, Status.MERGED)
    ]
    claims.append(ClaimFactory(source=source, status=Status.MERGED, merged_into=published))
    shared = CitationFactory(title="Shared study\nwith a newline", year=None)
    for n, claim in enumerate([*claims, published]):
        EvidenceFactory(claim=claim, citation=shared, stance=Stance.values[n % 4])
        EvidenceFactory(claim=claim, finding=f"Finding {n}: ⊕⊕◯◯ – ok")
    GradeAssessment.objects.create(
        claim=published,
        risk_of_bias=-1,
        risk_of_bias_note="Bias.",
        override_reason="Two consistent trials since.",  # so the grade may differ
    )
    grade_claim(
        claim=published,
        reviewer=User.objects.get(pk=reviewer.pk),
        grade=Grade.MODERATE,
        verdict=Verdict.PARTLY_SUPPORTED,
        rationale="Re-graded after a second look.",
        seen_version=published.version,
    )
    shared.title = "Shared study, corrected title"
    shared.save()  # another history row


def snapshot():
    """Every row of the app's tables (history included), users and groups, comparable.

    Users and groups are compared by natural key: `--natural-primary` lets their ids change.
    """
    usernames = dict(User.objects.values_list("pk", "username"))
    user_fields = {"reviewed_by_id", "history_user_id", "user_id"}
    rows = {}
    for model in apps.get_app_config("claims").get_models():
        values = []
        for row in model.objects.order_by("pk").values():
            values.append(
                {k: usernames.get(v, v) if k in user_fields else v for k, v in row.items()}
            )
        rows[model._meta.label] = values
    rows["auth.User"] = sorted(
        (
            {k: v for k, v in row.items() if k != "id"}
            | {
                "groups": sorted(
                    User.objects.get(username=row["username"]).groups.values_list("name", flat=True)
                ),
                "permissions": sorted(
                    User.objects.get(username=row["username"]).user_permissions.values_list(
                        "codename", flat=True
                    )
                ),
            }
            for row in User.objects.values()
        ),
        key=lambda row: row["username"],
    )
    rows["auth.Group"] = sorted(
        (group.name, sorted(group.permissions.values_list("codename", flat=True)))
        for group in Group.objects.all()
    )
    return rows


def counts():
    return {
        label: len(values) for label, values in snapshot().items() if not label.startswith("auth")
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dumpdata_flush_loaddata_reproduces_everything(tmp_path):
    build_data()
    before = snapshot()
    dump = tmp_path / "claims-backup.xml"

    call_command(
        "dumpdata",
        "claims",
        "auth.user",
        "auth.group",
        "--natural-foreign",
        "--natural-primary",
        "--format=xml",  # JSON would cut timestamps to milliseconds; XML keeps them exact
        output=str(dump),
        verbosity=0,
    )
    call_command("flush", interactive=False, verbosity=0)
    emptied = counts()
    call_command("loaddata", str(dump), verbosity=0)
    after = snapshot()

    assert set(emptied.values()) == {0}
    assert after == before
    assert len(before["claims.HistoricalClaim"]) == 6
    assert len(before["claims.HistoricalCitation"]) >= 3
    assert len(before["claims.Evidence"]) == 10
    assert len(before["claims.Appearance"]) == 5


def pg_env():
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGUSER": db["USER"] or "postgres"}
    if db["PORT"]:
        env["PGPORT"] = str(db["PORT"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def table_rows(conninfo):
    with psycopg.connect(conninfo) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND (tablename LIKE 'claims\\_%' OR tablename LIKE 'auth\\_%') ORDER BY 1"
            )
        ]
        return {
            table: sorted(
                conn.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608 - catalog names
                key=repr,
            )
            for table in tables
        }


def conninfo(dbname):
    env = pg_env()
    parts = [f"dbname={dbname}", f"host={env['PGHOST']}", f"user={env['PGUSER']}"]
    if "PGPORT" in env:
        parts.append(f"port={env['PGPORT']}")
    if "PGPASSWORD" in env:
        parts.append(f"password={env['PGPASSWORD']}")
    return " ".join(parts)


def restored_url(dbname):
    env = pg_env()
    password = f":{quote(env['PGPASSWORD'], safe='')}" if "PGPASSWORD" in env else ""
    port = f":{env['PGPORT']}" if "PGPORT" in env else ""
    return f"postgres://{env['PGUSER']}{password}@{env['PGHOST']}{port}/{dbname}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pg_dump_and_pg_restore_reproduce_every_table(postgres_only, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed (apt-get install postgresql-client)")
    build_data()
    source_db = connection.settings_dict["NAME"]
    restored_db = f"restore_check_{uuid.uuid4().hex[:12]}"
    archive = tmp_path / "claims.dump"
    env = pg_env()

    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(archive), source_db],
        env=env,
        check=True,
        timeout=120,
    )
    subprocess.run(["createdb", restored_db], env=env, check=True, timeout=60)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", restored_db, str(archive)],
            env=env,
            check=True,
            timeout=120,
        )
        before = table_rows(conninfo(source_db))
        after = table_rows(conninfo(restored_db))
        # What the operations guide says to run after a restore (and .ci/run runs).
        checked = subprocess.run(
            [sys.executable, str(MANAGE), "check_listing_tables"],
            env={**env, "DATABASE_URL": restored_url(restored_db)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        subprocess.run(["dropdb", "--if-exists", restored_db], env=env, check=True, timeout=60)

    assert after == before
    assert (checked.returncode, checked.stderr) == (0, "")
    assert "Side tables match their triggers" in checked.stdout
    assert len(before["claims_historicalclaim"]) == 6
    assert len(before["claims_evidence"]) == 10
    assert {"claims_claim", "claims_citation", "claims_evidence", "claims_source"} <= set(before)
