"""Deterministic synthetic claims for benchmarks: `generate_claims --count N --seed S`.

The same seed and count always give the same rows. Sources are of kind `synthetic` and their
texts are built from sentences, so every claim's quote sits at its offsets in its source. Words
follow Zipf-like weights: the most frequent subject ("kratom") is in about 13 % of claims, the
most frequent condition ("hair loss") in about 6 %, and a long tail of attributed names gives
words that match a few dozen claims in a million.

PostgreSQL loads through COPY (psycopg 3) with the secondary indexes dropped and rebuilt in the
same transaction; the search-vector trigger of migration 0002 fires for every copied row. SQLite
loads with bulk_create, and its full-text index's triggers (migration 0012) fire for every row.
Both paths bypass Claim.save(), so each row carries its statement's sort key. No history rows
are written: this is not edited data.
"""

import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils.text import slugify

from bench.assessments import add_assessments
from bench.ids import advance_sequences, last_used_id
from bench.loaders import PostgresLoader, SqliteLoader, analyze
from bench.revisions import add_editorial_record
from bench.vocabulary import (
    DESIGNS,
    FILLER,
    POPULATIONS,
    PUBLISHERS,
    QUOTE_TEMPLATES,
    VENUES,
    VERBS,
    VOCABULARY,
)
from claims.models import (
    SLUG_MAX_LENGTH,
    Appearance,
    Citation,
    Claim,
    Evidence,
    Source,
)
from claims.scales import Grade, SourceKind, Stance, Status, Verdict
from claims.text import sort_key

SYNTHETIC_DOI_PREFIX = "10.5555/synth."
BATCH_SOURCES = 2_000
# One work cited by about this many claims from 108,000 claims up (one claim in eight below):
# ≈ 93 % of them have room for one more link and ≈ 85 % are published, so over 10,000
# published claims cite it, the benchmark's "citation page for a work cited by 10,000 claims".
LANDMARK_CLAIMS = 13_500
LANDMARK_DOI = f"{SYNTHETIC_DOI_PREFIX}1"
_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 6 * 365 * 24 * 3600

_STATUSES = ((Status.PUBLISHED, 85), (Status.CANDIDATE, 7), (Status.IN_REVIEW, 4), (Status.REJECTED, 4))  # fmt: skip
_GRADES = ((Grade.HIGH, 5), (Grade.MODERATE, 15), (Grade.LOW, 35), (Grade.VERY_LOW, 45))
_VERDICTS = (
    (Verdict.SUPPORTED, 12),
    (Verdict.PARTLY_SUPPORTED, 18),
    (Verdict.UNSUPPORTED, 30),
    (Verdict.MISLEADING, 20),
    (Verdict.CONTRADICTED, 20),
)
_STANCES = ((Stance.SUPPORTS, 40), (Stance.CONTRADICTS, 30), (Stance.MIXED, 15), (Stance.BACKGROUND, 15))  # fmt: skip
# 0..6 evidence links per claim, mean ≈ 3.
_LINK_COUNT_WEIGHTS = (6, 11, 20, 25, 20, 11, 7)

SOURCE_FIELDS = ("id", "created_at", "updated_at", "title", "kind", "url", "publisher", "author", "published_on", "text", "note")  # fmt: skip
CLAIM_FIELDS = (
    "id", "created_at", "updated_at", "source_id", "slug", "statement", "statement_sort_key",
    "quote", "quote_start", "quote_end", "subject", "outcome", "claim_type", "status", "grade",
    "verdict", "rationale", "reviewed_by_id", "reviewed_at", "version", "published_at",
)  # fmt: skip
CITATION_FIELDS = (
    "id", "created_at", "updated_at", "title", "authors", "year", "venue", "doi", "pmid", "url",
    "study_design", "design_note", "is_retracted",
)  # fmt: skip
APPEARANCE_FIELDS = ("id", "claim_id", "source_id", "quote", "quote_start", "quote_end", "found_at")  # fmt: skip
MODELS = {"source": Source, "claim": Claim, "citation": Citation, "evidence": Evidence,
          "appearance": Appearance}  # fmt: skip
# Copied claims: one claim in VIRAL_ONE_IN is copied by later texts; a text copies one to
# three of them with probability COPYING_SHARE, the older ones more often (they had time to
# spread), so a few claims are made in hundreds of texts and most in one.
VIRAL_ONE_IN = 50
COPYING_SHARE = 0.3
EVIDENCE_FIELDS = ("id", "created_at", "updated_at", "claim_id", "citation_id", "stance", "finding")  # fmt: skip


def _zipf_cum_weights(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def _cum(weighted) -> tuple[list, list[float]]:
    return [w[:-1] if len(w) > 2 else w[0] for w in weighted], list(
        itertools.accumulate(w[-1] for w in weighted)
    )


@dataclass
class Batch:
    sources: list[tuple] = field(default_factory=list)
    claims: list[tuple] = field(default_factory=list)
    evidence: list[tuple] = field(default_factory=list)
    appearances: list[tuple] = field(default_factory=list)


class Generator:
    """Draw sources, claims, citations and evidence links from one seeded random stream."""

    def __init__(self, *, count: int, seed: int, ids: dict[str, int]):
        self.count = count
        self.rng = random.Random(seed)  # nosec B311 # seeded data, not secrets
        self.ids = ids  # next free primary key per table
        self.citation_count = max(20, count // 8)
        self.landmark_step = max(8, count // LANDMARK_CLAIMS)
        v = VOCABULARY
        # s = 0.9 over 200 subjects puts the first at ≈ 13 %.
        self.subject_cw = _zipf_cum_weights(len(v.subjects), 0.9)
        self.outcome_cw = _zipf_cum_weights(len(v.outcomes), 0.8)
        self.name_cw = _zipf_cum_weights(len(v.names), 1.0)
        self.population_cw = _zipf_cum_weights(len(POPULATIONS), 1.2)
        self.verbs, self.verb_cw = _cum(VERBS)
        self.statuses, self.status_cw = _cum(_STATUSES)
        self.grades, self.grade_cw = _cum(_GRADES)
        self.verdicts, self.verdict_cw = _cum(_VERDICTS)
        self.stances, self.stance_cw = _cum(_STANCES)
        self.designs, self.design_cw = _cum(DESIGNS)
        self.link_cw = list(itertools.accumulate(_LINK_COUNT_WEIGHTS))
        self.viral: list[tuple[int, str, datetime]] = []  # (claim id, quote, created)

    def _pick(self, population, cum_weights):
        return self.rng.choices(population, cum_weights=cum_weights)[0]

    def citations(self) -> Iterator[tuple]:
        rng, v = self.rng, VOCABULARY
        first = self.ids["citation"]
        for n in range(self.citation_count):
            design, phrase = self._pick(self.designs, self.design_cw)
            subject = self._pick(v.subjects, self.subject_cw)
            outcome = self._pick(v.outcomes, self.outcome_cw)
            authors = ", ".join(
                f"{self._pick(v.names, self.name_cw)[3:]} {rng.choice('ABCDEFGHJKLMNPRST')}"
                for _ in range(rng.randint(1, 4))
            )
            created = _EPOCH + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
            yield (
                first + n, created, created,
                f"{phrase} of {subject} and {outcome} (synthetic {n + 1})",
                authors, rng.randint(1985, 2025), rng.choice(VENUES),
                f"{SYNTHETIC_DOI_PREFIX}{n + 1}", "", "", design, "", False,
            )  # fmt: skip

    def batches(self) -> Iterator[Batch]:
        made = 0
        batch = Batch()
        while made < self.count:
            size = min(self.rng.randint(5, 35), self.count - made)
            self._source(batch, made, size)
            made += size
            if len(batch.sources) >= BATCH_SOURCES:
                yield batch
                batch = Batch()
        if batch.sources:
            yield batch

    def _source(self, batch: Batch, made: int, size: int) -> None:
        rng, v = self.rng, VOCABULARY
        source_id = self.ids["source"]
        self.ids["source"] += 1
        parts: list[str] = []
        length = 0
        claims = []
        for k in range(size):
            ordinal = made + k + 1
            for _ in range(rng.randint(0, 2)):
                length = _append(parts, length, rng.choice(FILLER), rng)
            subject = self._pick(v.subjects, self.subject_cw)
            outcome = self._pick(v.outcomes, self.outcome_cw)
            verb, qverb, claim_type = self._pick(self.verbs, self.verb_cw)
            population = self._pick(POPULATIONS, self.population_cw)
            name = self._pick(v.names, self.name_cw)
            quote = rng.choice(QUOTE_TEMPLATES).format(
                subject=subject, qverb=qverb, outcome=outcome, population=population, name=name
            )
            quote = quote[0].upper() + quote[1:]
            length = _append(parts, length, quote, rng)
            start = length - len(quote)
            statement = f"{subject[0].upper()}{subject[1:]} {verb} {outcome}{population}"
            claims.append((ordinal, statement, quote, start, subject, outcome, claim_type))
        created = _EPOCH + timedelta(seconds=_SPAN_SECONDS * made // self.count)
        if self.viral and rng.random() < COPYING_SHARE:
            for _ in range(rng.randint(1, 3)):
                claim_id, quote, claim_created = self.viral[
                    int(len(self.viral) * rng.random() ** 3)
                ]
                length = _append(parts, length, quote, rng)
                batch.appearances.append(
                    (self.ids["appearance"], claim_id, source_id, quote, length - len(quote),
                     length, max(created, claim_created + timedelta(seconds=1)))
                )  # fmt: skip
                self.ids["appearance"] += 1
        text = "".join(parts)
        subject = claims[0][4]
        batch.sources.append(
            (
                source_id, created, created,
                f"{subject[0].upper()}{subject[1:]}: what the buzz is about (synthetic {source_id})",
                SourceKind.SYNTHETIC, f"https://synthetic.example/articles/{source_id}",
                rng.choice(PUBLISHERS), self._pick(v.names, self.name_cw)[3:],
                date(2019, 1, 1) + timedelta(days=rng.randrange(6 * 365)),
                text, "Generated benchmark data (generate_claims); not a real article.",
            )
        )  # fmt: skip
        for ordinal, statement, quote, start, subject, outcome, claim_type in claims:
            self._claim(batch, source_id, ordinal, statement, quote, start, subject, outcome,
                        claim_type)  # fmt: skip

    def _claim(self, batch, source_id, ordinal, statement, quote, start, subject, outcome,
               claim_type):  # fmt: skip
        rng = self.rng
        claim_id = self.ids["claim"]
        self.ids["claim"] += 1
        # Newest claims get the highest ids, with a little jitter so order ≠ id order.
        created = _EPOCH + timedelta(
            seconds=_SPAN_SECONDS * ordinal // self.count + rng.randrange(600)
        )
        status = self._pick(self.statuses, self.status_cw)
        grade, verdict, rationale, reviewed_at = Grade.UNGRADED, Verdict.UNRATED, "", None
        if status == Status.PUBLISHED or (status == Status.IN_REVIEW and rng.random() < 0.5):
            grade = self._pick(self.grades, self.grade_cw)
            verdict = self._pick(self.verdicts, self.verdict_cw)
            rationale = (
                f"The cited studies of {subject} and {outcome} were weighed: the claim is "
                f"{Verdict(verdict).label.lower()}, with {Grade(grade).label.lower()} certainty "
                "(synthetic rationale)."
            )
            reviewed_at = created + timedelta(days=rng.randint(1, 60))
        slug_base = slugify(statement)[: SLUG_MAX_LENGTH - 10].strip("-")
        batch.claims.append(
            (
                claim_id, created, created, source_id, f"{slug_base}-s{ordinal}", statement,
                sort_key(statement), quote, start, start + len(quote), subject, outcome,
                claim_type, status, grade, verdict, rationale, None, reviewed_at, 1,
                reviewed_at if status == Status.PUBLISHED else None,
            )
        )  # fmt: skip
        # Its quote is its first appearance.
        batch.appearances.append(
            (self.ids["appearance"], claim_id, source_id, quote, start, start + len(quote), created)
        )
        self.ids["appearance"] += 1
        if ordinal % VIRAL_ONE_IN == 0:
            self.viral.append((claim_id, quote, created))
        links = rng.choices(range(7), cum_weights=self.link_cw)[0]
        chosen: set[int] = set()
        while len(chosen) < links:
            chosen.add(rng.randrange(self.citation_count))
        if ordinal % self.landmark_step == 0 and len(chosen) < len(_LINK_COUNT_WEIGHTS) - 1:
            # The landmark work (the first citation, LANDMARK_DOI), for the citation page's
            # measurement: added without a draw, so the rest of the data is as before.
            chosen.add(0)
        first_citation = self.ids["citation"]
        for offset in sorted(chosen):
            stance = self._pick(self.stances, self.stance_cw)
            batch.evidence.append(
                (
                    self.ids["evidence"], created, created, claim_id, first_citation + offset,
                    stance, f"Reported findings on {outcome} ({stance}).",
                )
            )  # fmt: skip
            self.ids["evidence"] += 1


def _append(parts: list[str], length: int, sentence: str, rng: random.Random) -> int:
    if parts:
        sep = "\n\n" if rng.random() < 0.2 else " "
        parts.append(sep)
        length += len(sep)
    parts.append(sentence)
    return length + len(sentence)


@dataclass
class GenerationReport:
    sources: int = 0
    claims: int = 0
    citations: int = 0
    evidence: int = 0
    appearances: int = 0
    assessments: int = 0
    public_changes: int = 0  # corrections and updates in the claims' public logs
    revisions: int = 0  # pending an editor
    deleted_claims: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def non_synthetic_claims() -> int:
    return Claim.objects.exclude(source__kind=SourceKind.SYNTHETIC).count()


def synthetic_claims() -> int:
    return Claim.objects.filter(source__kind=SourceKind.SYNTHETIC).count()


def generate_claims(
    *, count: int, seed: int = 1, force: bool = False, log: Callable[[str], None] = lambda _: None
) -> GenerationReport:
    """Replace the synthetic data set with `count` generated claims.

    Refuses (ValueError) when the database holds non-synthetic claims, unless `force`: then
    real rows are kept and only synthetic rows are replaced.
    """
    if count < 1:
        raise ValueError("--count must be at least 1.")
    if (real := non_synthetic_claims()) and not force:
        raise ValueError(
            f"This database holds {real} non-synthetic claim(s). Generated data would mix with "
            "them: use an empty database, or pass --force to add synthetic data anyway."
        )
    report = GenerationReport()
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        report.deleted_claims = _delete_synthetic(postgres)
        report.timings["delete"] = time.perf_counter() - started
        ids = {name: last_used_id(model) + 1 for name, model in MODELS.items()}
        generator = Generator(count=count, seed=seed, ids=ids)
        loader = PostgresLoader() if postgres else SqliteLoader()
        with loader:
            mark = time.perf_counter()
            report.citations = loader.load(Citation, CITATION_FIELDS, generator.citations())
            for batch in generator.batches():
                report.sources += loader.load(Source, SOURCE_FIELDS, batch.sources)
                report.claims += loader.load(Claim, CLAIM_FIELDS, batch.claims)
                report.appearances += loader.load(Appearance, APPEARANCE_FIELDS, batch.appearances)
                report.evidence += loader.load(Evidence, EVIDENCE_FIELDS, batch.evidence)
                elapsed = time.perf_counter() - mark
                log(
                    f"  {report.claims:,}/{count:,} claims, {report.evidence:,} evidence links "
                    f"({elapsed:.1f} s, {report.claims / elapsed:,.0f} claims/s)"
                )
            report.timings["load"] = time.perf_counter() - mark
            mark = time.perf_counter()
        report.assessments = add_assessments()
        report.timings["indexes"] = time.perf_counter() - mark
        mark = time.perf_counter()
        report.public_changes, report.revisions = add_editorial_record()
        report.timings["editorial record"] = time.perf_counter() - mark
        advance_sequences({model: ids[name] - 1 for name, model in MODELS.items()})
    if postgres:
        mark = time.perf_counter()
        analyze()
        report.timings["analyze"] = time.perf_counter() - mark
    report.timings["total"] = time.perf_counter() - started
    return report


def _dependants(model) -> list:
    """Tables whose rows point at `model` (the claim's evidence, grade, revisions, reports...).

    Read from the models so that a table added later goes with the synthetic rows too.
    """
    return [
        (rel.related_model._meta.db_table, rel.field.column)
        for rel in model._meta.related_objects
        if not rel.many_to_many and rel.related_model is not Claim
    ]


def _delete_synthetic(postgres: bool) -> int:
    """Remove earlier synthetic rows (raw SQL: the ORM would load and history-log each row)."""
    claim, source = Claim._meta.db_table, Source._meta.db_table
    evidence, citation = Evidence._meta.db_table, Citation._meta.db_table
    claim_rows, citation_rows = _dependants(Claim), _dependants(Citation)
    doi_like = SYNTHETIC_DOI_PREFIX + "%"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {claim} c JOIN {source} s ON s.id = c.source_id "
            "WHERE s.kind = %s",  # nosec B608 # model names; values bound
            [SourceKind.SYNTHETIC],
        )
        (deleted,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {source} WHERE kind <> %s", [SourceKind.SYNTHETIC])  # nosec B608 # model names; values bound
        (real_sources,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {citation} WHERE doi NOT LIKE %s", [doi_like])  # nosec B608 # model names; values bound
        (real_citations,) = cursor.fetchone()
        if postgres and not real_sources and not real_citations:
            # Nothing but synthetic rows: TRUNCATE is instant where DELETE takes minutes at 1M.
            tables = dict.fromkeys(
                [t for t, _ in claim_rows + citation_rows] + [claim, source, citation]
            )
            # Checks deferred by earlier writes in this transaction must run before TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return deleted
        synthetic = (
            f"SELECT c.id FROM {claim} c JOIN {source} s ON s.id = c.source_id WHERE s.kind = %s"  # noqa: E501 (one SQL clause)  # nosec B608 # model names; values bound
        )
        kind = [SourceKind.SYNTHETIC]
        for table, column in claim_rows:
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({synthetic})", kind)  # nosec B608 # model names; values bound
        cursor.execute(f"DELETE FROM {claim} WHERE id IN ({synthetic})", kind)  # nosec B608 # model names; values bound
        cursor.execute(f"DELETE FROM {source} WHERE kind = %s", kind)  # nosec B608 # model names; values bound
        unused = (
            f"SELECT id FROM {citation} WHERE doi LIKE %s AND NOT EXISTS "
            f"(SELECT 1 FROM {evidence} e WHERE e.citation_id = {citation}.id)"  # nosec B608 # model names; values bound
        )
        for table, column in citation_rows:
            if table != evidence:
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({unused})", [doi_like])  # nosec B608 # model names; values bound
        cursor.execute(f"DELETE FROM {citation} WHERE id IN ({unused})", [doi_like])  # nosec B608 # model names; values bound
    return deleted
