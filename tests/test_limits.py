"""One size limit for a source's text, the same in the admin and in import_source; a cap on
the candidates of one import; a file is never read past the limit."""

import os
import resource
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims import intake
from claims.models import Claim, Source
from tests.factories import staff_in

pytestmark = pytest.mark.django_db

ARTICLE = Path(settings.BASE_DIR) / "fixtures" / "seed" / "kratom-article.txt"
LIMIT = 300
SENTENCE = "Kratom may help hair regrow after detox, users say. "


def text_of(size: int) -> str:
    """A text of exactly `size` UTF-8 bytes ("é" is two), ending in a full stop."""
    text = (SENTENCE * (size // len(SENTENCE) + 1))[: size - 3] + "é."
    assert len(text.encode()) == size
    return text


@pytest.fixture
def small_limit(settings):
    settings.CLAIMS_SOURCE_TEXT_MAX_BYTES = LIMIT


def import_file(path):
    call_command("import_source", str(path), "--title", "An article", stdout=StringIO())


def add_source(client, text):
    return client.post(
        reverse("admin:claims_source_add"),
        {"title": "An article", "kind": "web_article", "text": text},
    )


def test_the_limits_default_to_two_megabytes_and_two_thousand_candidates():
    assert settings.CLAIMS_SOURCE_TEXT_MAX_BYTES == 2_000_000
    assert settings.CLAIMS_IMPORT_MAX_CANDIDATES == 2000


@pytest.mark.usefixtures("small_limit")
def test_import_takes_a_file_at_the_limit_and_refuses_one_byte_more(tmp_path):
    at_limit, over = tmp_path / "at.txt", tmp_path / "over.txt"
    at_limit.write_text(text_of(LIMIT), encoding="utf-8")
    over.write_text(text_of(LIMIT + 1), encoding="utf-8")

    import_file(at_limit)
    with pytest.raises(CommandError, match=f"larger than {LIMIT} bytes, the limit for a source"):
        import_file(over)

    assert list(Source.objects.values_list("text", flat=True)) == [text_of(LIMIT)]


@pytest.mark.usefixtures("small_limit")
def test_admin_takes_a_text_at_the_limit_and_refuses_one_byte_more(client):
    client.force_login(staff_in("Editors"))

    refused = add_source(client, text_of(LIMIT + 1))
    stored = add_source(client, text_of(LIMIT))

    assert refused.status_code == 200
    assert f"This text is {LIMIT + 1} bytes; a source&#x27;s text may be at most {LIMIT} bytes" in (
        refused.content.decode()
    )
    assert stored.status_code == 302
    assert list(Source.objects.values_list("text", flat=True)) == [text_of(LIMIT)]


@pytest.mark.usefixtures("small_limit")
def test_admin_refuses_an_edit_that_makes_a_text_too_long(client):
    client.force_login(staff_in("Editors"))
    source = Source.objects.create(title="An article", text=text_of(LIMIT))

    response = client.post(
        reverse("admin:claims_source_change", args=[source.pk]),
        {"title": source.title, "kind": source.kind, "text": source.text + "!"},
    )

    assert f"a source&#x27;s text may be at most {LIMIT} bytes" in response.content.decode()
    source.refresh_from_db()
    assert source.text == text_of(LIMIT)


@pytest.mark.usefixtures("small_limit")
def test_the_service_refuses_a_text_over_the_limit_whoever_calls_it():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=f"at most {LIMIT} bytes"):
        intake.import_source(text=text_of(LIMIT + 1), title="An article")

    assert Source.objects.count() == 0


def test_an_import_with_more_candidates_than_the_cap_writes_nothing(settings):
    settings.CLAIMS_IMPORT_MAX_CANDIDATES = 31  # the seed article yields 32

    with pytest.raises(CommandError, match="yields 32 candidate claims; one import proposes at"):
        import_file(ARTICLE)

    assert (Source.objects.count(), Claim.objects.count()) == (0, 0)


def test_an_import_at_the_cap_goes_through(settings):
    settings.CLAIMS_IMPORT_MAX_CANDIDATES = 32

    import_file(ARTICLE)

    assert (Source.objects.count(), Claim.objects.count()) == (1, 32)


def _one_gigabyte_of_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


def test_an_endless_file_is_refused_without_reading_it_into_memory(tmp_path):
    # /dev/zero never ends: reading it whole ran into a MemoryError at 1.36 GB. Under a 1 GB
    # address-space limit, only a bounded read can answer with the size message.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "import_source", "/dev/zero", "--title", "Zeros"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_one_gigabyte_of_memory,
    )

    assert result.returncode == 1
    assert "/dev/zero is larger than 2,000,000 bytes" in result.stderr
    assert "MemoryError" not in result.stderr


def test_admin_takes_a_text_at_the_default_limit_from_a_browsers_form(client):
    # A browser percent-encodes every byte of "é" (%C3%A9): the form body is three times the
    # text, and Django's default body limit (2.5 MB) would refuse it before the form could.
    client.force_login(staff_in("Editors"))
    text = "é" * (settings.CLAIMS_SOURCE_TEXT_MAX_BYTES // 2)
    body = urlencode({"title": "An article", "kind": "web_article", "text": text})

    response = client.post(
        reverse("admin:claims_source_add"), body, content_type="application/x-www-form-urlencoded"
    )

    assert len(body) > 3 * settings.CLAIMS_SOURCE_TEXT_MAX_BYTES
    assert response.status_code == 302
    assert Source.objects.get().text == text
