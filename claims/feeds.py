"""Atom feeds: newly published claims (/feeds/claims.atom) and the changes editors approved
to published claims (/feeds/corrections.atom), 50 newest entries each, the whole site or one
subject (`?subject=kratom`, exact and any case, like /claims/?subject=).

Only claims that are published now appear: a claim taken off the site or merged away leaves
both feeds, its old changes included. Links and ids are on DJANGO_SITE_URL; entry ids are the
claim's address (slugs never change), with `#change-<id>` for a change.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join

from . import dataversion
from .models import Claim, PublicChange, last_public_change_at
from .scales import ChangeKind, Grade, Status, Verdict
from .text import Lowered

FEED_LENGTH = 50
MAX_SUBJECT_LENGTH = 100  # Claim.subject's length, as /claims/?subject= allows


def grade_words(code: str) -> str:
    return Grade(code).display  # "Low ⊕⊕◯◯", as the claim page shows it


def verdict_words(code: str) -> str:
    return Verdict(code).label


def rating(grade: str, verdict: str) -> str:
    return f"Verdict: {verdict_words(verdict)}. Evidence grade: {grade_words(grade)}."


class StableAtom1Feed(Atom1Feed):
    """Atom whose `updated`, for a feed without entries, is the data's last change rather than
    the time of the request: the same data gives the same bytes, as its ETag promises."""

    def latest_post_date(self):
        if self.items:
            return super().latest_post_date()
        return dataversion.current().changed_at


class SubjectFeed(Feed):
    """What both feeds share: the optional subject, the site's name and addresses.

    The feed's object is the subject as claims spell it, or None for the whole site.
    """

    feed_type = StableAtom1Feed
    url_name = ""  # the feed's own URL name

    def __call__(self, request, *args, **kwargs):
        subjects = request.GET.getlist("subject")
        if len(subjects) > 1 or any(
            "\x00" in subject or len(subject) > MAX_SUBJECT_LENGTH for subject in subjects
        ):
            return HttpResponseBadRequest(
                "subject: one short name such as “kratom” (at most 100 characters).",
                content_type="text/plain; charset=utf-8",
            )
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        """The subject's spelling on a published claim; 404 when no published claim has it
        (as for a subject that never existed: a hidden claim's subject tells nothing)."""
        subject = request.GET.get("subject", "").strip()
        if not subject:
            return None
        spelled = list(
            self.subject_claims(Claim.objects.published(), subject)
            .order_by()
            .values_list("subject", flat=True)[:1]
        )
        if not spelled:
            raise Http404("No published claim has this subject.")
        return spelled[0]

    @staticmethod
    def subject_claims(claims, subject):
        # LOWER() on the column is what claim_subject_lower_idx holds (claims.filters).
        return claims.alias(subject_casefold=Lowered("subject")).filter(
            subject_casefold=subject.lower()
        )

    def author_name(self):
        return settings.SITE_NAME

    def feed_url(self, subject):
        query = f"?{urlencode({'subject': subject})}" if subject else ""
        return f"{settings.SITE_URL}{reverse(self.url_name)}{query}"

    def feed_guid(self, subject):
        return self.feed_url(subject)

    def link(self, subject):
        query = f"?{urlencode({'subject': subject})}" if subject else ""
        return f"{settings.SITE_URL}{reverse('claims:claim-list')}{query}"

    def title(self, subject):
        about = f" about {subject}" if subject else ""
        return f"{settings.SITE_NAME}: {self.what}{about}"


class ClaimFeed(SubjectFeed):
    """The newest published claims, by first publication."""

    url_name = "claims:feed-claims"
    what = "newly published claims"
    subtitle = "Claims from health articles, checked against the published evidence."

    def items(self, subject):
        claims = Claim.objects.published()
        if subject:
            claims = self.subject_claims(claims, subject)
        # The newest ids first, then their rows with the last change: the change's subquery
        # would keep PostgreSQL from scanning the claims in parallel.
        newest = claims.order_by("-published_at", "-pk").values("pk")[:FEED_LENGTH]
        return (
            Claim.objects.filter(pk__in=newest)
            .annotate(last_change=last_public_change_at())
            .only("pk", "slug", "statement", "subject", "grade", "verdict", "published_at")
            .order_by("-published_at", "-pk")
        )

    def item_title(self, claim):
        return claim.statement

    def item_description(self, claim):
        return format_html("<p>{}</p>", rating(claim.grade, claim.verdict))

    def item_link(self, claim):
        return settings.SITE_URL + claim.get_absolute_url()

    def item_pubdate(self, claim):
        return claim.published_at

    def item_updateddate(self, claim):
        return claim.last_change

    def item_categories(self, claim):
        return [claim.subject] if claim.subject else []


class CorrectionFeed(SubjectFeed):
    """The newest approved changes to claims that are published now: corrections (grade or
    verdict changed), updates and merges, as each claim's corrections log shows them."""

    url_name = "claims:feed-corrections"
    what = "corrections and updates"
    subtitle = "Every change an editor approved to a published claim, newest first."

    def items(self, subject):
        changes = PublicChange.objects.filter(claim__status=Status.PUBLISHED)
        if subject:
            changes = changes.alias(subject_casefold=Lowered("claim__subject")).filter(
                subject_casefold=subject.lower()
            )
        return (
            changes.select_related("claim")
            .only(
                *("kind", "approved_at", "old_grade", "new_grade", "old_verdict"),
                *("new_verdict", "summary", "note", "claim__slug", "claim__statement"),
                *("claim__subject", "claim__grade", "claim__verdict"),
            )
            .order_by("-approved_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, change):
        return f"{ChangeKind(change.kind).label}: {change.claim.statement}"

    def item_description(self, change):
        lines = []
        if change.kind == ChangeKind.CORRECTION:
            for name, words, old, new in [
                ("Verdict", verdict_words, change.old_verdict, change.new_verdict),
                ("Evidence grade", grade_words, change.old_grade, change.new_grade),
            ]:
                moved = (
                    f"{words(old)} → {words(new)}" if old != new else f"{words(new)} (unchanged)"
                )
                lines.append(f"{name}: {moved}.")
        else:
            if change.summary:
                lines.append(change.summary)
            lines.append(rating(change.new_grade, change.new_verdict))
        if change.note:
            lines.append(f"Editor’s note: {change.note}")
        return format_html_join("", "<p>{}</p>", ((line,) for line in lines))

    def item_link(self, change):
        return f"{settings.SITE_URL}{change.claim.get_absolute_url()}#corrections-heading"

    def item_guid(self, change):
        return f"{settings.SITE_URL}{change.claim.get_absolute_url()}#change-{change.pk}"

    def item_pubdate(self, change):
        return change.approved_at

    def item_updateddate(self, change):
        return change.approved_at

    def item_categories(self, change):
        return [change.claim.subject] if change.claim.subject else []
