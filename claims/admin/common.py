"""What the admin modules share."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from ..filters import parse_id
from ..models import Claim

RETRACTED_BADGE = "⚠ RETRACTED"
# A pasted "example.org/x" gets https://, not http:// (and Django 5.2 warns without it).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


def can_grade(request) -> bool:
    return request.user.has_perm("claims.grade_claim")


def _offsets_fit(claim) -> bool:
    start, end = claim.quote_start, claim.quote_end
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(claim.source.text)
    )


def quote_context_html(claim) -> str:
    """A claim's quote marked inside its source's text, for its change page.

    A form shown again with an offset missing or out of the text (its field error says so)
    shows the saved claim's quote instead, or none: the offsets it was given locate nothing
    (a blank one was a TypeError, a 500, while the form with its error was being shown).
    """
    if claim is None or claim.pk is None:
        return "Shown once the claim is saved."
    if not _offsets_fit(claim):
        claim = Claim.objects.select_related("source").filter(pk=claim.pk).first()
        if claim is None or not _offsets_fit(claim):
            return "—"
    context = claim.quote_context(width=300)
    return format_html(
        '<blockquote class="quote-context">{}<mark>{}</mark>{}</blockquote>'
        "<p>From “{}”, characters {}–{}.</p>",
        context.before,
        context.quote,
        context.after,
        claim.source.title,
        claim.quote_start,
        claim.quote_end,
    )


class HistoryAdmin(SimpleHistoryAdmin):
    """simple_history's history pages, read-only: an old version can be read, not restored.

    Reverting is off (SIMPLE_HISTORY_REVERT_DISABLED hides its button), and a POST to a
    version's page is refused here as well: simple_history would save the old version's form
    past every service (no version check, no workflow rule); until now only a crash
    (TransactionManagementError) stopped it. An id that is not a number is a 404, not a 500.
    """

    def history_view(self, request, object_id, extra_context=None):
        if parse_id(unquote(object_id)) is None:
            raise Http404("No such object.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Reverting to an earlier version is disabled.")
        if parse_id(unquote(object_id)) is None or parse_id(version_id) is None:
            raise Http404("No such version.")
        return super().history_form_view(request, object_id, version_id, extra_context)
