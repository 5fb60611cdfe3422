import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims.models import Citation, Claim, Evidence, Source
from claims.scales import ClaimType, Grade, SourceKind, Stance, Status, StudyDesign, Verdict

SOURCE_TEXT = (
    "Kratom may help hair regrow after detox. "
    "It is said to ease opioid withdrawal symptoms. "
    "Users report it is well tolerated."
)


class UserFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True


class SourceFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Article {n}")
    kind = SourceKind.WEB_ARTICLE
    url = factory.Sequence(lambda n: f"https://example.org/article-{n}")
    text = SOURCE_TEXT

    class Meta:
        model = Source


class ClaimFactory(factory.django.DjangoModelFactory):
    """A candidate claim quoting the first sentence of its source (an unpublished draft)."""

    source = factory.SubFactory(SourceFactory)
    statement = factory.Sequence(lambda n: f"Kratom aids hair regrowth (claim {n})")
    quote = "Kratom may help hair regrow after detox."
    quote_start = 0
    quote_end = 40
    subject = "kratom"
    outcome = "hair regrowth"
    claim_type = ClaimType.EFFICACY
    status = Status.CANDIDATE
    # A merged claim names the claim it went into (a published one, made for it).
    merged_into = factory.Maybe(
        factory.LazyAttribute(lambda claim: claim.status == Status.MERGED),
        yes_declaration=factory.LazyAttribute(
            lambda claim: ClaimFactory(published=True, source=claim.source)
        ),
        no_declaration=None,
    )

    class Meta:
        model = Claim

    class Params:
        published = factory.Trait(
            status=Status.PUBLISHED,
            grade=Grade.VERY_LOW,
            verdict=Verdict.UNSUPPORTED,
            rationale="No study has looked at kratom and hair regrowth.",
            published_at=factory.LazyFunction(timezone.now),
        )


class CitationFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"A study of kratom, part {n}")
    authors = "Smith J, Jones K"
    year = 2020
    venue = "Journal of Examples"
    doi = factory.Sequence(lambda n: f"10.1000/example.{n}")
    study_design = StudyDesign.CROSS_SECTIONAL

    class Meta:
        model = Citation


class EvidenceFactory(factory.django.DjangoModelFactory):
    claim = factory.SubFactory(ClaimFactory)
    citation = factory.SubFactory(CitationFactory)
    stance = Stance.SUPPORTS
    finding = "Users reported less withdrawal."

    class Meta:
        model = Evidence


# -- added for the reviewer workflow (issue 3) -------------------------------------------------


class GradeAssessmentFactory(factory.django.DjangoModelFactory):
    claim = factory.SubFactory(ClaimFactory)
    evidence_base = "observational"

    class Meta:
        model = "claims.GradeAssessment"


def staff_in(group_name: str | None, **kwargs):
    """A staff user in the named group (Reviewers, Editors) or in none (None)."""
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, **kwargs)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


# -- added for the feeds and the sitemap's lastmod (issue 20) -----------------------------------


class PublicChangeFactory(factory.django.DjangoModelFactory):
    """An approved correction of a published claim: very low/unsupported, once low/supported."""

    claim = factory.SubFactory(ClaimFactory, published=True)
    kind = "correction"
    approved_at = factory.LazyFunction(timezone.now)
    old_grade = Grade.LOW
    new_grade = Grade.VERY_LOW
    old_verdict = Verdict.SUPPORTED
    new_verdict = Verdict.UNSUPPORTED
    note = "A new trial found no effect."

    class Meta:
        model = "claims.PublicChange"
