"""Find candidate claims in a text, the way a fact-checker reads health marketing.

Nearly every declarative sentence in health and wellness marketing asserts something
checkable about a substance, a product, a body or a population: an effect, a safety
statement, a number, a comparison, an endorsement. So every sentence is a candidate unless it
is recognisably not a claim: a heading that asserts nothing, a question, an instruction to the
reader, talk about the text itself, a call to action, or a line without a verb. Hedges ("may",
"could") do not filter: they are kept as data (`hedged`). Candidates carry a suggested claim
type, subject, outcome, a statement without the marketing framing, and a check-worthiness
score (an effect, a safety statement or a number above a vague line) the queue sorts by.

No lexicon of one article: the word lists below are general English (auxiliaries, imperative
verbs, calls to action) or general to health claims (effect verbs, safety words).
"""

import re
from collections import Counter
from dataclasses import dataclass

from . import statements
from .scales import ClaimType
from .sentences import sentence_spans, strip_marker

MAX_STATEMENT_LENGTH = statements.MAX_STATEMENT_LENGTH
normalise_statement = statements.normalise_statement
# Longer "sentences" are text without sentence structure (a table flattened, a run of
# abbreviations): not proposed, and never run through the suggestion rules whole.
MAX_QUOTE_LENGTH = 1000

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z’'-]*")
_NAME_RE = re.compile(r"(?<=[a-z,;] )[A-Z][A-Za-z’'-]*")

# A finite verb: an auxiliary or modal, or a word form of a common verb of effect or being.
_AUXILIARY_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|am|has|have|had|do|does|did|can|cannot|could|may|"
    r"might|must|shall|should|will|would|isn’t|isn't|aren’t|aren't|won’t|won't|doesn’t|"
    r"doesn't|don’t|don't|can’t|can't|it’s|it's|that’s|that's|there’s|there's)\b",
    re.IGNORECASE,
)
_EFFECT_VERB_RE = statements.EFFECT_FORM_RE
_THIRD_PERSON_RE = re.compile(rf"^(?:{statements.EFFECT_STEMS})(?:e?s|ies)$", re.IGNORECASE)

# An instruction to the reader: a sentence opening with a verb in the imperative.
_IMPERATIVE_RE = re.compile(
    r"^(?:please\s+)?(?:take|give|use|place|shake|start|begin|order|talk|speak|send|keep|"
    r"check|try|add|buy|click|subscribe|read|learn|see|join|get|ask|consult|wear|avoid|"
    r"drink|eat|let|remember|discover|find|follow|sign|shop|grab|claim|book|call|contact|"
    r"store|apply|mix|stir|swallow|hold|repeat|stop|don[’']t|do not|never|always|make sure|"
    r"be sure|visit|download|watch|share|tell|imagine|think|consider|note|pick|choose|"
    r"sprinkle|rub|massage|combine|aim|go|head|scroll|enter|save|hurry|act|reserve|pre-order)"
    r"\b",
    re.IGNORECASE,
)
# Talk about the text itself, its author and its readers, and calls to action.
_META_RE = re.compile(
    r"\b(?:this|the|our|my|next) (?:article|post|guide|page|section|piece|issue|video|"
    r"newsletter|blog|thread|review|list)\b|\btable of contents\b|\bread on\b|"
    r"\bkeep reading\b|^here (?:are|is|'s|’s)\b|\b(?:min|minute) read\b|^(?:written|posted|"
    r"reviewed|updated) (?:by|on)\b|^by (?:our|the) \w+ (?:reporter|editor|team|writer)|"
    r"^by (?-i:[A-Z][a-z]+ [A-Z])|\bsponsored\b|\bopinions are\b|"
    r"\badd to (?:cart|basket|bag)\b|\bbuy (?:now|today)\b|\border (?:now|today)\b|"
    r"\bshop now\b|\b(?:use|with) (?:my|the|our) code\b|\d ?% off\b|\bfree shipping\b|"
    r"\bmoney[- ]back\b|\bin stock\b|\bsubscribe\b|\bsign up\b|\bnot (?:been )?evaluated by\b|"
    r"\bnot intended to diagnose\b|^you (?:should|must|need to|have to|might want to)\b|\bour (?:readers|team|nutrition team|editors)\b|"
    r"^(?:hi|hello|hey|thanks|thank you|great|welcome|ok|okay|yes|no)\b",
    re.IGNORECASE,
)
_HEDGE_RE = re.compile(
    r"\b(?:may|might|could|can help|possibly|potentially|perhaps|likely|suggests?|"
    r"appears? to|seems? to|is thought|are thought|believed|promising|potential)\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\d|\b(?:half|twice|double|triple|third|quarter|one in|two in|three in|nine in|"
    r"times|most|all|every|no known)\b",
    re.IGNORECASE,
)
_COMPARISON_RE = re.compile(
    r"\b(?:than|unlike|compared|versus|vs|as well as|better|faster|more effective|best|"
    r"only thing)\b",
    re.IGNORECASE,
)

# Claim types: the first family that matches decides.
_SAFETY_RE = re.compile(
    r"\b(?:side[- ]effects?|adverse|risks?|toxic\w*|harm\w*|danger\w*|unsafe|safe(?:ty|ly)?|"
    r"well[- ]tolerated|tolerat\w+|addictive|habit[- ]forming|overdose|interact(?:s|ions?)? "
    r"with|allerg\w+|irritat\w+|reactions?|poison\w*|contaminat\w+|pregnan\w+|burn the|"
    r"not recommended|contraindicat\w+|cramp\w*|nausea|diarrh\w+|headaches?|dizz\w+|"
    r"drowsiness|dry mouth|psychoactive|upset stomach|runny tummy|redness|itch\w*|"
    r"kidney stones?|too low|dangerously|hypoallergenic|gentle|suitable for|tired|"
    r"fatigue\w*|irritab\w+|worr\w+|concerns?|warn\w*|caution\w*)\b",
    re.IGNORECASE,
)
_POPULATION_RE = re.compile(
    r"\b(?:people|adults|women|men|children|kids|users|americans|britons|beginners|patients|"
    r"population|of us|friends|customers|consumers|person|everyone|nobody)\b",
    re.IGNORECASE,
)
_PREVALENCE_RE = re.compile(
    r"\b(?:\d+(?:\.\d+)? ?(?:%|percent)|(?:one|two|three|four|nine|\d+) in (?:\w+)|half|"
    r"a third|most|average|common|prevalen\w+|widespread|affects?|per year|a year|"
    r"every year|each year)\b|\d ?%",
    re.IGNORECASE,
)
_INTAKE_RE = re.compile(
    r"\b(?:took|taking|take|takes|used|using|supplement\w*|after|with|on (?:a|the)|lose|"
    r"lost|gained|saw)\b",
    re.IGNORECASE,
)
_MECHANISM_RE = re.compile(
    r"\b(?:mechanism|receptors?|cells?|cellular|mitochondria|enzymes?|hormones?|"
    r"neurotransmitter\w*|metaboli\w+|pathways?|molecules?|compounds?|alkaloids?|"
    r"catechins?|antioxidants?|collagen (?:production|fibres|fibers)|stimulates?|"
    r"penetrat\w+|absorb\w*|bloodstream|liver|kidneys?|gut|bowel|colon|brain cells|"
    r"endocannabinoid|insulin levels|ketones?|fuel|switch\w*|works? (?:by|with)|"
    r"(?:is|are) responsible for|because|which (?:regulates|means)|inhibit\w*|binds?|"
    r"entourage|process called)\b",
    re.IGNORECASE,
)
_ENDORSEMENT_RE = re.compile(
    r"\b(?:recommend\w*|endors\w+|\w+-(?:cleared|approved)|(?:cleared|approved) by|"
    r"(?:fda|ema|mhra|nhs)\b|certified|award\w*|tested|trusted|"
    r"used (?:for|by)|swears? by|favourite|favorite|called it|best thing|doctors? say|"
    r"experts? (?:say|agree)|rated|reviews?\b|★)",
    re.IGNORECASE,
)


_WH_WORDS = frozenset(["how", "what", "why", "when", "where", "who", "which"])
_FIRST_PERSON_RE = re.compile(r"(?-i:\bI\b)|\b(?:me|my|we|us)\b", re.IGNORECASE)
# A quantity with a unit, a percentage or a count: "3 kg", "30 %", "600 mg" (not "14-day").
_MEASURE_RE = re.compile(
    r"\d+(?:[.,]\d+)? ?(?:%|percent|kg|g|mg|mcg|lb|lbs|pounds|kilos?|kilograms?|cm|mm|nm|"
    r"ml|l|hours?|days?|weeks?|months?|years?|times|x)\b",
    re.IGNORECASE,
)
# A result a reader is promised, without a verb of effect: "visibly smoother", "was gone".
_RESULT_RE = re.compile(
    r"\b(?:visibl[ey]|noticeabl[ey]|gone|better|(?:smooth|firm|young|clear|strong|health|"
    r"slimm|thinn|fitt|bright|soft|calm|happ|light|lean|fast)i?er|(?:after|within|in) "
    r"(?:just |only )?(?:\w+ )?(?:days?|weeks?|months?))\b",
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
    hedged: bool = False
    worthiness: int = 0  # higher: more worth checking first


def topic_of(text: str) -> str:
    """The text's main topic: its most frequent content word, a name (capitalised inside a
    sentence, not just at its start) counting double."""
    counts = Counter(
        w.lower()
        for w in _WORD_RE.findall(text)
        if w.lower() not in statements.STOPWORDS and len(w) > 3
    )
    for name in _NAME_RE.findall(text):
        if name.lower() in counts:
            counts[name.lower()] += 1
    return max(counts, key=counts.__getitem__) if counts else ""


def has_verb(sentence: str) -> bool:
    return bool(_AUXILIARY_RE.search(sentence) or statements.VERB_FORM_RE.search(sentence))


def _is_title(words: list[str]) -> bool:
    """ "I Tried a 14-Day Detox Tea and This Is What Happened": a title names, it does not
    assert (a listicle's "3. It lowers blood pressure." is a sentence, not a title)."""
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    return len(long_words) >= 3 and all(w[0].isupper() for w in long_words)


def is_claim(sentence: str, ends_line: bool) -> bool:
    """Whether a sentence (marker and attribution stripped) asserts something, by ruling out
    what does not."""
    words = sentence.split()
    if len(words) < 3 or sentence.rstrip("\"'”’)").endswith("?"):
        return False
    if _IMPERATIVE_RE.match(sentence) or _META_RE.search(sentence):
        return False
    # The writer's own story ("So I had to give it a go") asserts nothing checkable unless
    # it reports an effect or a number ("By the end I had lost 3 kg").
    if _FIRST_PERSON_RE.search(sentence) and not (
        _EFFECT_VERB_RE.search(sentence)
        or _MEASURE_RE.search(sentence)
        or _RESULT_RE.search(sentence)
    ):
        return False
    stopped = sentence[-1] in ".!\"'”’)…"
    if not stopped and ends_line:
        # A line without a final stop is a heading or a list item: a claim only when it
        # asserts ("Reduces wrinkles by 36 %"), not when it names ("How to take it").
        if _is_title(words) or any(w.lower().strip(":,") in _WH_WORDS for w in words):
            return False
        if _THIRD_PERSON_RE.match(words[0]):
            return True
        return len(words) >= 4 and has_verb(" ".join(words[1:]))
    if not has_verb(sentence):
        # A full sentence without a verb we know is still a sentence when it is long.
        return len(words) >= 6 or bool(_ENDORSEMENT_RE.search(sentence))
    return True


def claim_type_of(statement: str) -> ClaimType:
    """The claim type of a frame-free statement ("Packed with antioxidants," says nothing
    about the claim's type)."""
    if _SAFETY_RE.search(statement):
        return ClaimType.SAFETY
    if (
        _POPULATION_RE.search(statement)
        and _PREVALENCE_RE.search(statement)
        and not _INTAKE_RE.search(statement)
    ):
        return ClaimType.PREVALENCE
    if _MECHANISM_RE.search(statement):
        return ClaimType.MECHANISM
    if _ENDORSEMENT_RE.search(statement):
        return ClaimType.OTHER  # who vouches for it is the claim: "FDA-cleared for pain"
    if _EFFECT_VERB_RE.search(statement) or _RESULT_RE.search(statement):
        return ClaimType.EFFICACY
    return ClaimType.OTHER


def worthiness_of(sentence: str, claim_type: ClaimType, hedged: bool) -> int:
    """How much checking a claim deserves, 0–9: an effect or safety statement, a number, a
    comparison rank above a vague or hedged line."""
    score = {ClaimType.EFFICACY: 4, ClaimType.SAFETY: 4, ClaimType.PREVALENCE: 3}.get(claim_type, 2)
    score += 2 * bool(_NUMBER_RE.search(sentence)) + bool(_COMPARISON_RE.search(sentence))
    score += bool(re.search(r"\b(?:cures?|prevents?|all|no|never|always|completely)\b", sentence))
    return max(0, min(9, score - hedged))


def describe(quote: str, start: int, end: int, topic: str) -> list[Candidate]:
    """Suggestions for a quote at `start`–`end` (one per claim it carries), whether the
    extraction found it or a reviewer selected it."""
    claim_type = claim_type_of(statements.frame_free(quote, topic))
    hedged = bool(_HEDGE_RE.search(quote))
    worthiness = worthiness_of(quote, claim_type, hedged)
    return [
        Candidate(
            quote=quote,
            start=start,
            end=end,
            statement=suggestion.statement,
            subject=suggestion.subject,
            outcome=suggestion.outcome,
            claim_type=claim_type,
            hedged=hedged,
            worthiness=worthiness,
        )
        for suggestion in statements.suggest(quote, topic)
    ]


def extract_candidates(text: str) -> list[Candidate]:
    """Propose candidate claims from `text`, in the order they appear.

    Every candidate's quote is exactly `text[start:end]` (never a bullet, list number or
    label). A sentence with two effects joined by "and" gives two candidates, one quote.
    """
    topic = topic_of(text)
    candidates = []
    for span_start, end in sentence_spans(text):
        ends_line = end == len(text) or text[end] == "\n"
        start = strip_marker(text, span_start, end)
        if tail := statements.ATTRIBUTION_TAIL_RE.search(text, start, end):
            end = tail.start()  # the testimonial, without who said it
        if end - start > MAX_QUOTE_LENGTH:
            continue  # no reviewer checks a 1,000-character "sentence" as one claim
        sentence = text[start:end]
        if not sentence or not is_claim(sentence, ends_line):
            continue
        candidates.extend(describe(sentence, start, end, topic))
    return candidates
