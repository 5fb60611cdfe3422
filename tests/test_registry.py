"""Every declared /claims/ filter selects the same claims on every path: the list's pages, its
counts, a search, a sorted search and the CSV, on SQLite and on PostgreSQL (where counts and
search read the side tables). A filter declared without its side-table form fails by name.
"""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from claims import filters
from claims.filters import FILTERS, ListFilter, filter_problems
from claims.forms import SubjectField
from claims.grading import DOWN_DOMAINS
from claims.scales import ClaimType, Grade, Status, Verdict

from .factories import ClaimFactory, GradeAssessmentFactory, SourceFactory

pytestmark = pytest.mark.django_db

LIST = reverse("claims:claim-list")
EXPORT = reverse("claims:claim-export")
NEXT_RE = re.compile(r'<a rel="next" href="([^"]+)"')
WORD = "zebrafish"  # in some statements only, so a search selects a known subset


@pytest.fixture
def claims():
    """Published claims over every grade, verdict, claim type, two subjects (in mixed case)
    and two sources, some with WORD in their statement; and unpublished ones that match."""
    sources = [SourceFactory(), SourceFactory()]
    grades = [g for g in Grade if g != Grade.UNGRADED]
    verdicts = [v for v in Verdict if v != Verdict.UNRATED]
    made = []
    for i in range(36):
        made.append(
            ClaimFactory(
                published=True,
                source=sources[i % 2],
                statement=f"Claim {i} about {'a ' + WORD if i % 3 == 0 else 'something'}",
                grade=grades[i % len(grades)],
                verdict=verdicts[i % len(verdicts)],
                claim_type=list(ClaimType)[i % len(ClaimType)],
                subject=["kratom", "Tea", "KRATOM"][i % 3],
            )
        )
    # GRADE assessments: rated down for imprecision, for bias and imprecision, for nothing;
    # a quarter have none.
    ratings = [{"imprecision": -1}, {"risk_of_bias": -2, "imprecision": -1}, {}]
    for i, claim in enumerate(made):
        if i % 4 < 3:
            GradeAssessmentFactory(claim=claim, evidence_base="randomised", **ratings[i % 4])
    for status in (Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED):
        hidden = ClaimFactory(status=status, source=sources[0], statement=f"Hidden {WORD}")
        GradeAssessmentFactory(claim=hidden, imprecision=-1, risk_of_bias=-1)
    return made


def rated_down(claim) -> set[str]:
    assessment = getattr(claim, "assessment", None)
    return {d for d in DOWN_DOMAINS if assessment and getattr(assessment, d) < 0}


def values_for(spec: ListFilter, claims) -> list[str]:
    """Two values of `spec` that published claims have (one, for the source)."""
    if spec.param == "source":
        return [str(claims[0].source_id)]
    if spec.param == "subject":
        return ["tea", "Kratom"]  # any case selects every spelling
    if spec.param == "rated_down":
        return ["risk_of_bias", "inconsistency"]  # one present, one no claim has
    present = []
    for claim in claims:
        value = getattr(claim, spec.field)
        if value not in present:
            present.append(value)
    return present[:2]


def matches(spec: ListFilter, claim, values) -> bool:
    if spec.param == "rated_down":
        return bool(rated_down(claim) & set(values))
    value = str(getattr(claim, spec.field))
    if spec.casefold:
        return value.lower() in {v.lower() for v in values}
    return value in values


def listed(client, query: str) -> tuple[list[int], object]:
    """Every claim /claims/?query lists, following its Next links; and its first page."""
    ids, url, first = [], f"{LIST}?{query}", None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content.decode()[:500]
        page = response.context["page"]
        first = first or page
        ids += [claim.pk for claim in page.rows]
        found = NEXT_RE.search(response.content.decode())
        url = LIST + found.group(1).replace("&amp;", "&") if found else ""
    return ids, first


def exported(client, query: str) -> list[int]:
    response = client.get(f"{EXPORT}?{query}")
    body = b"".join(response.streaming_content).decode()
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(body))]


def assert_paths_agree(client, claims, spec: ListFilter, values: list[str], *, search: bool):
    query = "&".join(f"{spec.param}={value}" for value in values)
    expected = [c for c in claims if matches(spec, c, values)]
    if search:
        query += f"&q={WORD}"
        expected = [c for c in expected if WORD in c.statement]
    assert expected, f"the data selects nothing for {spec.param}={values}"

    ids, page = listed(client, query)
    sorted_ids, sorted_page = listed(client, query + "&sort=-claim")

    assert sorted(ids) == sorted(c.pk for c in expected), f"list of {spec.param}"
    assert sorted(sorted_ids) == sorted(ids), f"sorted list of {spec.param}"
    assert exported(client, query) == ids, f"CSV of {spec.param}"
    for shown in (page, sorted_page):
        assert shown.counts.total == len(expected), f"total of {spec.param}"
        for facet in (s for s in FILTERS if s.faceted):
            # Each facet counts what choosing one of its codes would give.
            base = [c for c in claims if matches(spec, c, values) or spec == facet]
            if search:
                base = [c for c in base if WORD in c.statement]
            counted = {item.code: item.count for item in next(
                f for f in shown.facets if f.name == facet.param).items}  # fmt: skip
            want = {code: sum(getattr(c, facet.field) == code for c in base)
                    for code, _ in facet.choices}  # fmt: skip
            assert counted == want, f"{facet.param} counts with {spec.param}"


@pytest.mark.parametrize("spec", FILTERS, ids=[spec.param for spec in FILTERS])
def test_each_filter_agrees_on_list_counts_and_csv(client, claims, spec):
    assert_paths_agree(client, claims, spec, values_for(spec, claims), search=False)


@pytest.mark.parametrize("spec", FILTERS, ids=[spec.param for spec in FILTERS])
def test_each_filter_agrees_on_search_and_its_counts(client, claims, spec):
    assert_paths_agree(client, claims, spec, values_for(spec, claims), search=True)


def test_every_declared_filter_has_its_side_table_form():
    assert filter_problems(FILTERS) == []


# A filter someone might add, declared without saying how the side tables read it.
THROWAWAY = ListFilter("outcome", "Outcome", "outcome", form_field=SubjectField, casefold=True)


def test_a_filter_without_its_side_table_form_fails_the_check_by_name(monkeypatch):
    monkeypatch.setattr(filters, "FILTERS", (*FILTERS, THROWAWAY))

    with pytest.raises(SystemCheckError, match="filter 'outcome' has no side-table form"):
        call_command("check")


@pytest.mark.usefixtures("postgres_only")
def test_a_filter_without_its_side_table_form_is_refused_by_the_search_by_name(
    client, claims, monkeypatch
):
    monkeypatch.setattr(filters, "FILTERS", (*FILTERS, THROWAWAY))
    monkeypatch.setattr(filters, "ClaimFilter", filters.build_filterset(filters.FILTERS))

    with pytest.raises(LookupError, match="filter 'outcome' has no side-table form"):
        client.get(f"{LIST}?outcome=hair+regrowth&q={WORD}")


def test_rated_down_follows_every_change_of_the_assessment(client):
    """Search and counts (the side tables' tags on PostgreSQL) see each write of an assessment."""
    claim = ClaimFactory(published=True, statement=f"A {WORD} claim")
    query = f"{LIST}?rated_down=imprecision&q={WORD}"

    def shown():
        page = client.get(query).context["page"]
        return [c.pk for c in page.rows], page.counts.total

    assert shown() == ([], 0)
    assessment = GradeAssessmentFactory(claim=claim, evidence_base="randomised", imprecision=-1)
    assert shown() == ([claim.pk], 1)
    claim.status = Status.IN_REVIEW  # unpublished, then published again: the tag comes back
    claim.save()
    assert shown() == ([], 0)
    claim.status = Status.PUBLISHED
    claim.save()
    assert shown() == ([claim.pk], 1)
    assessment.imprecision = 0
    assessment.save()
    assert shown() == ([], 0)
    assessment.imprecision = -2
    assessment.save()
    assert shown() == ([claim.pk], 1)
    assessment.delete()
    assert shown() == ([], 0)


def test_an_unknown_rated_down_domain_is_a_clear_message(client):
    response = client.get(f"{LIST}?rated_down=large_effect")

    assert response.status_code == 400
    assert "“large_effect” is not a GRADE domain" in response.content.decode()
