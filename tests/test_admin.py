import csv
import io

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from claims import services
from claims.models import Citation, Claim, GradeAssessment
from claims.scales import Grade, Stance, Status, Verdict
from tests.factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    SourceFactory,
    UserFactory,
    staff_in,
)
from tests.plans import plan_without_sorting
from tests.test_permissions import change_form_data, new_evidence_data

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def assessment_data(**values):
    data = {
        "assessment-TOTAL_FORMS": 1,
        "assessment-INITIAL_FORMS": 0,
        "assessment-0-evidence_base": "observational",
        "assessment-0-override_reason": "",
    }
    for domain in (
        "risk_of_bias",
        "inconsistency",
        "indirectness",
        "imprecision",
        "publication_bias",
        "large_effect",
        "dose_response",
        "plausible_confounding",
    ):
        data[f"assessment-0-{domain}"] = 0
        data[f"assessment-0-{domain}_note"] = ""
    data.update({f"assessment-0-{k}": v for k, v in values.items()})
    return data


@pytest.mark.parametrize("n_claims", [1, 6])
def test_claim_changelist_query_count_is_flat(client, django_assert_max_num_queries, n_claims):
    client.force_login(staff_in("Reviewers"))
    for _ in range(n_claims):
        EvidenceFactory(claim=ClaimFactory(status=Status.IN_REVIEW))

    with django_assert_max_num_queries(14):  # today 13 or fewer; must not grow with n_claims
        response = client.get(reverse("admin:claims_claim_changelist"))

    assert response.context["cl"].result_count == n_claims


def test_changelist_puts_claims_waiting_for_review_first(client):
    client.force_login(staff_in("Reviewers"))
    published = ClaimFactory(published=True)
    candidate = ClaimFactory(status=Status.CANDIDATE)
    in_review = ClaimFactory(status=Status.IN_REVIEW)

    response = client.get(reverse("admin:claims_claim_changelist"))

    assert list(response.context["cl"].result_list) == [in_review, candidate, published]


def test_changelist_counts_stances_and_flags_retracted_citations(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)
    EvidenceFactory(claim=claim, stance=Stance.SUPPORTS)
    EvidenceFactory(claim=claim, stance=Stance.SUPPORTS)
    EvidenceFactory(
        claim=claim, stance=Stance.CONTRADICTS, citation=CitationFactory(is_retracted=True)
    )

    response = client.get(reverse("admin:claims_claim_changelist"), {"retracted": "yes"})

    row = response.context["cl"].result_list[0]
    assert (row.supporting, row.contradicting, row.cites_retracted) == (2, 1, True)
    assert "⚠ cites a retracted work" in response.content.decode()


def _changelist(client, **params):
    return client.get(reverse("admin:claims_claim_changelist"), params)


def _listed(response) -> list[int]:
    return [claim.pk for claim in response.context["cl"].result_list]


def _filter_choices(response, title: str) -> list[str]:
    spec = next(s for s in response.context["cl"].filter_specs if s.title == title)
    return [choice["display"] for choice in spec.choices(response.context["cl"])]


def test_subject_filter_lists_each_subject_once_and_ignores_case(client):
    client.force_login(staff_in("Reviewers"))
    kratom = [ClaimFactory(subject="Kratom"), ClaimFactory(subject="kratom", published=True)]
    ClaimFactory(subject="hair loss")
    ClaimFactory(subject="")  # no subject: not a choice

    response = _changelist(client)
    filtered = _changelist(client, subject="KRATOM")

    assert _filter_choices(response, "subject") == ["All", "hair loss", "kratom"]
    assert sorted(_listed(filtered)) == sorted(claim.pk for claim in kratom)


def test_subject_filter_lists_a_bounded_number_and_keeps_the_chosen_one(client, monkeypatch):
    monkeypatch.setattr("claims.admin.filters.SUBJECTS_LISTED", 2)
    client.force_login(staff_in("Reviewers"))
    for subject in ("alpha", "beta", "gamma", "delta"):
        ClaimFactory(subject=subject)

    response = _changelist(client, subject="gamma")

    assert _filter_choices(response, "subject") == ["All", "alpha", "beta", "gamma"]
    assert len(_listed(response)) == 1


def test_source_filter_shows_only_once_a_source_is_chosen(client):
    client.force_login(staff_in("Reviewers"))
    chosen = ClaimFactory(source=SourceFactory(title="The article under review"))
    ClaimFactory()

    unfiltered = _changelist(client)
    filtered = _changelist(client, source__id__exact=chosen.source_id)
    bad = _changelist(client, source__id__exact="abc")

    assert "source" not in [
        spec.title for spec in unfiltered.context["cl"].filter_specs if spec.has_output()
    ]
    assert _filter_choices(filtered, "source") == ["All", "The article under review"]
    assert _listed(filtered) == [chosen.pk]
    assert bad.status_code == 200
    assert _listed(bad) == []
    assert _filter_choices(bad, "source") == ["All", "no source with ID abc"]
    assert _listed(_changelist(client, source__id__exact=999999)) == []
    # The source column links to the same filter, and the source's page links to the queue.
    assert f'href="?source__id__exact={chosen.source_id}"' in unfiltered.content.decode()


def test_reviewer_filter_offers_the_people_who_graded_claims(client):
    reviewer = staff_in("Reviewers", username="rita")
    client.force_login(reviewer)
    former = UserFactory(username="former_reviewer", is_staff=False)  # left the team
    staff_in("Editors", username="never_graded")
    UserFactory(username="public_reader")
    graded = ClaimFactory(published=True, reviewed_by=reviewer)
    by_former = ClaimFactory(published=True, reviewed_by=former)
    ClaimFactory(published=True)

    response = _changelist(client)
    filtered = _changelist(client, reviewed_by__id__exact=former.pk)

    # "-": claims nobody has graded yet
    assert _filter_choices(response, "reviewed by") == ["All", "former_reviewer", "rita", "-"]
    assert _listed(filtered) == [by_former.pk]
    assert _listed(_changelist(client, reviewed_by__id__exact=reviewer.pk)) == [graded.pk]


def test_subject_filter_finds_subjects_with_letters_beyond_ascii(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(subject="Ärger")
    ClaimFactory(subject="kratom")

    response = _changelist(client)
    (listed_as,) = [c for c in _filter_choices(response, "subject") if "rger" in c]
    filtered = _changelist(client, subject=listed_as)

    assert _listed(filtered) == [claim.pk]


def test_subject_filter_typed_in_capitals_is_marked_as_chosen(client):
    client.force_login(staff_in("Reviewers"))
    ClaimFactory(subject="kratom")
    response = _changelist(client, subject="KRATOM")

    spec = next(s for s in response.context["cl"].filter_specs if s.title == "subject")
    chosen = [c["display"] for c in spec.choices(response.context["cl"]) if c["selected"]]
    assert chosen == ["kratom"]
    assert len(_listed(response)) == 1


@pytest.mark.parametrize(
    "params",
    [
        # A NUL anywhere in an admin address is a 400 (tests/test_hostile_requests.py).
        {"subject": "x" * 5000},
        {"source__id__exact": "\u00b2"},  # a digit to str.isdigit(), not to int()
        {"q": "\u00b2"},
        {"q": "ab " * 20000},
        {"source__id__exact": "9" * 40},
        {"reviewed_by__id__exact": "\u00b2"},
    ],
)
def test_changelist_answers_hostile_filter_values(client, params):
    client.force_login(staff_in("Reviewers"))
    ClaimFactory()

    response = _changelist(client, **params)

    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("kratom", {"kratom_hair", "kratom_sleep"}),
        ("kratom -sleep", {"kratom_hair"}),
        ('"hair regrowth"', {"kratom_hair"}),
        ("coffee OR sleep", {"coffee", "kratom_sleep"}),
    ],
)
def test_admin_search_is_the_public_search(client, search, expected):
    client.force_login(staff_in("Reviewers"))

    def claim(statement, subject, outcome, **extra):
        quote = f"{statement}."
        source = SourceFactory(text=quote)
        return ClaimFactory(
            source=source,
            statement=statement,
            subject=subject,
            outcome=outcome,
            quote=quote,
            quote_end=len(quote),
            **extra,
        )

    claims = {
        "kratom_hair": claim("Kratom aids hair regrowth", "kratom", "hair regrowth"),
        "kratom_sleep": claim("Kratom improves sleep", "kratom", "sleep", published=True),
        "coffee": claim("Coffee sharpens focus", "coffee", "focus"),
    }

    response = _changelist(client, q=search)

    names = {name for name, claim in claims.items() if claim.pk in _listed(response)}
    assert names == expected


def test_admin_search_by_number_finds_that_claim(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(statement="Something unrelated")
    ClaimFactory()

    response = _changelist(client, q=str(claim.pk))

    assert claim.pk in _listed(response)


@pytest.mark.usefixtures("postgres_only")
def test_work_queue_reads_its_index():
    """The changelist's ORDER BY is the expression claim_work_queue_idx holds."""
    ClaimFactory.create_batch(3)
    request = RequestFactory().get("/")
    request.user = staff_in("Reviewers")
    queryset = site._registry[Claim].get_queryset(request)

    plan = plan_without_sorting(queryset[:50])

    assert "claim_work_queue_idx" in plan


def test_change_page_highlights_the_quote_in_its_paragraph_escaped(client):
    client.force_login(staff_in("Reviewers"))
    source = SourceFactory(
        text="A heading\nFirst <b>one</b>. Kratom may help hair. Last one.\nAnother paragraph."
    )
    claim = ClaimFactory(source=source, quote="Kratom may help hair.", quote_start=28, quote_end=49)

    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert (
        '<blockquote class="quote-context">First &lt;b&gt;one&lt;/b&gt;. '
        "<mark>Kratom may help hair.</mark> Last one.</blockquote>" in response.content.decode()
    )


def test_stale_admin_save_is_refused_and_keeps_the_input(client):
    ana, ben = staff_in("Reviewers", username="ana"), staff_in("Reviewers", username="ben")
    claim = ClaimFactory(status=Status.IN_REVIEW)
    opened_by_ben = change_form_data(claim)  # Ben opens the form at version 1
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.force_login(ana)
    client.post(url, change_form_data(claim, grade=Grade.LOW, rationale="Ana's view."))
    client.force_login(ben)

    response = client.post(
        url, {**opened_by_ben, "verdict": Verdict.MISLEADING, "rationale": "Ben's view."}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "ana changed this claim at" in page
    assert "grade: “Not yet graded” → “Low”" in page
    assert "Ben&#x27;s view." in page  # Ben's input is still in the form
    claim.refresh_from_db()
    assert (claim.grade, claim.verdict, claim.rationale, claim.version) == (
        Grade.LOW,
        Verdict.UNRATED,
        "Ana's view.",
        2,
    )
    assert response.context["adminform"].form["seen_version"].value() == 2


def test_second_save_after_seeing_the_diff_goes_through(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)
    services.grade_claim(
        claim=claim,
        reviewer=staff_in("Reviewers"),
        grade=Grade.LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="First.",
        seen_version=1,
    )

    response = client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        change_form_data(claim, seen_version=2, rationale="Second, knowingly."),
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.rationale, claim.version) == ("Second, knowingly.", 3)


def test_admin_save_stamps_reviewer_and_records_history_user(client):
    reviewer = staff_in("Reviewers")
    client.force_login(reviewer)
    claim = ClaimFactory(status=Status.IN_REVIEW)

    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        change_form_data(claim, grade=Grade.VERY_LOW, verdict=Verdict.UNSUPPORTED, rationale="R"),
    )

    claim.refresh_from_db()
    assert (claim.reviewed_by, claim.version) == (reviewer, 2)
    assert [(h.grade, h.history_user) for h in claim.history.all()] == [
        (Grade.VERY_LOW, reviewer),
        (Grade.UNGRADED, None),
    ]


def test_assessment_decides_the_grade_when_it_is_not_overridden(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)

    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        {
            **change_form_data(claim),
            **assessment_data(evidence_base="randomised", risk_of_bias=-1, imprecision=-1),
        },
    )

    claim.refresh_from_db()
    assert (claim.grade, claim.assessment.computed_grade) == (Grade.LOW, Grade.LOW)


def test_overriding_the_computed_grade_without_reason_is_refused(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = client.post(
        url, {**change_form_data(claim, grade=Grade.HIGH), **assessment_data(large_effect=1)}
    )

    assert "The GRADE assessment computes Moderate ⊕⊕⊕◯" in response.content.decode()
    assert GradeAssessment.objects.count() == 0
    claim.refresh_from_db()
    assert claim.grade == Grade.UNGRADED


@pytest.mark.parametrize(
    "ratings",
    [
        {"evidence_base": "randomised", "large_effect": 1},
        {"evidence_base": "observational", "imprecision": -1, "dose_response": 1},
    ],
)
def test_rating_up_where_grade_does_not_is_refused_naming_the_rule(client, ratings):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)

    response = client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        {**change_form_data(claim), **assessment_data(**ratings)},
    )

    assert response.status_code == 200
    assert "only when it started low" in response.content.decode()
    assert GradeAssessment.objects.count() == 0


def test_overriding_the_computed_grade_with_a_reason_is_kept(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(status=Status.IN_REVIEW)

    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        {
            **change_form_data(claim, grade=Grade.HIGH),
            **assessment_data(large_effect=1, override_reason="Three consistent cohorts."),
        },
    )

    claim.refresh_from_db()
    assert (claim.grade, claim.assessment.override_reason) == (
        Grade.HIGH,
        "Three consistent cohorts.",
    )


def test_publish_action_reports_changed_and_refused(client):
    client.force_login(staff_in("Editors"))
    ready = ClaimFactory(
        status=Status.IN_REVIEW, grade=Grade.LOW, verdict=Verdict.UNSUPPORTED, rationale="R"
    )
    EvidenceFactory(claim=ready, stance=Stance.BACKGROUND)
    bare = ClaimFactory(status=Status.IN_REVIEW, statement="Bare claim")

    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "publish_action", "_selected_action": [ready.pk, bare.pk]},
        follow=True,
    )

    assert messages_of(response) == [
        "Published 1 claim(s).",
        f"Refused 1 claim(s): #{bare.pk} “Bare claim”: missing a grade, a verdict, "
        "a rationale, at least one evidence link.",
    ]
    assert list(Claim.objects.order_by("pk").values_list("status", flat=True)) == [
        Status.PUBLISHED,
        Status.IN_REVIEW,
    ]


def test_send_to_review_and_reject_actions(client):
    client.force_login(staff_in("Reviewers"))
    accept, drop = ClaimFactory(), ClaimFactory()
    url = reverse("admin:claims_claim_changelist")

    client.post(url, {"action": "send_to_review_action", "_selected_action": [accept.pk]})
    client.post(url, {"action": "reject_action", "_selected_action": [drop.pk]})

    accept.refresh_from_db()
    drop.refresh_from_db()
    assert (accept.status, drop.status) == (Status.IN_REVIEW, Status.REJECTED)


def test_export_selected_action_streams_the_report_with_each_status(client):
    client.force_login(staff_in("Reviewers"))
    draft = ClaimFactory(statement="A draft claim")
    public = ClaimFactory(published=True, statement="A public claim")
    ClaimFactory(published=True, statement="Not selected")
    EvidenceFactory(claim=public, stance=Stance.CONTRADICTS)

    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "export_csv_action", "_selected_action": [draft.pk, public.pk]},
    )

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Disposition"].startswith('attachment; filename="claims-selected-')
    assert [(r["claim"], r["status"], r["contradicting"]) for r in rows] == [
        ("A public claim", "published", "1"),
        ("A draft claim", "candidate", "0"),
    ]


def test_publish_button_on_the_change_form_says_what_is_missing(client):
    client.force_login(staff_in("Editors"))
    claim = ClaimFactory(status=Status.IN_REVIEW)

    response = client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        {**change_form_data(claim, grade=Grade.LOW, rationale="Why."), "_publish": "1"},
        follow=True,
    )

    assert messages_of(response) == [
        "Saved, but the status did not change: missing a verdict, at least one evidence link."
    ]
    claim.refresh_from_db()
    assert (claim.status, claim.grade) == (Status.IN_REVIEW, Grade.LOW)


def test_history_page_shows_diffs_and_evidence_with_users(client):
    reviewer = staff_in("Reviewers", username="rita")
    client.force_login(reviewer)
    claim = ClaimFactory(status=Status.IN_REVIEW)
    services.grade_claim(
        claim=claim,
        reviewer=reviewer,
        grade=Grade.LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="R",
        seen_version=1,
    )
    claim.refresh_from_db()
    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        new_evidence_data(claim, CitationFactory(authors="Doe A"), Stance.MIXED),
    )

    response = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))

    page = " ".join(response.content.decode().split())
    assert "<strong>Grade:</strong> Not yet graded &nbsp;&rarr;&nbsp;&nbsp;Low" in page
    assert "<strong>Verdict:</strong> Not yet rated &nbsp;&rarr;&nbsp;&nbsp;Unsupported" in page
    assert "<strong>Version:</strong>" not in page
    assert "<td>added</td>" in page
    assert "<td>Mixed</td>" in page
    assert page.count("rita") >= 3


def test_citation_doi_url_is_stored_bare_and_pmid_normalised(client):
    client.force_login(staff_in("Reviewers"))

    client.post(
        reverse("admin:claims_citation_add"),
        {
            "title": "Kratom survey",
            "doi": "https://doi.org/10.1016/J.DRUGALCDEP.2019.05.005",
            "pmid": "PMID: 31284119",
            "study_design": "cross_sectional",
        },
    )

    citation = Citation.objects.get()
    assert (citation.doi, citation.pmid) == ("10.1016/j.drugalcdep.2019.05.005", "31284119")


def test_citation_with_a_bad_doi_is_refused_with_a_message(client):
    client.force_login(staff_in("Reviewers"))

    response = client.post(
        reverse("admin:claims_citation_add"),
        {"title": "X", "doi": "not-a-doi", "pmid": "", "study_design": "rct"},
    )

    assert "is not a DOI" in response.content.decode()
    assert Citation.objects.count() == 0


def test_citation_search_accepts_a_doi_link(client):
    client.force_login(staff_in("Reviewers"))
    wanted = CitationFactory(doi="10.1000/abc")
    CitationFactory(doi="10.1000/xyz")

    response = client.get(
        reverse("admin:claims_citation_changelist"), {"q": "https://doi.org/10.1000/ABC"}
    )

    assert list(response.context["cl"].result_list) == [wanted]


def test_source_edit_that_breaks_a_quote_is_refused(client):
    client.force_login(staff_in("Editors"))
    claim = ClaimFactory()
    source = claim.source

    response = client.post(
        reverse("admin:claims_source_change", args=[source.pk]),
        {"title": source.title, "kind": source.kind, "text": "Rewritten." + source.text},
    )

    assert "This edit would break the quotes of 1 claim(s)" in response.content.decode()
    source.refresh_from_db()
    assert source.text.startswith("Kratom may help")


def test_source_page_lists_the_claims_taken_from_it(client):
    client.force_login(staff_in("Reviewers"))
    claim = ClaimFactory(statement="Kratom aids hair regrowth")

    response = client.get(reverse("admin:claims_source_change", args=[claim.source_id]))

    assert "Kratom aids hair regrowth</a> — Candidate, Not yet graded" in response.content.decode()


def test_repeated_failed_logins_lock_the_account(client):
    UserFactory(username="rev", is_staff=True)
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "rev", "password": "wrong"})

    response = client.post(url, {"username": "rev", "password": "wrong"})

    assert response.status_code == 429
    assert "locked for one hour" in response.content.decode()


def test_a_save_that_slips_in_after_the_forms_check_is_refused_by_the_save(client, monkeypatch):
    ana, ben = staff_in("Reviewers", username="ana"), staff_in("Reviewers", username="ben")
    claim = ClaimFactory(status=Status.IN_REVIEW)
    data = change_form_data(claim, rationale="Ben's view.")
    checked = services.check_version

    def ana_saves_right_after_the_check(*, claim, seen_version):
        checked(claim=claim, seen_version=seen_version)
        services.grade_claim(
            claim=claim,
            reviewer=ana,
            grade=Grade.LOW,
            verdict=Verdict.UNSUPPORTED,
            rationale="Ana's view.",
            seen_version=seen_version,
        )

    monkeypatch.setattr(services, "check_version", ana_saves_right_after_the_check)
    client.force_login(ben)

    response = client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert response.status_code == 302
    assert any("Not saved: ana changed this claim" in m for m in messages_of(response))
    claim.refresh_from_db()
    # Ana's save ran inside Ben's request here, so the refusal rolled it back with his.
    assert (claim.rationale, claim.version) == ("", 1)


def test_a_claim_added_in_the_admin_is_checked_and_starts_in_review(client):
    reviewer = staff_in("Reviewers")
    client.force_login(reviewer)
    source = SourceFactory()
    data = {
        "statement": "Kratom aids hair regrowth",
        "subject": "kratom",
        "outcome": "hair regrowth",
        "claim_type": "efficacy",
        "source": source.pk,
        "quote": "Kratom may help hair regrow after detox.",
        "quote_start": "",
        "quote_end": "",
        "grade": Grade.UNGRADED,
        "verdict": Verdict.UNRATED,
        "rationale": "",
        **{
            f"{prefix}-{key}": 0
            for prefix in ("evidence", "assessment")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }

    response = client.post(reverse("admin:claims_claim_add"), data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.status, claim.quote_start, claim.quote_end) == (Status.IN_REVIEW, 0, 40)
    assert {h.history_user for h in claim.history.all()} == {reviewer}
