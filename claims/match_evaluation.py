"""Score the claim matching against hand-labelled pairs (fixtures/matching/pairs.json).

Every pair's existing claim is stored (in review, its subject suggested from its statement
as an import would), so each candidate meets all of them: its partner and the rest as
distractors. The top suggestion above the threshold counts: right when it is the partner of
a paraphrase, wrong otherwise (a near-miss should get none). Precision = right suggestions /
suggestions made; recall = paraphrases whose top suggestion is their partner / paraphrases.
Callers run it inside a transaction they roll back (the command does; tests do).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from .matching import suggest_for_statement
from .models import Source
from .scales import Status
from .services import create_claim
from .statements import suggest as suggest_statement


@dataclass(frozen=True)
class Pair:
    id: int
    split: str
    kind: str
    same: bool
    existing: str
    candidate: str


@dataclass
class MatchScore:
    pairs: int = 0
    paraphrases: int = 0
    suggested: int = 0  # pairs given a suggestion
    right: int = 0  # suggestions that are the paraphrase's partner
    wrong: list = field(default_factory=list)  # (pair, suggested statement, score)
    missed: list = field(default_factory=list)  # paraphrases without their partner on top

    @property
    def precision(self) -> float:
        return self.right / self.suggested if self.suggested else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.paraphrases if self.paraphrases else 1.0


def load_pairs(path: Path) -> list[Pair]:
    """The labelled pairs; raises ValueError naming the first malformed one."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    pairs = []
    for number, row in enumerate(rows, 1):
        try:
            pairs.append(Pair(**row))
        except TypeError as error:
            raise ValueError(f"{path}: pair {number}: {error}") from None
    return pairs


def store_existing(pairs: list[Pair]) -> dict[str, int]:
    """Store each distinct existing statement as a claim in review; {statement: claim id}."""
    statements = list(dict.fromkeys(pair.existing for pair in pairs))
    text = "\n".join(f"{statement}." for statement in statements)
    source = Source.objects.create(title="Matching evaluation", text=text)
    ids, offset = {}, 0
    for statement in statements:
        claim = create_claim(
            source=source,
            statement=statement,
            quote=statement,
            quote_start=offset,
            quote_end=offset + len(statement),
            subject=suggest_statement(statement, "")[0].subject,
            status=Status.IN_REVIEW,
        )
        ids[statement] = claim.pk
        offset += len(statement) + 2
    return ids


def evaluate_matching(pairs: list[Pair]) -> dict[str, MatchScore]:
    """Scores per split ("tuned", "held-out") and "overall"; stores the existing claims."""
    ids = store_existing(pairs)
    scores: dict[str, MatchScore] = {"overall": MatchScore()}
    for pair in pairs:
        matches = suggest_for_statement(pair.candidate, limit=1)
        top = matches[0] if matches else None
        for name in (pair.split, "overall"):
            score = scores.setdefault(name, MatchScore())
            score.pairs += 1
            score.paraphrases += pair.same
            if top is not None:
                score.suggested += 1
            if top is not None and pair.same and top.claim.pk == ids[pair.existing]:
                score.right += 1
            elif name != "overall":
                if top is not None:
                    score.wrong.append((pair, top.claim.statement, top.score))
                elif pair.same:
                    score.missed.append(pair)
    return scores
