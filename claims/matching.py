"""Same claim, another text: existing claims a candidate may repeat, scored for a reviewer.

Two steps. The database fetches a small pool of claims whose statements look alike:
PostgreSQL by full-text search (the GIN index of `search_vector`, a few bounded queries),
SQLite by its FTS5 index (any of the statement's words, best bm25 first); pg_trgm was
measured and not taken (docs/matching.md). Then one scoring in
Python, the same on both, reads each statement as subject, effect verb and outcome, with
synonyms folded ("eases" is "relieves"), and gives a score from 0 to 1: word overlap of the
whole statement and of its outcome. A different subject, an opposite direction ("causes hair
loss" against "aids hair regrowth") or a negation on one side only rule the pair out. Below
THRESHOLD nothing is suggested. Measured on fixtures/matching/pairs.json (docs/matching.md).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.postgres.search import SearchQuery
from django.db import connection

from . import fts
from .models import Claim
from .scales import Status
from .search import STOP_WORDS as FTS_STOP_WORDS
from .statements import suggest as suggest_statement

# What a candidate is compared with: claims a reviewer has accepted or still has to triage.
# Rejected ones are not checkable claims; merged ones live on in the claim they went into.
MATCH_STATUSES = (Status.PUBLISHED, Status.IN_REVIEW, Status.CANDIDATE)
THRESHOLD = 0.7  # tuned on the tuned half of the labelled pairs
POOL = 30  # claims the database proposes for scoring
FIELDS = ("id", "slug", "statement", "subject", "status", "appearance_count", "merged_into")

_WORD_RE = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    """A crude English stem: enough to fold "reduces", "reduced" and "reducing" together."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "eed")):
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""),
                                ("es", ""), ("s", ""), ("ly", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


# Canonical word: its synonyms. The verb groups carry the direction (_RELATIVE, _ABSOLUTE).
_SYNONYMS = {
    "up": """increase boost raise enhance elevate stimulate promote aid encourage speed
        accelerate extend lengthen improve strengthen stronger support better sharpen build
        rebuild restore energize energise fuel hydrate moisturise moisturize""",
    "down": """reduce lower decrease cut ease relieve alleviate soothe lessen diminish shrink
        slow fight combat curb calm tame suppress shorten block""",
    "prevent": "prevent protect ward stop avoid",
    "cure": "cure heal treat reverse eliminate banish eradicate fix",
    "harm": "worsen aggravate harm damage impair hurt weaken ruin",
    "cause": "cause trigger induce provoke lead produce result",
    "kill": "kill destroy",
    "remove": "remove detox detoxify flush cleanse purge clear draw",
    "contain": "contain",
    "safe": "safe harmless nontoxic",
    "unsafe": "unsafe dangerous toxic harmful risky",
    "regrow": "regrow regrowth grow growth",
    "injection": "injection shot jab",
    "immune": "immune immunity",
    "diabetes": "diabetes diabetic",
    "smoke": "smoke smoker smoking",
    "wrinkle": "wrinkle line",
    "anxiety": "anxiety anxious",
    "fatigue": "fatigue tired tiredness exhaustion",
}
_CANONICAL = {
    _stem(word): _stem(canonical)
    for canonical, words in _SYNONYMS.items()
    for word in words.split()
}


_GROUP_WORDS = {_stem(canonical): words.split() for canonical, words in _SYNONYMS.items()}


def _canon(word: str) -> str:
    stem = _stem(word)
    return _CANONICAL.get(stem, stem)


def _word_set(words: str) -> frozenset:
    return frozenset(words.split())


def _canon_set(words: str) -> frozenset:
    return frozenset(_canon(word) for word in words.split())


# A verb's effect on its outcome, multiplied by the outcome's sign ("reduces pain" is good,
# "causes pain" bad); the absolute ones are good or bad whatever follows.
_RELATIVE = {_canon(w): sign for w, sign in (("up", 1), ("down", -1), ("cause", 1),
                                             ("kill", -1), ("remove", -1))}  # fmt: skip
_ABSOLUTE = {_canon(w): sign for w, sign in (("prevent", 1), ("cure", 1), ("harm", -1),
                                             ("safe", 1), ("unsafe", -1))}  # fmt: skip
VERBS = frozenset(_RELATIVE) | frozenset(_ABSOLUTE) | {_canon("contain")}
_SAFETY = _canon_set("safe unsafe")  # verbs that are also the outcome ("is safe")
# Outcomes that are bad to have: lowering them is good.
_BAD = _canon_set(
    """loss pain ache disease cancer risk symptom inflammation anxiety stress depression
    insomnia fatigue cramp bloating constipation nausea sickness wrinkle acne scar decay
    cavity infection uti virus bacteria toxin cold flu diabetes withdrawal sunburn drowsiness
    ulcer damage deficiency craving hangover dandruff eczema psoriasis arthritis gout migraine
    headache allergy asthma dementia stroke obesity diarrhoea heartburn indigestion snoring
    tinnitus sore"""
)
_STOP = _word_set(
    """a an the and of to in on for with from by at as is are was were be been being it its
    this that these those your you my our their his her has have had do does did will would
    can could may might must should also even really actually very just up into out about
    one more most much many some any such than then there level levels amount amounts daily
    visibly significantly dramatically naturally quickly deeply truly"""
)
_NEGATIONS = _word_set(
    "not no never nothing cannot cant dont doesnt isnt arent wont neither nor fails fail"
)
# Words that say how a subject is taken, not what it is ("drinking green tea extract daily").
_SUBJECT_FILLER = _canon_set(
    """take taking drink drinking eat eating use using practising practicing regular brush
    brushing supplement supplementation extract capsule pill tablet powder syrup juice gel
    root mushroom spoonful product formula pure organic natural"""
)
# Where the outcome stops: what follows is about whom, when or how.
_OUTCOME_END = _word_set(
    """after before during in among for when while by with within without because through
    and or but so as"""
)


@dataclass(frozen=True)
class Match:
    """An existing claim a candidate may repeat: `score` 0–1, `reason` for the reviewer."""

    claim: Claim
    score: float
    reason: str


@dataclass(frozen=True)
class Reading:
    """A statement read for matching: its canonical words, its subject's, its outcome's,
    its effect verbs, and the direction of each effect (+1 good, -1 bad) where it can tell."""

    words: frozenset
    subject: frozenset
    outcome: frozenset
    verbs: frozenset
    directions: frozenset  # of each effect it states ("blocks DHT and stops hair loss": two)
    negated: bool


def suggest_matches(claim: Claim, limit: int = 5) -> list[Match]:
    """Existing claims that `claim` (a candidate or claim in review) may repeat, best first.

    Never the claim itself, a claim it was merged into, a merged or rejected claim. One
    query. A merged claim gets none: its appearances already belong to another claim.
    """
    if claim.status == Status.MERGED:
        return []
    exclude = {pk for pk in (claim.pk, claim.merged_into_id) if pk is not None}
    return suggest_for_statement(claim.statement, claim.subject, exclude=exclude, limit=limit)


def suggest_for_statement(
    statement: str, subject: str = "", *, exclude=(), limit: int = 5
) -> list[Match]:
    """Existing claims that say what `statement` says (about `subject`, derived from the
    statement when blank), best first, at most `limit`, none scoring under THRESHOLD."""
    wanted = read(statement, subject)
    matches = []
    for other in candidate_pool(statement, subject, exclude=exclude):
        score, reason = compare(wanted, read(other.statement, other.subject))
        if score >= THRESHOLD:
            matches.append(Match(claim=other, score=score, reason=reason))
    matches.sort(key=lambda m: (-m.score, _status_rank(m.claim.status), m.claim.pk))
    return matches[:limit]


def _status_rank(status: str) -> int:
    return MATCH_STATUSES.index(status) if status in MATCH_STATUSES else len(MATCH_STATUSES)


def candidate_pool(statement: str, subject: str = "", *, exclude=(), size: int = POOL):
    """The claims the database finds most like `statement`, at most 2 × `size`, one query.

    PostgreSQL: the GIN index of `search_vector` (migration 0002), twice: claims with every
    word of the statement (each verb and synonym standing for its group), then claims with
    the subject's words and any outcome word; each part stops after `size` rows, so a
    common subject ("kratom" in 13 % of claims) costs no more than a rare one. SQLite: any
    of the statement's words in the FTS5 index, best bm25 first.
    """
    statement = " ".join(statement.split())
    claims = Claim.objects.filter(status__in=MATCH_STATUSES).exclude(pk__in=list(exclude))
    claims = claims.only(*FIELDS).order_by()
    if connection.vendor == "postgresql":
        queries = [q for q in dict.fromkeys(pg_queries(statement, subject)) if q]
        if not queries:
            return []
        parts = [claims.filter(search_vector=_raw_query(q))[:size] for q in queries]
        found = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        return list({claim.pk: claim for claim in found}.values())
    words = [w for w in _WORD_RE.findall(statement.lower()) if w not in FTS_STOP_WORDS]
    if not words:
        return []
    expression = " OR ".join(f'"{word}"' for word in dict.fromkeys(words))
    return list(fts.ranked(claims, expression).order_by("-rank", "pk")[:size])


def _raw_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="raw", config="english")


def pg_queries(statement: str, subject: str = "") -> tuple[str, str, str]:
    """Three to_tsquery expressions for `statement`: all its words (synonyms as
    alternatives); its words up to the end of its first clause ("… in teenagers" left
    out); its subject's words with any other word that is not a verb. Made only of [a-z0-9]
    words and & | ( ): nothing of the statement is query syntax."""
    raw = _WORD_RE.findall(_without_apostrophes(statement.lower()))
    reading = read(statement, subject)
    groups, others, core = [], [], None
    for word, original in _canonical_tokens(raw):
        if not word and groups and core is None:
            core = list(groups)
        if not word or not original.isascii() or original in FTS_STOP_WORDS:
            continue
        alternatives = sorted({original, *(w for w in _GROUP_WORDS.get(word, ()) if w.isascii())})
        groups.append("(" + " | ".join(alternatives) + ")")
        if word not in reading.subject and word not in VERBS and core is None:
            others.append(groups[-1])  # the first clause's: "… in older adults" is too common
    strict = " & ".join(dict.fromkeys(groups))
    clause = " & ".join(dict.fromkeys(core or []))
    subject_words = [w for w in raw if _canon(w) in reading.subject and w.isascii()]
    if not subject_words or not others:
        return strict, clause, ""
    relaxed = " & ".join(dict.fromkeys(subject_words)) + " & (" + " | ".join(others) + ")"
    return strict, clause, relaxed


def compare(a: Reading, b: Reading) -> tuple[float, str]:
    """How surely two readings make the same claim (0–1), and why, in a few words."""
    if not (a.subject <= b.words or b.subject <= a.words):
        return 0.0, "different subject"
    if a.negated != b.negated:
        return 0.0, "one of them is negated"
    if a.directions and b.directions and not a.directions & b.directions:
        return 0.0, "opposite direction"
    overlap = _dice(a.words, b.words)
    outcome = _dice(a.outcome, b.outcome) if a.outcome or b.outcome else overlap
    score = (overlap + outcome) / 2
    if a.verbs and b.verbs and not a.verbs & b.verbs:
        score *= 0.8
        reason = "same subject and outcome, another verb"
    elif outcome == 1 and overlap == 1:
        reason = "same subject, effect and outcome"
    else:
        reason = "same subject and effect, outcome worded differently"
    return round(score, 3), reason


def _dice(a: frozenset, b: frozenset) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


@lru_cache(maxsize=4096)
def read(statement: str, subject: str = "") -> Reading:
    """Read a statement for matching (cached: the same claims are read for every candidate)."""
    raw = _WORD_RE.findall(_without_apostrophes(statement.lower()))
    negated = sum(word in _NEGATIONS for word in raw) % 2 == 1
    tokens = _canonical_tokens(raw)  # "" marks where an outcome ends ("after", "by", …)
    verb_at = [i for i, (word, _) in enumerate(tokens) if word in VERBS]
    # The effects it states: each verb not itself the object of the one before ("speeds up
    # healing" is one effect).
    heads = [i for i in verb_at if i - 1 not in verb_at]
    subject_words = _subject_words(subject)
    if heads and tokens[heads[0] + 1 : heads[0] + 2] == [("", "by")]:
        # "Back pain is relieved by acupuncture": the outcome comes first, the subject last.
        outcome = [word for word, _ in tokens[: heads[0]] if word]
        if not subject:
            subject_words = frozenset(_until_boundary(tokens[heads[0] + 2 :])) - _SUBJECT_FILLER
        directions = {_direction(tokens[heads[0]][0], outcome, None)}
    else:
        if not subject and statement.strip():
            subject_words = _subject_words(suggest_statement(statement, "")[0].subject)
        outcome = [word for i in heads for word in _until_boundary(tokens[i + 1 :])]
        directions = {_direction_at(tokens, i) for i in heads}
    words = frozenset(word for word, _ in tokens if word) - _SUBJECT_FILLER
    outcome_words = frozenset(w for w in outcome if w not in VERBS or w in _SAFETY)
    outcome_words -= subject_words | _SUBJECT_FILLER
    if not outcome_words:  # "makes nails stronger": the verb came last
        outcome_words = frozenset(w for w in words - subject_words if w not in VERBS)
    flip = -1 if negated else 1
    return Reading(
        words=words,
        subject=subject_words,
        outcome=outcome_words,
        verbs=frozenset(tokens[i][0] for i in heads),
        directions=frozenset(d * flip for d in directions if d is not None),
        negated=negated,
    )


def _direction_at(tokens: list[tuple[str, str]], at: int) -> int | None:
    """The direction of the effect whose verb is at `at`: "speeds up healing" is good
    (up × heal), "causes hair loss" bad (cause × a bad outcome)."""
    rest = _until_boundary(tokens[at + 1 :])
    inner = _direction_at(tokens, at + 1) if rest and rest[0] in VERBS else None
    return _direction(tokens[at][0], rest, inner)


def _subject_words(subject: str) -> frozenset:
    raw = _WORD_RE.findall(_without_apostrophes(subject.lower()))
    return frozenset(word for word, _ in _canonical_tokens(raw) if word) - _SUBJECT_FILLER


def _until_boundary(tokens: list[tuple[str, str]]) -> list[str]:
    words = []
    for word, _ in tokens:
        if not word:
            break
        words.append(word)
    return words


def _without_apostrophes(text: str) -> str:
    """ "doesn't" is one word, "doesnt"; "lion's mane" is "lions mane"."""
    return text.replace("’", "").replace("'", "")


def _direction(verb: str, outcome: list[str], inner: int | None) -> int | None:
    if verb in _ABSOLUTE:
        return _ABSOLUTE[verb]
    if verb not in _RELATIVE:
        return None
    if inner is not None:
        return _RELATIVE[verb] * inner
    return _RELATIVE[verb] * (-1 if any(w in _BAD for w in outcome) else 1)


def _canonical_tokens(raw: list[str]) -> list[tuple[str, str]]:
    """(canonical word, original word) for each content word, ("", word) where an outcome
    ends; stop words, negations and a "help" before another verb dropped ("helps reduce" is
    "reduces")."""
    tokens = []
    for index, word in enumerate(raw):
        if word in _OUTCOME_END:
            tokens.append(("", word))
            continue
        if word in _STOP or word in _NEGATIONS:
            continue
        if word in {"help", "helps", "helping", "helped"}:
            following = [_canon(w) for w in raw[index + 1 : index + 3]]
            if any(f in VERBS for f in following):
                continue
            tokens.append(("up", word))
            continue
        tokens.append((_canon(word), word))
    return tokens
