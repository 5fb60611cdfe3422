"""The admin in a real Chromium at 1280 px: no sideways scrolling, axe clean, the live GRADE
certainty, and taking a claim by selecting text."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from claims.models import Claim, GradeAssessment
from tests.factories import ClaimFactory, EvidenceFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The live server's request threads close Django's connections after each request; on
    # SQLite's shared in-memory test database, once Playwright's event loop runs, that can
    # meet a connection object of the test thread's other context and raise in that thread
    # (test harness, not product code: the pages and assertions are unaffected).
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]


@pytest.fixture
def admin_page(page, live_server):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    return page


@pytest.fixture
def graded_claim():
    claim = ClaimFactory()
    EvidenceFactory(claim=claim, finding="Hair regrowth was not measured in any trial.")
    GradeAssessment.objects.create(claim=claim, evidence_base="randomised")
    return claim


def page_url(live_server, which, claim):
    return (
        live_server.url
        + {
            "claim": reverse("admin:claims_claim_change", args=[claim.pk]),
            "list": reverse("admin:claims_claim_changelist"),
            "source": reverse("admin:claims_source_change", args=[claim.source.pk]),
            # The whole merge page: the comparison, the form (and a refusal: itself).
            "merge": reverse("admin:claims_claim_merge", args=[claim.pk]) + f"?survivor={claim.pk}",
        }[which]
    )


@pytest.mark.parametrize("which", ["claim", "list", "source", "merge"])
def test_admin_pages_fit_1280_px_and_axe_finds_nothing(
    admin_page, live_server, which, graded_claim
):
    admin_page.goto(page_url(live_server, which, graded_claim))

    width = admin_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"{which}: {width} px wide"
    results = Axe().run(admin_page)
    assert results.violations_count == 0, results.generate_report()


def test_the_claims_list_shows_its_key_columns_at_1280_px(admin_page, live_server, graded_claim):
    admin_page.goto(page_url(live_server, "list", graded_claim))

    for column in ("short_statement", "grade_display", "verdict", "status", "source_title"):
        box = admin_page.locator(f"#result_list thead th.column-{column}").bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 1280, column


def test_the_certainty_follows_the_domains_before_saving(admin_page, live_server, graded_claim):
    admin_page.goto(page_url(live_server, "claim", graded_claim))
    certainty = admin_page.locator("#assessment-0 output.live-certainty")
    expect(certainty).to_contain_text("High")

    admin_page.locator("#id_assessment-0-risk_of_bias").select_option("-1")
    admin_page.locator("#id_assessment-0-imprecision").select_option("-1")

    expect(certainty).to_contain_text("Low")
    graded_claim.refresh_from_db()
    assert graded_claim.assessment.computed_grade == "high"  # nothing saved yet

    # Rating up randomised evidence, rated down besides: the rule, not a number.
    admin_page.locator("#id_assessment-0-large_effect").select_option("1")
    expect(certainty).to_contain_text("only when it started low")


def test_selecting_text_takes_a_claim_with_its_exact_quote(admin_page, live_server):
    claim = ClaimFactory()
    source = claim.source
    admin_page.goto(page_url(live_server, "source", claim))
    sentence = "It is said to ease opioid withdrawal symptoms."
    start = source.text.index(sentence)

    admin_page.evaluate(
        """([start, end]) => {
            const text = document.getElementById("source-text");
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            let seen = 0, range = document.createRange(), node;
            while ((node = walker.nextNode())) {
                const len = node.data.length;
                if (start >= seen && start <= seen + len) range.setStart(node, start - seen);
                if (end >= seen && end <= seen + len) { range.setEnd(node, end - seen); break; }
                seen += len;
            }
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [start, start + len(sentence)],
    )
    admin_page.get_by_role("link", name="Take a claim from the selection").click()
    admin_page.get_by_role("button", name="Take this claim").click()

    taken = Claim.objects.exclude(pk=claim.pk).get()
    assert (taken.quote, taken.quote_start) == (sentence, start)
    expect(admin_page.locator(".messagelist")).to_contain_text(f"Claim #{taken.pk} taken")
