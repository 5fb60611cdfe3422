"""Score the claim extraction against a hand-labelled corpus (fixtures/extraction/).

Each corpus file holds one text, one labelled sentence a line (format in the corpus README).
A labelled claim counts as found when a candidate's quote overlaps it; a candidate counts as
relevant when it overlaps a labelled claim; its claim type is right when the candidate that
overlaps the claim most has the labelled type.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .extraction import Candidate, extract_candidates
from .scales import ClaimType

NOT_A_CLAIM = "-"
_LABEL_RE = re.compile(r"^\[(?P<label>[a-z-]+)\] (?P<sentence>.+)$")
_META_RE = re.compile(r"^# (?P<key>[a-z-]+): (?P<value>.*)$")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    label: str  # a ClaimType value, or NOT_A_CLAIM


@dataclass
class LabelledText:
    name: str
    meta: dict
    text: str
    units: list[Unit]

    @property
    def split(self) -> str:
        return self.meta.get("split", "")

    @property
    def claims(self) -> list[Unit]:
        return [u for u in self.units if u.label != NOT_A_CLAIM]


def parse_labelled(name: str, content: str) -> LabelledText:
    """Rebuild a corpus file's text (a line's sentences joined by spaces, paragraphs by line
    breaks) and where each labelled sentence sits in it."""
    meta, paragraphs, current = {}, [], []
    for number, line in enumerate(content.splitlines(), 1):
        line = line.strip()
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        if (found := _META_RE.match(line)) and not paragraphs and not current:
            meta[found["key"]] = found["value"].strip()
            continue
        labelled = _LABEL_RE.match(line)
        if not labelled or labelled["label"] not in {*ClaimType.values, NOT_A_CLAIM}:
            raise ValueError(f"{name}:{number}: expected “[label] sentence”, got {line!r}")
        current.append((labelled["label"], labelled["sentence"]))
    if current:
        paragraphs.append(current)
    parts, units, offset = [], [], 0
    for index, paragraph in enumerate(paragraphs):
        if index:
            parts.append("\n")
            offset += 1
        for position, (label, sentence) in enumerate(paragraph):
            if position:
                parts.append(" ")
                offset += 1
            units.append(Unit(offset, offset + len(sentence), label))
            parts.append(sentence)
            offset += len(sentence)
    return LabelledText(name=name, meta=meta, text="".join(parts), units=units)


def load_corpus(directory: Path) -> list[LabelledText]:
    return [
        parse_labelled(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    ]


@dataclass
class Score:
    claims: int = 0  # labelled claims
    found: int = 0  # labelled claims some candidate overlaps
    candidates: int = 0
    relevant: int = 0  # candidates that overlap a labelled claim
    typed_right: int = 0  # found claims whose best candidate has the labelled type
    missed: list = field(default_factory=list)
    spurious: list = field(default_factory=list)
    mistyped: list = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name in ("claims", "found", "candidates", "relevant", "typed_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.found / self.claims if self.claims else 1.0

    @property
    def precision(self) -> float:
        return self.relevant / self.candidates if self.candidates else 1.0

    @property
    def type_accuracy(self) -> float:
        return self.typed_right / self.found if self.found else 1.0


def _overlap(a: Unit | Candidate, b: Unit | Candidate) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def score_text(labelled: LabelledText, candidates: list[Candidate]) -> Score:
    score = Score(claims=len(labelled.claims), candidates=len(candidates))
    text = labelled.text
    for unit in labelled.claims:
        touching = [c for c in candidates if _overlap(unit, c)]
        if not touching:
            score.missed.append(text[unit.start : unit.end])
            continue
        score.found += 1
        best = max(touching, key=lambda c: _overlap(unit, c))
        if best.claim_type == unit.label:
            score.typed_right += 1
        else:
            score.mistyped.append((unit.label, best.claim_type, best.quote))
    for candidate in candidates:
        if any(_overlap(unit, candidate) for unit in labelled.claims):
            score.relevant += 1
        else:
            score.spurious.append(candidate.quote)
    return score


def evaluate(corpus: list[LabelledText]) -> dict[str, dict[str, Score]]:
    """Scores per split ("tuned", "held-out"), per text and under "overall"."""
    results: dict[str, dict[str, Score]] = {}
    for labelled in corpus:
        scores = results.setdefault(labelled.split, {"overall": Score()})
        score = score_text(labelled, extract_candidates(labelled.text))
        scores[labelled.name] = score
        scores["overall"].add(score)
    return results
