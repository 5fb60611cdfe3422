"""The work queue's list filters, each fast on a million claims."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Lower
from django.utils.text import Truncator

from ..filters import appears_in_q, parse_id
from ..models import Claim, ClaimRevision, ErrorReport, Source
from ..scales import ReportStatus, RevisionStatus

MAX_SUBJECT_LENGTH = Claim._meta.get_field("subject").max_length
SUBJECTS_LISTED = 100  # the subject filter lists this many subjects, A to Z; search finds others


class RetractedCitationFilter(admin.SimpleListFilter):
    title = "cites a retracted work"
    parameter_name = "retracted"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(cites_retracted=True)
        if self.value() == "no":
            return queryset.filter(cites_retracted=False)
        return queryset


class OpenRevisionFilter(admin.SimpleListFilter):
    """Published claims with a change on its way to an editor: the editors' part of the queue."""

    title = "revision"
    parameter_name = "revision"

    def lookups(self, request, model_admin):
        return [
            (RevisionStatus.PENDING, "Awaits an editor"),
            (RevisionStatus.RETURNED, "Sent back"),
        ]

    def queryset(self, request, queryset):
        if self.value() not in (RevisionStatus.PENDING, RevisionStatus.RETURNED):
            return queryset
        return queryset.filter(
            Exists(ClaimRevision.objects.filter(claim=OuterRef("pk"), status=self.value()))
        )


class OpenReportFilter(admin.SimpleListFilter):
    """Claims a reader reported an error on, still open."""

    title = "readers' reports"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("open", "Open report")]

    def queryset(self, request, queryset):
        if self.value() != "open":
            return queryset
        return queryset.filter(
            Exists(ErrorReport.objects.filter(claim=OuterRef("pk"), status=ReportStatus.OPEN))
        )


class SubjectFilter(admin.SimpleListFilter):
    """Claims about one subject (any case), listing the subjects claims have.

    Django's own filter would read every claim for its DISTINCT; this one walks the
    lower(subject) index from one subject to the next, one probe each.
    """

    title = "subject"
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        table = Claim._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH RECURSIVE subjects(value, n) AS (
                        SELECT min(lower(subject)), 1 FROM {table}
                        UNION ALL
                        SELECT (SELECT min(lower(subject)) FROM {table}
                                WHERE lower(subject) > subjects.value), n + 1
                        FROM subjects WHERE subjects.value IS NOT NULL AND n < %s
                    )
                    SELECT value FROM subjects WHERE value IS NOT NULL AND value <> ''
                """,  # nosec B608 # model names; values bound
                [SUBJECTS_LISTED],
            )
            subjects = [value for (value,) in cursor.fetchall()]
        # The chosen subject is listed (and marked as chosen) however it was typed.
        chosen = self.value() or ""
        choices = [(chosen if s == chosen.lower() else s, s) for s in subjects]
        if chosen and chosen.lower() not in subjects:
            choices.append((chosen, chosen))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if "\x00" in value or len(value) > MAX_SUBJECT_LENGTH:
            return queryset.none()  # no subject is like that (and PostgreSQL refuses NUL)
        # lower() on both sides, by the database (SQLite's lower() leaves non-ASCII letters
        # alone, so lowering the value in Python would miss "Ärger"); the column side is the
        # expression the index holds (iexact writes UPPER()).
        return queryset.alias(subject_lower=Lower("subject")).filter(
            subject_lower=Lower(Value(value))
        )


class SourceFilter(admin.SimpleListFilter):
    """Claims taken from one source: shown when a source is chosen (a source's admin page and
    the source column link here); listing every source would list fifty thousand."""

    title = "source"
    parameter_name = "source__id__exact"

    def lookups(self, request, model_admin):
        # A filter with no choices is not applied at all (Django skips it), so a chosen value
        # is always a choice, even one that names no source (it then lists nothing).
        value = self.value()
        if value is None:
            return []
        source = None
        if (pk := parse_id(value)) is not None:
            source = Source.objects.filter(pk=pk).only("title").first()
        label = Truncator(source.title).chars(60) if source else f"no source with ID {value}"
        return [(value, label)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        pk = parse_id(value)
        return queryset.none() if pk is None else queryset.filter(appears_in_q([pk]))


class ReviewerFilter(admin.RelatedFieldListFilter):
    """Claims last graded by one person, choosing among the people who graded any claim.

    Asked per account (an index probe on reviewed_by each; accounts are few), not as the
    DISTINCT reviewers of every claim, which read the whole table.
    """

    def field_choices(self, field, request, model_admin):
        reviewers = (
            get_user_model()
            .objects.filter(Exists(Claim.objects.filter(reviewed_by=OuterRef("pk"))))
            .order_by("username")
        )
        return [(user.pk, str(user)) for user in reviewers]
