"""Property tests: whatever a client sends to the public pages, no 5xx and no hidden claim.

The number of generated cases is HYPOTHESIS_CASES (total over this module, default 1,200).
"""

import os
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.models import Citation
from claims.scales import Status
from tests.factories import ClaimFactory, EvidenceFactory, SourceFactory

pytestmark = pytest.mark.django_db

TOTAL_CASES = int(os.environ.get("HYPOTHESIS_CASES", "1200"))
# Shares of the total: list and export query strings, and paths.
LIST_CASES = max(1, TOTAL_CASES * 4 // 10)
EXPORT_CASES = max(1, TOTAL_CASES * 2 // 10)
PATH_CASES = max(1, TOTAL_CASES - LIST_CASES - EXPORT_CASES)

HIDDEN_STATEMENTS = {
    status: f"Hidden {status} statement qz7" for status in (Status.CANDIDATE, Status.IN_REVIEW)
} | {Status.REJECTED: "Hidden rejected statement qz7"}


def cases(n):
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,  # no example database on disk: every run explores afresh
    )


KEYS = st.one_of(
    st.sampled_from(
        [
            "q",
            "grade",
            "verdict",
            "claim_type",
            "subject",
            "source",
            "sort",
            "page",
            "per_page",
            "after",
            "before",
        ]
    ),
    st.text(max_size=20),
)
SYNTAX = st.sampled_from(
    [
        "a & | ! <-> :*",
        "kratom:* & !hair",
        "'",
        '"',
        '"unterminated',
        "' OR 1=1 --",
        "1; DROP TABLE claims_claim",
        "-",
        "--",
        "or",
        "-kratom",
        '"kratom hair" or -withdrawal',
        "\\",
        "%",
        "_",
        "()",
        "<script>alert(1)</script>",
        "\x00",
        "\ufffd",
        "\u202e",
        "9" * 40,
        "-1",
        "0",
        "1e309",
        "nan",
        "-grade",
        "--grade",
        "high",
        "very_low",
    ]
)
VALUES = st.one_of(
    SYNTAX,
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        lambda s, n: s * n, st.sampled_from(["a", "ö", "kratom ", "&"]), st.integers(1, 5000)
    ),
    st.lists(SYNTAX, min_size=1, max_size=5).map(" ".join),
)
PAIRS = st.lists(st.tuples(KEYS, VALUES), max_size=8)
RAW_BYTES = st.binary(max_size=40).map(lambda b: "".join(f"%{byte:02X}" for byte in b))


def query_string(pairs, raw):
    encoded = urlencode(pairs, doseq=False, safe="")
    return "&".join(part for part in (encoded, raw and f"q={raw}") if part)


@pytest.fixture
def data():
    source = SourceFactory()
    published = ClaimFactory.create_batch(3, published=True, source=source)
    for claim in published:
        EvidenceFactory(claim=claim)
    hidden = [
        ClaimFactory(source=source, status=status, statement=statement)
        for status, statement in HIDDEN_STATEMENTS.items()
    ]
    return {"hidden": hidden, "source": source}


def fetch(client, url):
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content.decode("utf-8", errors="replace")


def assert_safe(url, status, text, data):
    assert status < 500, url
    for claim in data["hidden"]:
        assert claim.statement not in text, url
        assert claim.slug not in text, url


@cases(LIST_CASES)
@given(pairs=PAIRS, raw=st.one_of(st.just(""), RAW_BYTES))
def test_list_survives_any_query_string(client, data, pairs, raw):
    url = "/claims/?" + query_string(pairs, raw)

    status, text = fetch(client, url)

    assert_safe(url, status, text, data)
    assert status in {200, 400}


@cases(EXPORT_CASES)
@given(pairs=PAIRS, raw=st.one_of(st.just(""), RAW_BYTES))
def test_export_survives_any_query_string(client, data, pairs, raw):
    url = "/claims/export.csv?" + query_string(pairs, raw)

    status, text = fetch(client, url)

    assert_safe(url, status, text, data)
    assert status in {200, 400}


SEGMENTS = st.one_of(
    st.text(min_size=1, max_size=80).map(lambda s: quote(s, safe="")),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    RAW_BYTES.filter(bool),
    st.sampled_from(["..", ".", "%2e%2e", "export.csv", "-", "a" * 300, "%00", "%2F"]),
)


@cases(PATH_CASES)
@given(
    prefix=st.sampled_from(["/claims/", "/sources/"]),
    segments=st.lists(SEGMENTS, min_size=1, max_size=3),
    slash=st.booleans(),
)
def test_paths_under_claims_and_sources_never_fail(client, data, prefix, segments, slash):
    url = prefix + "/".join(segments) + ("/" if slash else "")

    status, text = fetch(client, url)

    assert_safe(url, status, text, data)


@pytest.mark.parametrize("status", sorted(HIDDEN_STATEMENTS))
def test_hidden_claim_pages_are_not_found(client, data, status):
    claim = next(c for c in data["hidden"] if c.status == status)

    response = client.get(f"/claims/{claim.slug}/")

    assert response.status_code == 404


def test_the_cases_add_up_to_the_configured_total():
    assert max(TOTAL_CASES, 3) == LIST_CASES + EXPORT_CASES + PATH_CASES


@pytest.mark.parametrize(
    "url",
    [
        # Digits that are not ASCII ("²".isdigit() is True; int("²") fails).
        "/claims/?page=%C2%B2",
        "/claims/?after=%C2%B2",
        "/claims/?before=%C2%B2",
        "/claims/?source=%C2%B2",
        "/claims/?page=%D9%A3",  # Arabic-Indic three
        "/sources/?page=%C2%B2",
        "/claims/export.csv?source=%C2%B2",
        # Page numbers past any OFFSET PostgreSQL can take, on every kind of page.
        "/claims/?q=kratom&page=99999999999999999999",
        "/claims/?q=kratom&sort=grade&page=99999999999999999999",
        "/claims/?page=99999999999999999999",
        "/claims/?after=99999999999999999999",
        "/sources/?page=99999999999999999999",
    ],
)
def test_numbers_that_are_not_ids_or_pages_get_an_answer_not_a_500(client, data, url):
    response = client.get(url)

    assert response.status_code in (200, 400)


# --- the admin: what a signed-in staff account can send ---------------------------------------

ADMIN_NUL_FILTERS = [
    "/admin/claims/claim/?status__exact=%00",
    "/admin/claims/claim/?grade__exact=%00",
    "/admin/claims/claim/?verdict__exact=%00",
    "/admin/claims/claim/?claim_type__exact=low%00",
    "/admin/claims/claim/?subject=kra%00tom",
    "/admin/claims/citation/?study_design__exact=%00",
    "/admin/claims/source/?kind__exact=%00",
    "/admin/claims/claim/?q=kratom%00",
    "/admin/claims/citation/?q=%00",
    "/admin/claims/source/?q=%00",
    "/admin/claims/claim/?o=%00",
    "/admin/claims/claim/?%00=1",
    "/admin/auth/user/?is_staff__exact=%00",
]


@pytest.fixture
def superuser_client(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url", ADMIN_NUL_FILTERS)
def test_admin_refuses_a_null_character_in_its_address(superuser_client, data, url):
    response = superuser_client.get(url)

    assert response.status_code == 400
    assert "null character" in response.content.decode()


def registered_admins():
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


# Lookups the project's own links put in a changelist's address beside its list filters.
LINKED_LOOKUPS = {
    "claims.Appearance": ["claim__id__exact"],
    "claims.ErrorReport": ["claim__id__exact"],
    "claims.Claim": ["source__id__exact"],
}
# Every changelist's own parameters: search, ordering, page, the error flag, facets, popups.
CHANGELIST_PARAMETERS = ["q", "o", "p", "e", "_facets", "all", "_to_field", "_popup"]


def list_filter_parameters(model_admin, request) -> list[str]:
    """Every parameter the changelist's list filters read, whether or not they show (a source
    filter shows only once a source is chosen): as Django's ChangeList builds them."""
    from django.contrib.admin import FieldListFilter, SimpleListFilter
    from django.contrib.admin.utils import get_fields_from_path

    names = []
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            names.append(item.parameter_name)
            continue
        field_path, make = item if isinstance(item, tuple) else (item, FieldListFilter.create)
        field = get_fields_from_path(model_admin.model, field_path)[-1]
        spec = make(field, request, {}, model_admin.model, model_admin, field_path=field_path)
        names.extend(spec.expected_parameters())
    return names


@pytest.mark.parametrize("label", [model._meta.label for model, _ in registered_admins()])
def test_every_changelist_refuses_a_null_character_in_any_of_its_parameters(
    superuser_client, data, rf, label
):
    model_admin = next(a for model, a in registered_admins() if model._meta.label == label)
    opts = model_admin.model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    request = rf.get(url)
    request.user = superuser_client.get(url).wsgi_request.user
    names = list_filter_parameters(model_admin, request)
    assert len(names) >= len(model_admin.list_filter)
    names += LINKED_LOOKUPS.get(label, []) + CHANGELIST_PARAMETERS

    refused = {}
    for name in names:
        for query in (f"{name}=%00", f"{name}=1%00", f"{name}%00=1"):
            response = superuser_client.get(f"{url}?{query}")
            refused[query] = (response.status_code, "null character" in response.content.decode())

    assert refused == dict.fromkeys(refused, (400, True))


@pytest.mark.parametrize(
    "path",
    [
        "claim/{claim}/merge/?survivor=%00",
        "claim/{claim}/merge/?survivor=kra%00tom",
        "claim/{claim}/merge/?survivor={other}%00",
        "claim/{claim}/merge/?%00=1",
        "claim/{claim}/link/?target=%00",
        "claim/{claim}/link/?target={other}&note=%00",
        "claim/%00/merge/",
        "claim/{claim}%00/link/",
        "citation/import/?claim=%00",
        "citation/import/?claim={claim}%00",
        "citation/import/?%00",
        "source/{source}/take-claim/?start=%00&end=5",
        "source/{source}/take-claim/?start=0&end=5&unit=%00",
        "appearance/add/?claim=%00",
        "appearance/add/?claim={claim}&source=%00",
        "claim/{claim}/change/?_changelist_filters=%00",
    ],
)
def test_admin_pages_refuse_a_null_character_in_their_get_parameters(superuser_client, data, path):
    claim, other = data["hidden"][0], data["hidden"][1]
    url = "/admin/claims/" + path.format(claim=claim.pk, other=other.pk, source=data["source"].pk)

    response = superuser_client.get(url)

    assert response.status_code == 400
    assert "null character" in response.content.decode()


@pytest.mark.parametrize("selected", ["abc", "\x00", "\u00b2", "1 OR 1=1"])
def test_admin_action_on_ids_that_are_not_numbers_is_a_400(superuser_client, data, selected):
    claim = data["hidden"][0]  # a candidate

    response = superuser_client.post(
        "/admin/claims/claim/",
        {"action": "reject_action", "_selected_action": [str(claim.pk), selected], "index": 0},
    )

    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == Status.CANDIDATE


@pytest.mark.parametrize(
    "path",
    [
        "{claim}/history/abc/",
        "{claim}/history/%C2%B2/",
        "{claim}/history/99999999999999999999/",
        "{claim}/history/{version}x/",
        "abc/history/{version}/",
        "abc/history/",
        "%C2%B2/history/",
        "99999999999999999999/history/",
    ],
)
def test_admin_history_pages_answer_ids_that_are_not_numbers_with_a_404(
    superuser_client, data, path
):
    claim = data["hidden"][0]
    version = claim.history.earliest("history_date").history_id
    url = "/admin/claims/claim/" + path.format(claim=claim.pk, version=version)

    response = superuser_client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("model", ["claim", "citation"])
def test_admin_history_version_page_refuses_a_post_and_changes_nothing(
    superuser_client, data, model
):
    claim = data["hidden"][0]
    obj = claim if model == "claim" else Citation.objects.first()
    obj.refresh_from_db()
    before = (obj.history.count(), obj.__class__.objects.filter(pk=obj.pk).values().get())
    version = obj.history.earliest("history_date").history_id
    url = f"/admin/claims/{model}/{obj.pk}/history/{version}/"

    shown = superuser_client.get(url)
    posted = superuser_client.post(url, {"statement": "Reverted", "title": "Reverted"})

    assert shown.status_code == 200
    assert 'value="Revert"' not in shown.content.decode()  # no button either
    assert posted.status_code == 403
    after = (obj.history.count(), obj.__class__.objects.filter(pk=obj.pk).values().get())
    assert after == before


BAD_OFFSETS = [
    {"quote_end": ""},
    {"quote_start": ""},
    {"quote_start": "abc"},
    {"quote_end": "abc"},
    {"quote_start": "\x00"},
    {"quote_end": "1\x00"},
    {"quote_start": "-1"},
    {"quote_end": "99999999999999999999"},
    {"quote_start": "", "quote_end": "7"},
]


@pytest.mark.parametrize("offsets", BAD_OFFSETS, ids=repr)
@pytest.mark.parametrize(
    ("who", "published"),
    [("superuser", False), ("Editors", False), ("Editors", True), ("Reviewers", True)],
)
def test_a_missing_or_invalid_quote_offset_redisplays_the_claim_form_with_its_error(
    client, data, who, published, offsets
):
    """A 500 (TypeError in the quote's context) while the invalid form was shown again; on a
    published claim the save is a revision, and nothing is proposed either."""
    from django.contrib.auth.models import Group

    from claims.models import Claim, ClaimRevision
    from tests.admin_forms import page_form_data
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=who == "superuser")
    if who != "superuser":
        user.groups.add(Group.objects.get(name=who))
    claim = next(
        c for c in Claim.objects.order_by("pk") if (c.status == Status.PUBLISHED) == published
    )
    before = Claim.objects.filter(pk=claim.pk).values().get()
    url = f"/admin/claims/claim/{claim.pk}/change/"
    client.force_login(user)
    form = page_form_data(client.get(url))

    response = client.post(url, {**form, **offsets, "_save": "1"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    text = response.content.decode()
    assert "errornote" in text
    assert claim.quote in text  # the saved quote, in its context
    assert Claim.objects.filter(pk=claim.pk).values().get() == before
    assert not ClaimRevision.objects.filter(claim=claim).exists()


# --- links carry what the page knows, once ------------------------------------------------------

LONG = "x" * 3900  # about what one request line holds (gunicorn's limit is 4,094 bytes)


@pytest.fixture
def pages():
    """55 sources with a published claim each: three /claims/ pages and two /sources/ pages."""
    claims = [ClaimFactory(published=True, source=SourceFactory()) for _ in range(55)]
    return {"claim": claims[0], "middle": claims[30]}


@pytest.mark.parametrize(
    "url",
    [
        "/claims/",
        "/claims/?grade=very_low&verdict=unsupported&sort=-grade",
        "/claims/?q=kratom&subject=kratom",
        "/claims/?page=2",
        "/claims/?after={middle}",
        "/claims/?before={middle}",
        "/sources/",
        "/sources/?page=2",
        "/claims/{slug}/",
        "/sources/{source}/",
        "/methodology/",
    ],
)
def test_an_unknown_parameter_changes_nothing_on_the_page(client, pages, url):
    url = url.format(
        middle=pages["middle"].pk, slug=pages["claim"].slug, source=pages["claim"].source_id
    )
    joiner = "&" if "?" in url else "?"

    plain = fetch(client, url)
    padded = fetch(client, f"{url}{joiner}zzz={LONG}&{LONG}=1")

    assert padded == plain  # nothing echoed: not in a link, a form, or anywhere else


@pytest.mark.parametrize("param", ["q", "grade", "subject", "sort", "source", "claim_type"])
def test_an_invalid_value_is_shown_at_most_once_and_carried_by_no_link(client, pages, param):
    status, text = fetch(client, f"/claims/?{param}={LONG}&verdict=unsupported")

    assert status == 400
    assert text.count(LONG) <= 1  # in its box or its error message, to be fixed
    links = re.findall(r'(?:href|value)="([^"]*)"', text)
    assert [link for link in links if "xxxxxxxxxx" in link and link != LONG] == []
    assert "verdict=unsupported" in " ".join(links)  # what did validate is kept


def test_a_repeated_value_is_carried_once(client, pages):
    once = fetch(client, "/claims/?grade=very_low&subject=kratom")
    repeated = fetch(client, "/claims/?" + "&".join(["grade=very_low", "subject=kratom"] * 40))

    assert repeated == once
