"""Metadata for a bare DOI (Crossref's REST API) or PMID (NCBI E-utilities' esummary), and
the notices Crossref records against a DOI (`update-to`), when DJANGO_CITATION_LOOKUPS is on.

Both services ask for a User-Agent naming a contact address; NCBI allows 3 requests a second
without an API key. A failed look-up is that entry's error: the rest of a batch goes on.
"""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

from django.conf import settings

from .references import Reference, suggest_design, vancouver

NCBI_INTERVAL = 1 / 3  # seconds between requests: NCBI's limit without an API key
BACKOFF = 0.5  # seconds before the first retry; doubled each time
_ncbi_lock = threading.Lock()
_ncbi_last = 0.0


class LookupFailed(Exception):
    """A look-up that did not give an answer; the message is for the reviewer."""


def enabled() -> bool:
    return settings.CITATION_LOOKUPS


def _user_agent() -> str:
    return f"ClaimsTracker/1.0 (citation import; mailto:{settings.CONTACT_EMAIL})"


def _ncbi_turn() -> None:
    """Wait until a request to NCBI keeps within 3 a second (across this process's threads)."""
    global _ncbi_last
    with _ncbi_lock:
        wait = _ncbi_last + NCBI_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _ncbi_last = time.monotonic()


def get_json(url: str, *, service: str, what: str) -> dict:
    """GET a JSON document, retrying a timeout, a 429 or a 5xx with backoff; LookupFailed
    with a reviewer's sentence when there is no answer."""
    request = urllib.request.Request(  # noqa: S310
        url, headers={"User-Agent": _user_agent(), "Accept": "application/json"}
    )
    attempts = settings.CITATION_LOOKUP_RETRIES + 1
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        if service == "NCBI":
            _ncbi_turn()
        try:
            with urllib.request.urlopen(  # nosec B310 # our configured https API URLs only
                request, timeout=settings.CITATION_LOOKUP_TIMEOUT
            ) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise LookupFailed(f"{service} knows no {what}.") from None
            if error.code != 429 and error.code < 500:
                raise LookupFailed(
                    f"{service} refused the look-up of {what} (HTTP {error.code})."
                ) from None
            problem = (
                "is rate-limiting us (HTTP 429)"
                if error.code == 429
                else f"failed (HTTP {error.code})"
            )
        except (TimeoutError, urllib.error.URLError) as error:
            problem = (
                "did not answer in time"
                if "timed out" in str(error) or isinstance(error, TimeoutError)
                else f"could not be reached ({getattr(error, 'reason', error)})"
            )
        except (ValueError, UnicodeDecodeError):
            raise LookupFailed(
                f"{service} answered the look-up of {what} with something that is not JSON."
            ) from None
    raise LookupFailed(f"{service} {problem} for {what}, {attempts} tries; try again later.")


# -- Crossref ----------------------------------------------------------------------------------


def crossref_work(doi: str) -> dict:
    url = f"{settings.CROSSREF_API}/works/{urllib.parse.quote(doi, safe='/')}"
    return get_json(url, service="Crossref", what=f"DOI {doi}").get("message") or {}


def fill_from_crossref(ref: Reference) -> None:
    """Fill a bare DOI's entry from Crossref; its error when the look-up fails."""
    try:
        work = crossref_work(ref.doi)
    except LookupFailed as failed:
        ref.error = str(failed)
        return
    title = " ".join((work.get("title") or [""])[0].split())
    names = [
        ", ".join(p for p in (a.get("family"), a.get("given")) if p) or a.get("name", "")
        for a in work.get("author") or []
    ]
    issued = (work.get("issued") or work.get("published") or {}).get("date-parts") or [[None]]
    ref.title = title[:500]
    ref.authors = ", ".join(vancouver(n) for n in names if n)[:1000]
    ref.year = issued[0][0] if issued and issued[0] and issued[0][0] else None
    ref.venue = ((work.get("container-title") or [""])[0] or work.get("publisher", ""))[:300]
    ref.url = work.get("URL", "")[:2000] if not ref.url else ref.url
    if not ref.title:
        ref.error = f"Crossref has no title for DOI {ref.doi}."


NOTICE_TYPES = {
    "retraction": "retracted",
    "withdrawal": "retracted",
    "removal": "retracted",
    "expression_of_concern": "concern",
    "correction": "corrected",
    "erratum": "corrected",
    "corrigendum": "corrected",
}


def crossref_notices(doi: str) -> list[dict]:
    """The notices Crossref records as updating `doi` (their `update-to`): each
    {"status", "date", "notice_doi"}."""
    query = urllib.parse.urlencode({"filter": f"updates:{doi}", "rows": 20})
    data = get_json(
        f"{settings.CROSSREF_API}/works?{query}", service="Crossref", what=f"notices on {doi}"
    )
    notices = []
    for item in (data.get("message") or {}).get("items") or []:
        for update in item.get("update-to") or []:
            status = NOTICE_TYPES.get(str(update.get("type", "")).lower().replace("-", "_"))
            if status and str(update.get("DOI", "")).lower() == doi:
                parts = ((update.get("updated") or {}).get("date-parts") or [[None]])[0]
                when = date(*(list(parts) + [1, 1])[:3]) if parts and parts[0] else None
                notices.append(
                    {"status": status, "date": when, "notice_doi": item.get("DOI", "").lower()}
                )
    return notices


# -- NCBI --------------------------------------------------------------------------------------


def fill_from_pubmed(refs: list[Reference]) -> None:
    """Fill bare PMIDs' entries from esummary, 200 to a request; each one's error when its
    look-up fails or PubMed has no such record."""
    for start in range(0, len(refs), 200):
        batch = refs[start : start + 200]
        ids = ",".join(ref.pmid for ref in batch)
        query = urllib.parse.urlencode(
            {"db": "pubmed", "id": ids, "retmode": "json", "tool": "claims-tracker",
             "email": settings.CONTACT_EMAIL}
        )  # fmt: skip
        try:
            data = get_json(
                f"{settings.EUTILS_API}/esummary.fcgi?{query}", service="NCBI", what=f"PMID {ids}"
            )
        except LookupFailed as failed:
            for ref in batch:
                ref.error = str(failed)
            continue
        result = data.get("result") or {}
        for ref in batch:
            record = result.get(ref.pmid) or {}
            if not record.get("title") or record.get("error"):
                ref.error = f"PubMed has no record with PMID {ref.pmid}."
                continue
            _fill_from_summary(ref, record)


def _fill_from_summary(ref: Reference, record: dict) -> None:
    ref.title = " ".join(record["title"].split()).rstrip(".")[:500]
    ref.authors = ", ".join(
        a.get("name", "") for a in record.get("authors") or [] if a.get("name")
    )[:1000]
    year = str(record.get("pubdate") or record.get("sortpubdate") or "")[:4]
    ref.year = int(year) if year.isdigit() else None
    ref.venue = (record.get("fulljournalname") or record.get("source") or "")[:300]
    ref.types = list(record.get("pubtype") or [])
    for article_id in record.get("articleids") or []:
        if article_id.get("idtype") == "doi" and not ref.doi:
            ref.doi = str(article_id.get("value", "")).lower()
    if not suggest_design(ref.types):
        ref.types = []
