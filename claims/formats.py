"""Cited works as BibTeX, RIS and CSL-JSON downloads, written by the same libraries that read
them on import (bibtexparser 2, rispy), so Zotero, EndNote and the import read them back."""

import json
import re

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from .models import Citation
from .scales import RetractionStatus

FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
_INITIALS_RE = re.compile(r"^[A-Z]{1,4}$")


class PlainRis(rispy.RisWriter):
    """RIS without rispy's "1." line before each record (not part of the format)."""

    def set_header(self, count):
        return ""


def split_name(name: str) -> tuple[str, str] | None:
    """ "Smith JA" → ("Smith", "JA"); "World Health Organization" → None (a literal name)."""
    parts = name.split()
    if len(parts) >= 2 and _INITIALS_RE.match(parts[-1]):
        return " ".join(parts[:-1]), parts[-1]
    return None


def _names(work: Citation) -> list[str]:
    return [n.strip() for n in work.authors.split(",") if n.strip()]


def _bibtex_author(name: str) -> str:
    if name.lower().rstrip(".") == "et al":
        return "others"
    split = split_name(name)
    return f"{split[0]}, {split[1]}" if split else f"{{{name}}}"


def _key(work: Citation) -> str:
    lead = re.sub(r"\W+", "", (_names(work) or ["work"])[0].split()[0]).lower() or "work"
    return f"{lead}{work.year or 'nd'}_{work.pk}"


_LATEX_SPECIAL_RE = re.compile(r"([&%$#_])")


def _escape(value: str) -> str:
    """Words as BibTeX text: a stray brace would break the entry (dropped), and LaTeX's
    special characters are escaped so that a reader's LaTeX decoding gives them back."""
    return _LATEX_SPECIAL_RE.sub(r"\\\1", value.replace("{", "").replace("}", "").replace("\\", ""))


def to_bibtex(works: list[Citation]) -> str:
    entries = []
    for work in works:
        fields = [Field("title", _escape(work.title))]
        if work.authors:
            authors = " and ".join(_bibtex_author(_escape(n)) for n in _names(work))
            fields.append(Field("author", authors))
        for name, value in (
            ("year", str(work.year or "")),
            ("journal", _escape(work.venue)),
            ("doi", work.doi),
            ("pmid", work.pmid),
            ("url", work.url),
            ("note", _notice(work)),
        ):
            if value:
                fields.append(Field(name, value))
        kind = "article" if work.venue else "misc"
        entries.append(Entry(kind, _key(work), fields))
    return bibtexparser.write_string(bibtexparser.Library(entries))


def to_ris(works: list[Citation]) -> str:
    records = []
    for work in works:
        record = {
            "type_of_reference": "JOUR" if work.venue else "GEN",
            "title": work.title,
            "authors": [", ".join(split_name(n) or (n,)) for n in _names(work) if n != "et al."],
        }
        optional = {
            "year": str(work.year or ""),
            "secondary_title": work.venue,
            "doi": work.doi,
            "urls": [work.url] if work.url else [],
            "notes": [n for n in (f"PMID: {work.pmid}" if work.pmid else "", _notice(work)) if n],
        }
        record.update({k: v for k, v in optional.items() if v})
        records.append(record)
    return rispy.dumps(records, implementation=PlainRis)


def csl_item(work: Citation) -> dict:
    authors = []
    for name in _names(work):
        split = split_name(name)
        authors.append({"family": split[0], "given": split[1]} if split else {"literal": name})
    item = {
        "id": f"citation-{work.pk}",
        "type": "article-journal" if work.venue else "document",
        "title": work.title,
        "author": authors,
    }
    optional = {
        "issued": {"date-parts": [[work.year]]} if work.year else None,
        "container-title": work.venue,
        "DOI": work.doi,
        "PMID": work.pmid,
        "URL": work.url,
        "note": _notice(work),
    }
    return item | {k: v for k, v in optional.items() if v}


def to_csl_json(works: list[Citation]) -> str:
    return json.dumps([csl_item(work) for work in works], ensure_ascii=False, indent=2) + "\n"


WRITERS = {"bib": to_bibtex, "ris": to_ris, "json": to_csl_json}


def _notice(work: Citation) -> str:
    status = getattr(work, "retraction_status", "") or ("retracted" if work.is_retracted else "")
    if not status:
        return ""
    when = getattr(work, "retraction_date", None)
    return RetractionStatus(status).label + (f" {when.isoformat()}" if when else "")
