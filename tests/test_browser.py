"""Real Chromium through Playwright: search, follow a quote, keyboard filtering, axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Claim, GradeAssessment, PublicProfile, Source

from .factories import UserFactory

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
def demo(live_server):
    call_command("loaddata", "kratom_article", verbosity=0)
    return live_server.url


def test_search_hair_open_claim_follow_quote_and_back(page, demo):
    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")
    page.goto(f"{demo}/claims/")

    page.get_by_label("Search claims").fill("hair")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".results-count")).to_contain_text("matching “hair”")
    page.get_by_role("link", name=re.compile("Kratom aids hair regrowth")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(claim.statement)
    expect(page.locator(".verdict-box")).to_contain_text("Unsupported: no evidence found")
    page.get_by_role("link", name="See this quote in the full text").click()
    expect(page).to_have_url(re.compile(rf"/sources/\d+/#quote-{claim.pk}$"))
    expect(page.locator(f"#quote-{claim.pk}")).to_be_attached()
    page.locator(f'.source-text a.ref[href="{claim.get_absolute_url()}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(claim.statement)

    assert page.url == f"{demo}{claim.get_absolute_url()}"


def test_filter_by_grade_with_keyboard_only(page, demo):
    page.goto(f"{demo}/claims/")
    target = page.locator(".facet a", has_text="Very low")

    for _ in range(60):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/claims/\?grade=very_low$"))
    expected = Claim.objects.published().filter(grade="very_low").count()
    expect(page.locator(".results-count")).to_have_text(f"{expected} claims")
    expect(page.locator("table.claims tbody tr")).to_have_count(expected)


@pytest.mark.parametrize("which", ["list", "claim", "source", "methodology", "api"])
def test_axe_reports_no_violations(page, demo, which):
    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")
    paths = {
        "list": "/claims/?q=hair",
        "claim": claim.get_absolute_url(),
        "source": Source.objects.get().get_absolute_url(),
        "methodology": "/methodology/",
        "api": "/api/v1/docs/",
    }
    page.goto(demo + paths[which])

    results = Axe().run(page)

    assert results.violations_count == 0, results.generate_report()


def test_axe_on_a_claim_page_with_every_block(page, demo, settings):
    """The summary of findings, the named reviewers and the corrections log, in a real browser,
    at a phone's width and a desktop's."""
    settings.PUBLIC_REVIEWERS = True
    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")
    # No group: with the live server, a browser test starts from the previous one's flush
    # (the serialized rollback does not restore the migrations' groups there).
    reviewer = UserFactory(is_staff=True, username="rita_r")
    PublicProfile.objects.create(
        user=reviewer, public_name="Dr Rita Rao", conflicts="Consults for a supplement maker."
    )
    Claim.objects.filter(pk=claim.pk).update(reviewed_by=reviewer, published_by=reviewer)
    GradeAssessment.objects.create(
        claim=claim,
        evidence_base="observational",
        indirectness=-1,
        indirectness_note="No study looked at hair; animal data only.",
    )

    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(demo + claim.get_absolute_url())
        expect(page.locator("#findings-heading")).to_be_visible()
        expect(page.get_by_text("Dr Rita Rao").first).to_be_visible()

        results = Axe().run(page)

        assert results.violations_count == 0, results.generate_report()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"the page scrolls sideways at {width} px"


def test_the_api_page_reads_at_a_phones_width(page, demo):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(demo + "/api/v1/docs/")

    results = Axe().run(page)

    assert results.violations_count == 0, results.generate_report()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the API page scrolls sideways at 360 px"


def test_a_claim_made_in_several_texts_reads_well_and_leads_to_each_marked_passage(page, demo):
    """The claim page's list of texts, followed to a copy's marked passage, at 360 and 1280 px,
    with axe on both pages."""
    from claims.appearances import add_appearance

    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")
    copies = []
    for n in range(3):
        copy = Source.objects.create(
            title=f"Kratom shop number {n} with a rather long title about withdrawal remedies",
            url=f"https://shop{n}.example/kratom-hair-regrowth-after-withdrawal-very-long-path",
            text=f"Welcome to shop {n}.\n{claim.quote}\nOrder today.",
        )
        copies.append(add_appearance(claim=claim, source=copy, quote=claim.quote))

    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(demo + claim.get_absolute_url())
        expect(page.get_by_text("Made in 4 texts")).to_be_visible()
        expect(page.locator("ol.appearances > li")).to_have_count(4)
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"the claim page scrolls sideways at {width} px"

    page.locator("ol.appearances > li").nth(2).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/sources/\d+/#appearance-{copies[1].pk}$"))
    expect(page.locator(f"#quote-{claim.pk}")).to_contain_text(claim.quote)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_every_public_page_fits_a_phone_and_passes_axe(page, demo):
    """No page scrolls sideways at 360 px (its tables scroll inside their own box or stack),
    and each is axe clean there and at 1280 px: the matrix and the scorecard included."""
    from claims.models import Citation

    claim = Claim.objects.get(statement="Kratom aids hair regrowth after opioid withdrawal.")
    work = Citation.objects.filter(evidence__claim__status="published").first()
    paths = [
        "/claims/",
        "/claims/?q=hair",
        "/claims/?grade=low&grade=very_low&sort=-reviewed_at",
        claim.get_absolute_url(),
        "/sources/",
        Source.objects.get().get_absolute_url(),
        "/methodology/",
        f"/citations/{work.pk}/",
        "/api/v1/docs/",
        claim.get_absolute_url() + "report/",
        "/claims/?grade=best",
    ]
    problems = []

    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(demo + path)
            used = page.evaluate("document.documentElement.scrollWidth")
            results = Axe().run(page)
            if used > width:
                problems.append(f"{path} is {used} px wide at {width} px")
            if results.violations_count:
                problems.append(f"{path} at {width} px: {results.generate_report()}")

    assert problems == []


def test_no_claim_number_is_crossed_by_an_overlaps_outline(page, demo):
    """Where overlapping quotes meet, each numbered link stays clear of the outlines beside it
    on its line (drawn 3 px outside each mark's box), at a phone's width and a desktop's."""
    crossing = """() => {
        const boxes = [...document.querySelectorAll('.source-text mark.overlap')]
            .flatMap(m => [...m.getClientRects()]);
        return [...document.querySelectorAll('.source-text a.ref')].filter(ref => {
            const r = ref.getBoundingClientRect();
            const middle = (r.top + r.bottom) / 2;  // on the same line as the mark
            return boxes.some(b => r.left < b.right + 3 && b.left - 3 < r.right
                                && b.top < middle && middle < b.bottom);
        }).map(ref => ref.textContent);
    }"""

    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(demo + Source.objects.get().get_absolute_url())
        assert page.locator(".source-text mark.overlap").count() > 0

        assert page.evaluate(crossing) == [], f"at {width} px"


def test_the_claims_table_fits_a_desktop_and_no_date_breaks(page, demo):
    """At 1280 px the seven columns fit without scrolling (the source title shortened); at
    every width each review date stays on one line."""
    dates_on_one_line = (
        "[...document.querySelectorAll('td.col-reviewed_at time')]"
        ".every(t => t.getClientRects().length === 1)"
    )

    for width in (360, 800, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(demo + "/claims/")

        assert page.evaluate(dates_on_one_line), f"a date breaks at {width} px"
    box = page.locator(".table-container")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth")
