import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def production_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="true",
        DJANGO_ALLOWED_HOSTS="claims.example.org",
        DJANGO_SITE_URL="https://claims.example.org",
        DJANGO_SITE_NAME="Example Fact Checks",
        **extra,
    )
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    env = production_env(DJANGO_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_HSTS_PRELOAD="true")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_without_hsts_opt_ins_reports_at_most_those_two():
    env = production_env(DJANGO_BEHIND_PROXY="true", DJANGO_PROXY_COUNT="1")

    result = manage("check", "--deploy", env=env)

    reported = set(re.findall(r"\(([a-z_.]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert result.returncode == 0, result.stderr
    assert reported <= {"security.W005", "security.W021"}  # HSTS subdomains/preload: opt-in


def test_deploy_check_fails_with_the_default_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_deploy_check_warns_behind_a_proxy_that_no_proxy_count_trusts():
    """Behind a proxy every request comes from the proxy's address: with no proxy counted,
    one account's lockout locks it for every client, and readers share one report quota."""
    env = production_env(
        DJANGO_BEHIND_PROXY="true",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_HSTS_PRELOAD="true",
    )

    refused = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    counted = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**env, "DJANGO_PROXY_COUNT": "1"}
    )
    plain = manage("check", "--fail-level", "WARNING", env=env)  # only the deploy check asks

    assert refused.returncode != 0
    assert "(claims.W001) DJANGO_BEHIND_PROXY=true but DJANGO_PROXY_COUNT=0" in refused.stderr
    assert "HINT: Set DJANGO_PROXY_COUNT" in refused.stderr
    assert counted.returncode == 0, counted.stderr
    assert plain.returncode == 0, plain.stderr


def test_the_proxy_check_is_quiet_without_a_proxy():
    env = production_env(DJANGO_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_HSTS_PRELOAD="true")

    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**env, "DJANGO_PROXY_COUNT": "0"}
    )

    assert result.returncode == 0, result.stderr


def test_production_settings_turn_on_transport_security():
    script = (
        "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_HTTPONLY, s.CSRF_TRUSTED_ORIGINS)"
    )

    result = manage("shell", "-c", script, env=production_env())

    assert result.stdout.strip().splitlines()[-1] == (
        "False True True True 31536000 True ['https://claims.example.org']"
    ), result.stderr


def test_debug_is_off_by_default():
    env = production_env()
    del env["DJANGO_DEBUG"]
    del env["DJANGO_HTTPS"]

    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env=env
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


@pytest.mark.parametrize("url", ["/claims/", "/admin/login/", "/healthz"])
def test_responses_carry_the_security_headers(client, url):
    ClaimFactory(published=True)

    response = client.get(url)

    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_claim_page_has_the_security_headers(client):
    claim = ClaimFactory(published=True)

    response = client.get(claim.get_absolute_url())

    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_admin_login_is_throttled_after_five_failures(client):
    UserFactory(username="editor", is_staff=True)
    login_url = reverse("admin:login")

    failures = [
        client.post(login_url, {"username": "editor", "password": f"wrong-{n}"}).status_code
        for n in range(5)
    ]
    locked = client.post(login_url, {"username": "editor", "password": PASSWORD})

    assert failures == [200, 200, 200, 200, 429]  # the fifth failure locks the account out
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_with_the_right_password_works_before_the_limit(client):
    UserFactory(username="editor", is_staff=True)
    login_url = reverse("admin:login")
    for n in range(4):
        client.post(login_url, {"username": "editor", "password": f"wrong-{n}"})

    response = client.post(login_url, {"username": "editor", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_lockout_of_one_username_does_not_lock_out_another(client):
    UserFactory(username="editor", is_staff=True)
    UserFactory(username="reviewer", is_staff=True)
    login_url = reverse("admin:login")
    for n in range(5):
        client.post(login_url, {"username": "editor", "password": f"wrong-{n}"})

    response = client.post(login_url, {"username": "reviewer", "password": PASSWORD})

    assert response.status_code == 302


def test_session_and_csrf_cookies_are_http_only_and_same_site(client):
    UserFactory(username="editor", is_staff=True)

    client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD})

    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
