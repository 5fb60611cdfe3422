"""Find candidate claims in a text: sentences that assert an effect, benefit, risk, mechanism
or prevalence.

A rule-based pass, deliberately general (health and wellness writing, not one article): a
sentence becomes a candidate when it contains a claim cue ("may help", "reduces", "side effects",
"is common", "interacts with", "is well tolerated"…) and is not a heading, a question, advice
to the reader or talk about the article itself. A reviewer accepts or rejects every candidate,
so the pass favours recall: a missed claim is worse than a candidate rejected in one click.
"""

import re
from collections import Counter
from dataclasses import dataclass

from .scales import ClaimType

MAX_STATEMENT_LENGTH = 300

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# whitespace, or at a line break (headings and list items have no final stop).
_SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|\n+")
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "prof", "approx", "fig", "al"}

_WORD = r"[A-Za-z’'-]+"

# Each cue family suggests a claim type. Order matters: the first family that matches decides.
_CUES: list[tuple[ClaimType, re.Pattern]] = [
    (
        ClaimType.SAFETY,
        re.compile(
            r"\b(side[- ]effects?|adverse|risks?|toxic\w*|harm\w*|dangerous|unsafe|safety|"
            r"well[- ]tolerated|tolerab\w+|dependen\w+|addictive|overdose|interactions?\b|"
            r"reactions?|poisoning|contaminat\w+|adulterat\w+|quality control|"
            r"standardi[sz]ed dos\w+|research is (?:still )?needed|long-term)",
            re.IGNORECASE,
        ),
    ),
    (
        ClaimType.PREVALENCE,
        re.compile(
            r"\b((?:is|are|was|were|be) (?:not |very |fairly |quite |relatively )?"
            r"(?:un)?common|(?:a|the) (?:most )?common|prevalen\w+|widespread|"
            r"affects? (?:up to |about |around |nearly |over )?\d|\d+(?:\.\d+)? ?(?:%|percent)|"
            r"(?:often|usually|typically|frequently|rarely) (?:a |an )?(?:\w+ ){0,2}"
            r"(?:symptom|sign|side|effect|cause|result|consequence|temporary)|"
            r"temporary symptom|one in (?:\w+))",
            re.IGNORECASE,
        ),
    ),
    (
        ClaimType.MECHANISM,
        re.compile(
            r"\b(mechanism|receptors?|(?:active|primary|main) (?:compound|ingredient|alkaloid)s?|"
            r"compounds?|alkaloids?|properties|responsible for|interacts? with|binds? to|"
            r"acts? on|hormones?|neurotransmitter\w*|metaboli\w+|enzymes?|inhibit\w*|"
            r"stimulat\w+|pathways?)",
            re.IGNORECASE,
        ),
    ),
    (
        ClaimType.EFFICACY,
        re.compile(
            r"\b((?:may|might|can|could|will|does|do|is shown to|has been shown to) "
            r"(?:also |even |greatly |significantly )?"
            r"(?:help|aid|ease|relieve|reduce|lower|improve|boost|enhance|support|promote|"
            r"prevent|treat|cure|heal|alleviate|facilitate|combat|fight|protect|restore|"
            r"provide|offer|contribute|increase|decrease|regrow|complement|strengthen)|"
            r"relie(?:f|ves?|ving)|alleviat\w+|reduc(?:es|ing|ed)|improv(?:es|ing|ed)|"
            r"eas(?:es|ing)|prevents?|treats?|cures?|heals?|boosts?|lowers?|"
            r"benefits?|beneficial|effective\w*|efficacy|remedy|remedies|therap\w+|"
            r"promising|helps?|helping|aids?|offers?|studies (?:show|suggest|found)|"
            r"research (?:shows|suggests|has shown|indicates)|evidence (?:shows|suggests))",
            re.IGNORECASE,
        ),
    ),
]
# Sentences about the text itself, instructions to the reader, or questions: not claims.
_NOT_A_CLAIM_RE = re.compile(
    r"^(this|the present|our) (article|post|guide|page|section|piece)\b|"
    r"\b(this|the) (article|post|guide|page) (delves|explores|covers|discusses|looks)\b|"
    r"^(click|subscribe|read more|learn more|see also|share|contact|sign up)\b|"
    r"\bshould (consult|talk|speak|ask|check with|seek)\b|"
    r"\b(it|we) (explores|delves into|covers|discusses|looks at|examines)\b|"
    r"\b(it’s|it's|it is|is|are) (crucial|important|essential|vital|wise|best|recommended)\b|"
    r"\binformed decisions?\b|"
    r"^(always|never|please|consult|talk to|speak to|ask)\b",
    re.IGNORECASE,
)
_STOPWORD_TEXT = """
a an and are as at be been being but by can could do does for from had has have how if in
into is it its it’s it's may might more most no not of on or our so some such than that
the their them then there these they this those to under up very was we were what when
where which while who will with would you your also often during after before many much
other over only both each any all however
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_OUTCOME_RE = re.compile(
    r"\b(?:help(?:s|ing)? (?:to )?|aids? (?:in )?|eas(?:e|es|ing)|relie(?:ve|ves|ving)|"
    r"reduc(?:e|es|ing)|lower(?:s|ing)?|improv(?:e|es|ing)|alleviat(?:e|es|ing)|"
    r"prevent(?:s|ing)?|treat(?:s|ing)?|combat(?:s|ing)?|boost(?:s|ing)?|"
    r"relief (?:from|of|for)|(?:contribute|lead)s? to|balance|manag(?:e|es|ing)|"
    r"side effects? (?:like|such as|including)|(?:risks?|effects?) of|symptom of|"
    r"interact(?:s|ing)? with)\s+(?P<outcome>[^,.;:—–()]{3,80})",
    re.IGNORECASE,
)
_OUTCOME_STOP_RE = re.compile(
    r"\s+(?:and|or|but|while|when|which|that|through|by|during|for|in|with|among|compared)\s.*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """A proposed claim: the exact quote with its offsets, and suggestions for a reviewer."""

    quote: str
    start: int
    end: int
    statement: str
    subject: str
    outcome: str
    claim_type: ClaimType


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line-fragment of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end() if not match.group().startswith("\n") else match.start()
        if match.group().startswith(".") and _ends_with_abbreviation(text, start, match.start()):
            continue
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, finish in spans:
        while begin < finish and text[begin].isspace():
            begin += 1
        while finish > begin and text[finish - 1].isspace():
            finish -= 1
        if finish > begin:
            trimmed.append((begin, finish))
    return trimmed


def _ends_with_abbreviation(text: str, start: int, stop: int) -> bool:
    words = text[start:stop].split()
    return bool(words) and words[-1].lower().rstrip(".") in _ABBREVIATIONS


def topic_of(text: str) -> str:
    """The text's main topic: its most frequent content word, preferring capitalised ones."""
    words = re.findall(_WORD, text)
    counts = Counter(w.lower() for w in words if w.lower() not in _STOPWORDS and len(w) > 3)
    capitalised = {w.lower() for w in words if w[0].isupper()}
    ranked = sorted(counts.items(), key=lambda kv: (-(kv[0] in capitalised) * kv[1], -kv[1]))
    return ranked[0][0] if ranked else ""


def normalise_statement(text: str) -> str:
    """One clean line: whitespace collapsed, outer quotes and the final stop dropped,
    first letter capitalised, cut at a word boundary to fit the statement field."""
    text = " ".join(text.split()).strip(" \"'“”‘’")
    text = text.rstrip(".;:, ")
    if len(text) > MAX_STATEMENT_LENGTH:
        text = text[: MAX_STATEMENT_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;: ") + "…"
    return text[:1].upper() + text[1:]


def _looks_like_heading(sentence: str) -> bool:
    return sentence[-1] not in ".!?\"'”’)" and len(sentence.split()) < 12


# "Given the lack of dosing standards, consult a doctor": the advice is not a claim, but the
# premise it rests on is.
_PREMISE_RE = re.compile(r"^(?:given|because|since|as) (?:that )?[^,;]{10,200}(?=,)", re.IGNORECASE)


def _outcome(sentence: str) -> str:
    match = _OUTCOME_RE.search(sentence)
    if not match:
        return ""
    outcome = _OUTCOME_STOP_RE.sub("", match.group("outcome")).strip(" -")
    outcome = re.sub(r"^(?:the|a|an|their|its|these|those|this)\s+", "", outcome, flags=re.I)
    words = outcome.split()
    return " ".join(words[:6]).lower()


def extract_candidates(text: str) -> list[Candidate]:
    """Propose candidate claims from `text`, in the order they appear.

    Every candidate's quote is exactly `text[start:end]`.
    """
    topic = topic_of(text)
    candidates = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if _looks_like_heading(sentence) or sentence.endswith("?") or len(sentence.split()) < 5:
            continue
        if _NOT_A_CLAIM_RE.search(sentence.lstrip("-•* ")):
            premise = _PREMISE_RE.match(sentence)
            if not premise:
                continue
            sentence, end = premise.group(), start + premise.end()
        claim_type = next((kind for kind, cue in _CUES if cue.search(sentence)), None)
        if claim_type is None:
            continue
        candidates.append(
            Candidate(
                quote=sentence,
                start=start,
                end=end,
                statement=normalise_statement(sentence),
                subject=topic,
                outcome=_outcome(sentence),
                claim_type=claim_type,
            )
        )
    return candidates
