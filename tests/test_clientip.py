"""Admin login throttling counts failures per username and client address, through the real
middleware and login view, with and without a proxy in front."""

import logging

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.2"  # REMOTE_ADDR of every request that comes through the proxy
ATTACKER = "203.0.113.66"
EDITOR = "198.51.100.9"


@pytest.fixture
def editor():
    return UserFactory(username="editor", is_staff=True)


@pytest.fixture
def behind_one_proxy(settings):
    settings.PROXY_COUNT = 1


def login(client, password, *, remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    data = {"username": "editor", "password": password}
    return client.post(reverse("admin:login"), data, **extra)


def fail_five_times(client, **where):
    return [login(client, f"wrong-{n}", **where).status_code for n in range(5)]


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_a_proxy_a_lockout_from_one_address_spares_another(client, editor):
    failures = fail_five_times(client, forwarded=ATTACKER)

    from_editor = login(client, PASSWORD, forwarded=EDITOR)

    assert failures == [200, 200, 200, 200, 429]
    assert from_editor.status_code == 302
    assert login(client, PASSWORD, forwarded=ATTACKER).status_code == 429


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_a_proxy_the_lock_records_and_logs_the_client_address(client, editor, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail_five_times(client, forwarded=ATTACKER)

    attempts = list(AccessAttempt.objects.values_list("username", "ip_address"))
    assert attempts == [("editor", ATTACKER)]
    locked = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(locked) == 1
    assert ATTACKER in locked[0]


@pytest.mark.usefixtures("behind_one_proxy")
def test_extra_forwarded_hops_do_not_let_the_client_choose_its_address(client, editor):
    # The proxy appends the address it saw; whatever the attacker wrote before it is theirs.
    spoofed = [
        login(client, f"wrong-{n}", forwarded=f"{EDITOR}, 10.9.9.{n}, {ATTACKER}") for n in range(5)
    ]

    rotated = login(client, PASSWORD, forwarded=f"192.0.2.77, {ATTACKER}")
    from_editor = login(client, PASSWORD, forwarded=EDITOR)

    assert [r.status_code for r in spoofed] == [200, 200, 200, 200, 429]
    assert rotated.status_code == 429
    assert from_editor.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_without_a_proxy_the_peer_address_counts_and_forwarded_is_ignored(client, editor):
    # DJANGO_PROXY_COUNT=0 (the default): X-Forwarded-For is the client's own claim.
    failures = [
        login(client, f"wrong-{n}", remote=ATTACKER, forwarded=f"192.0.2.{n}").status_code
        for n in range(5)
    ]

    from_attacker = login(client, PASSWORD, remote=ATTACKER, forwarded=EDITOR)
    from_editor = login(client, PASSWORD, remote=EDITOR)

    assert failures == [200, 200, 200, 200, 429]
    assert from_attacker.status_code == 429
    assert from_editor.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_a_proxy_a_request_without_the_header_counts_by_its_peer(client, editor):
    fail_five_times(client, remote=ATTACKER)

    assert login(client, PASSWORD, remote=EDITOR).status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (2, f"{EDITOR}, {ATTACKER}, 10.0.0.1", ATTACKER),  # two proxies: second from the right
        (2, ATTACKER, ATTACKER),  # came in through the inner proxy only
        (1, f"{ATTACKER}:4711", ATTACKER),  # a port after an IPv4 address
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "::ffff:203.0.113.66", ATTACKER),  # IPv4-mapped IPv6 is the IPv4 address
        (1, "garbage", PROXY),  # a bad entry from our proxy: the peer, never None
    ],
)
def test_the_client_address_is_the_one_our_proxies_vouch_for(
    client, editor, settings, count, forwarded, expected
):
    settings.PROXY_COUNT = count

    login(client, "wrong", forwarded=forwarded)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [expected]
