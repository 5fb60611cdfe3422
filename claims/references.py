"""Reading pasted or uploaded references: DOIs, PMIDs, BibTeX, RIS and CSL-JSON.

Each entry becomes a `Reference`: a cited work's fields as plain values, or the reason it
cannot be read. The well-kept parsers do the formats (bibtexparser 2, rispy, json); this
module only maps their fields onto ours, as Zotero, EndNote and PubMed fill them.
"""

import itertools
import json
import re
from dataclasses import dataclass, field

import bibtexparser
import rispy
from pylatexenc.latex2text import LatexNodes2Text

from .models import DOI_RE, PMID_RE, normalize_doi
from .scales import StudyDesign

MAX_ENTRIES = 1000  # one review's worth; a longer paste is refused whole (nothing written)

_PMID_LINE_RE = re.compile(
    r"^(?:pmid:|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)"
    r"(?P<id>\S+?)/?$",
    re.IGNORECASE,
)
_DOI_LINE_RE = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)\S*$|^10\.\S*$", re.IGNORECASE)
_YEAR_RE = re.compile(r"(1[6-9]\d\d|20\d\d|2100)")
_PMID_NOTE_RE = re.compile(r"PMID:\s*(\d{1,10})", re.IGNORECASE)

# Publication types (PubMed's, as records carry them in keywords, RIS M3 or esummary's
# pubtype) that say a work's design; the first match in this order wins.
DESIGN_BY_TYPE = (
    ("meta-analysis", StudyDesign.SYSTEMATIC_REVIEW),
    ("systematic review", StudyDesign.SYSTEMATIC_REVIEW),
    ("randomized controlled trial", StudyDesign.RCT),
    ("randomised controlled trial", StudyDesign.RCT),
    ("case reports", StudyDesign.CASE_REPORT),
    ("case report", StudyDesign.CASE_REPORT),
    ("observational study", StudyDesign.COHORT),
    ("cohort", StudyDesign.COHORT),
    ("case-control", StudyDesign.CASE_CONTROL),
    ("cross-sectional", StudyDesign.CROSS_SECTIONAL),
    ("review", StudyDesign.NARRATIVE_REVIEW),
)


class BatchRefused(Exception):
    """The whole paste or file is refused (too long, not text): nothing is read from it."""


@dataclass
class Reference:
    """One entry as read: `label` says where it came from, for the preview."""

    label: str
    title: str = ""
    authors: str = ""
    year: int | None = None
    venue: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    types: list[str] = field(default_factory=list)  # publication types, for the design
    error: str = ""

    @property
    def identifier_only(self) -> bool:
        return not self.title and bool(self.doi or self.pmid)

    @property
    def study_design(self) -> str:
        return suggest_design(self.types)


def suggest_design(types: list[str]) -> str:
    """The design PubMed's publication types say, or "" when they say none."""
    lowered = [t.strip().lower() for t in types]
    for needle, design in DESIGN_BY_TYPE:
        if any(needle in t for t in lowered):
            return design
    return ""


def decode(data: bytes) -> str:
    """An uploaded file as text, or BatchRefused: UTF-8 (with or without BOM), else Latin-1
    as older EndNote writes it; NUL bytes mean it is not text at all. The caller bounds its
    size (claims/limits.py: DJANGO_CITATION_IMPORT_MAX_BYTES)."""
    if b"\x00" in data:
        raise BatchRefused("The file is not text: upload a .bib, .ris, .json or .txt file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        raise BatchRefused("The file is not text: upload a .bib, .ris, .json or .txt file.")
    return text


def parse(text: str) -> list[Reference]:
    """Every entry of a paste, in order, in whichever format it is; BatchRefused past
    MAX_ENTRIES."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.strip()
    if not stripped:
        return []
    if stripped[0] in "[{":
        refs = parse_csl_json(stripped)
    elif re.search(r"^\s*@\s*\w+\s*[{(]", text, re.MULTILINE):
        refs = parse_bibtex(text)
    elif re.search(r"^TY  -", text, re.MULTILINE):
        refs = parse_ris(text)
    elif re.search(r"^PMID- ", text, re.MULTILINE):
        refs = parse_medline(text)
    else:
        refs = parse_identifiers(text)
    if len(refs) > MAX_ENTRIES:
        raise BatchRefused(
            f"This paste has {len(refs)} entries; at most {MAX_ENTRIES} are imported at once. "
            "Nothing was saved: split it into smaller batches."
        )
    return refs


# -- identifiers -------------------------------------------------------------------------------


def parse_identifiers(text: str) -> list[Reference]:
    """One DOI or PMID a line (commas and semicolons also separate them)."""
    refs = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = re.sub(r"(?i)\b(doi|pmid)\s*:\s*", r"\1:", line.strip())  # "PMID: 1" is one token
        for token in re.split(r"[,;\s]+", line):
            if token:
                refs.append(identifier(token, f"line {number}: {token[:80]}"))
    return refs


def identifier(token: str, label: str) -> Reference:
    if pmid := _PMID_LINE_RE.match(token):
        token = pmid["id"]
    if _DOI_LINE_RE.match(token):
        doi = normalize_doi(token)
        if not DOI_RE.match(doi):
            return Reference(label, error=f"“{token}” is not a DOI (expected 10.<digits>/…).")
        return Reference(label, doi=doi)
    if PMID_RE.match(token):
        return Reference(label, pmid=token)
    if re.fullmatch(r"\d*[A-Za-z]+\w*", token) and any(c.isdigit() for c in token):
        return Reference(label, error=f"“{token}” is not a PMID: a PubMed ID is digits only.")
    return Reference(
        label,
        error=f"“{token}” is neither a DOI nor a PMID (nor BibTeX, RIS or CSL-JSON).",
    )


def _checked_ids(ref: Reference, doi: str, pmid: str) -> Reference:
    """Set the entry's DOI and PMID, or its error when one is malformed."""
    doi, pmid = normalize_doi(doi), (pmid or "").strip()
    if doi and not DOI_RE.match(doi):
        ref.error = f"“{doi}” is not a DOI (expected 10.<digits>/…)."
    elif pmid and not PMID_RE.match(pmid):
        ref.error = f"“{pmid}” is not a PMID: a PubMed ID is digits only."
    ref.doi, ref.pmid = doi, pmid
    return ref


def _year(value) -> int | None:
    match = _YEAR_RE.search(str(value or ""))
    return int(match[1]) if match else None


def vancouver(name: str) -> str:
    """ "Smith, John A." → "Smith JA" (the form the tracker lists authors in); a name
    without a comma ("Smith JA", as PubMed writes it) is kept."""
    name = " ".join(name.split())
    if "," not in name:
        return name
    family, given = (part.strip() for part in name.split(",", 1))
    if re.fullmatch(r"[A-Z]{1,4}", given):  # initials already ("Coe, MA")
        return f"{family} {given}"
    initials = "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)
    return f"{family} {initials}".strip()


def _clip(value: str, size: int) -> str:
    value = " ".join(str(value or "").split())
    return value if len(value) <= size else value[: size - 1] + "…"


def _authors(names: list[str]) -> str:
    return _clip(", ".join(vancouver(n) for n in names if n.strip()), 1000)


# -- BibTeX ------------------------------------------------------------------------------------


def parse_bibtex(text: str) -> list[Reference]:
    library = bibtexparser.parse_string(text)
    blocks = [(entry.start_line, entry) for entry in library.entries]
    blocks += [(block.start_line, block) for block in library.failed_blocks]
    refs = []
    for start, block in sorted(blocks, key=lambda pair: pair[0]):
        if isinstance(block, bibtexparser.model.Entry):
            refs.append(_bibtex_entry(block))
        else:
            key = re.search(r"@\s*\w+\s*[{(]\s*([^,\s]*)", block.raw or "")
            name = f"“{key[1]}” " if key and key[1] else ""
            refs.append(
                Reference(
                    f"BibTeX entry {name}(line {start + 1})",
                    error=f"This BibTeX entry {name}starting on line {start + 1} is broken "
                    "(an unclosed brace or quote?); the others were read.",
                )
            )
    return refs


def _bibtex_entry(entry) -> Reference:
    fields = {f.key.lower(): str(f.value) for f in entry.fields}
    for name in ("title", "author", "journal", "journaltitle", "booktitle", "publisher"):
        if name in fields:  # LaTeX (accents, \&) in the words; never in DOIs and URLs
            fields[name] = LatexNodes2Text(keep_braced_groups=True).latex_to_text(fields[name])

    def get(*names):
        return next((fields[n] for n in names if fields.get(n, "").strip()), "")

    clean = lambda value: _clip(value.replace("{", "").replace("}", ""), 500)  # noqa: E731
    ref = Reference(
        f"BibTeX entry “{entry.key}” (line {entry.start_line + 1})",
        title=clean(get("title")),
        authors=_authors(get("author").replace("{", "").replace("}", "").split(" and ")),
        year=_year(get("year", "date")),
        venue=_clip(clean(get("journal", "journaltitle", "booktitle", "publisher")), 300),
        url=get("url")[:2000],
        types=[t for name in ("keywords", "pubtype", "type") for t in re.split(r"[,;]", get(name))],
    )
    pmid = get("pmid") or (_PMID_NOTE_RE.search(get("note", "annote")) or [None, ""])[1]
    return _checked_ids(ref, get("doi"), pmid)


# -- RIS ---------------------------------------------------------------------------------------


def parse_ris(text: str) -> list[Reference]:
    """RIS records; a record without its closing `ER  -` is an error naming its line (rispy
    drops it silently), and the records before it are read."""
    refs, record, start = [], [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("TY  -"):
            if record:
                refs.append(_unclosed(start))
            record, start = [line], number
        elif record:
            record.append(line)
            if line.startswith("ER  -"):
                refs.append(_ris_record("\n".join(record) + "\n", start))
                record = []
    if record:
        refs.append(_unclosed(start))
    return refs


def _unclosed(start: int) -> Reference:
    return Reference(
        f"RIS record (line {start})",
        error=f"The RIS record starting on line {start} has no closing “ER  -” line.",
    )


def _ris_record(text: str, start: int) -> Reference:
    try:
        (record,) = rispy.loads(text)
    except (ValueError, KeyError, IndexError) as broken:
        return Reference(f"RIS record (line {start})", error=f"Unreadable RIS record: {broken}")

    def get(*names):
        return next((str(record[n]) for n in names if record.get(n)), "")

    authors = record.get("authors") or record.get("first_authors") or []
    # PubMed writes "PMID: 123" in C1, Zotero in the notes (its Extra field).
    notes = " ".join([*(record.get("notes") or []), *(get(f"custom{n}") for n in range(1, 9))])
    pmid = get("pubmed_id") or (_PMID_NOTE_RE.search(notes) or [None, ""])[1]
    if (
        not pmid
        and get("accession_number").isdigit()
        and "pubmed" in get("name_of_database", "database_provider").lower()
    ):
        pmid = get("accession_number")  # Zotero's and EndNote's PubMed records
    urls = record.get("urls") or []
    ref = Reference(
        f"RIS record (line {start})",
        title=_clip(get("title", "primary_title", "translated_title"), 500),
        authors=_authors(authors),
        year=_year(get("year", "publication_year", "date")),
        venue=_clip(
            get("secondary_title", "alternate_title3", "journal_name", "alternate_title2"), 300
        ),
        url=(urls[0] if urls else get("url"))[:2000],
        types=[get("type_of_work"), *(record.get("keywords") or [])],
    )
    return _checked_ids(ref, get("doi"), pmid)


# -- MEDLINE (PubMed's "Citation manager" export, .nbib) -------------------------------------


class MedlineParser(rispy.RisParser):
    """rispy's parser for PubMed's MEDLINE format: four-character tags ("PMID- ", "AU  - "),
    continuation lines indented by six spaces, a record per PMID."""

    START_TAG = "PMID"
    DEFAULT_MAPPING = {"PMID": "pmid", "TI": "title", "AU": "authors", "DP": "date",
                       "JT": "journal", "TA": "abbreviation", "AID": "article_ids",
                       "LID": "location_ids", "PT": "types", "UK": "unknown_tag"}  # fmt: skip
    DEFAULT_LIST_TAGS = ["AU", "AID", "LID", "PT"]
    DEFAULT_DELIMITER_MAPPING = {}
    DEFAULT_IGNORE = []

    def parse_line(self, line: str):
        if line[4:6] == "- " and line[:4].rstrip().isalpha() and line[:4].rstrip().isupper():
            return line[:4].rstrip(), line[6:].strip()
        return None, line.strip()


def parse_medline(text: str) -> list[Reference]:
    """MEDLINE records (separated by blank lines; the format has no end tag, so each gets
    rispy's "ER" here)."""
    refs = []
    starts = [m.start() for m in re.finditer(r"^PMID- ", text, re.MULTILINE)] + [len(text)]
    for start, end in itertools.pairwise(starts):
        line = text.count("\n", 0, start) + 1
        records = MedlineParser(skip_unknown_tags=True).parse(
            text[start:end].rstrip() + "\nER  - \n"
        )
        if len(records) != 1:
            refs.append(
                Reference(f"MEDLINE record (line {line})", error="Unreadable MEDLINE record.")
            )
            continue
        record = records[0]
        ids = [*(record.get("location_ids") or []), *(record.get("article_ids") or [])]
        doi = next((i.split(" [")[0] for i in ids if i.endswith("[doi]")), "")
        ref = Reference(
            f"MEDLINE record (line {line})",
            title=_clip(str(record.get("title", "")).rstrip("."), 500),
            authors=_authors(record.get("authors") or []),
            year=_year(record.get("date")),
            venue=_clip(record.get("journal") or record.get("abbreviation") or "", 300),
            types=list(record.get("types") or []),
        )
        refs.append(_checked_ids(ref, doi, str(record.get("pmid", ""))))
    return refs


# -- CSL-JSON ----------------------------------------------------------------------------------


def parse_csl_json(text: str) -> list[Reference]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as broken:
        return [Reference(f"JSON (line {broken.lineno})", error=f"Not valid JSON: {broken.msg}.")]
    items = data if isinstance(data, list) else [data]
    return [_csl_item(item, number) for number, item in enumerate(items, start=1)]


def _csl_item(item, number: int) -> Reference:
    label = f"CSL-JSON item {number}"
    if not isinstance(item, dict):
        return Reference(label, error="Not a CSL-JSON item (expected an object).")
    if item.get("id"):
        label += f" “{str(item['id'])[:60]}”"
    names = []
    for person in item.get("author") or []:
        if isinstance(person, dict):
            names.append(
                person.get("literal")
                or ", ".join(p for p in (person.get("family"), person.get("given")) if p)
            )
    issued = (item.get("issued") or {}) if isinstance(item.get("issued"), dict) else {}
    parts = issued.get("date-parts") or [[]]
    year = _year(parts[0][0] if parts and parts[0] else issued.get("raw"))
    ref = Reference(
        label,
        title=_clip(item.get("title", ""), 500),
        authors=_authors([str(n) for n in names]),
        year=year,
        venue=_clip(item.get("container-title", "") or item.get("publisher", ""), 300),
        url=str(item.get("URL", ""))[:2000],
        types=[str(item.get("genre", ""))]
        + [str(k) for k in (item.get("keyword") or "").split(",")],
    )
    return _checked_ids(ref, str(item.get("DOI", "")), str(item.get("PMID", "")))
