"""From a quoted sentence to the claim a reviewer checks: statement, subject and outcome.

The statement is the claim without its marketing framing: "Packed with antioxidants, X can
reverse ageing" → "X reverses ageing". Framing is what a checker strips first: discourse
openers ("Interestingly,"), appeals to authority that only introduce the claim ("Clinical
studies show that"), descriptive openers ("Packed with …,"), the hedge of a modal ("can",
"may": the hedge is kept as the candidate's `hedged` flag instead), testimonial attributions,
and a pronoun or a missing subject in place of the topic. All suggestions stay editable.
"""

import re
from dataclasses import dataclass

MAX_STATEMENT_LENGTH = 300

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it’s",
        "it's",
        "may",
        "might",
        "more",
        "most",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "under",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "also",
        "often",
        "during",
        "after",
        "before",
        "many",
        "much",
        "other",
        "over",
        "only",
        "both",
        "each",
        "any",
        "all",
        "however",
    ]
)
# Verbs of effect: a sentence using one claims the subject does something to a body.
EFFECT_STEMS = (
    r"reduc|lower|boost|improv|help|aid|eas|reliev|prevent|treat|cure|heal|fight|protect|"
    r"support|strengthen|increas|decreas|burn|los|gain|regrow|clear|calm|sharpen|smooth|fad|"
    r"speed|extend|restor|repair|rebuild|detox|cleans|flush|balanc|regulat|stimulat|block|"
    r"stop|kill|cut|rais|lift|tighten|firm|brighten|whiten|sooth|relax|energi[sz]|"
    r"enhanc|promot|fuel|work|caus|trigger|damag|harm|affect|lead|contribut|slow|revers|"
    r"melt|shrink|build|destroy|neutrali[sz]|shorten|lengthen|doubl|tripl|halv|beat|"
    r"outperform|disappear|vanish|rise|drop|fall|lift|sweep"
)
# Other common verbs: they make a line a sentence, not a claim of effect.
VERB_STEMS = (
    EFFECT_STEMS + r"|contain|produc|convert|turn|mak|keep|giv|provid|deliver|offer|pass|last|feel|"
    r"suffer|experienc|notic|report|recommend|endors|approv|absorb|penetrat|carr|use|using|say|"
    r"show|find|suggest|claim|swear|call|seem|appear|sell|come|go|get|need|want|lov|"
    r"worr|warn|tast|look|smell|sound|mean|includ|happen"
)
IRREGULAR_VERBS = (
    r"lost|took|saw|felt|got|made|found|showed|shown|gave|given|became|went|came|kept|"
    r"rose|fell|grew|grown|won|sold|said|told|thought|knew|known|began|begun|ate|drank|"
    r"slept|left|led|cut|put|set|let|hit|hurt|spent|sent|built|brought|bought|caught|"
    r"taught|fought|sought|stood|held|ran|paid|met|meant|heard|lit|swore|sworn"
)
_FORMS = r"(?:e?s|ies|ied|ed|d|ing|e|y)?"
VERB_FORM_RE = re.compile(rf"\b(?:(?:{VERB_STEMS}){_FORMS}|{IRREGULAR_VERBS})\b", re.IGNORECASE)
EFFECT_FORM_RE = re.compile(
    rf"\b(?:(?:{EFFECT_STEMS}){_FORMS}|lost|rose|fell|grew|cut)\b", re.IGNORECASE
)
_AUX_RE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|does|do|did|can|could|may|might|will|would|must|"
    r"should|cannot)\b",
    re.IGNORECASE,
)
_ATTRIBUTION_RE = re.compile(
    r"^(?:(?:new |recent |clinical |scientific |independent )?(?:studies|research|science|"
    r"trials?|evidence|experts|doctors|scientists|data)\s+(?:show|shows|suggest|suggests|"
    r"prove|proves|found|find|confirm|confirms|indicate|indicates|has shown|have shown|"
    r"demonstrate|demonstrates)|the (?:brand|company|maker|makers|manufacturer) (?:claims|"
    r"says|said)|according to [^,]{1,60},|it is (?:well )?known|we know)(?: that)?\s+",
    re.IGNORECASE,
)
_OPENER_RE = re.compile(
    r"^(?:(?:interestingly|however|furthermore|moreover|additionally|in fact|plus|also|"
    r"honestly|best of all|better still|even better|simply put|in short|what's more|"
    r"what’s more|of course|remember|good news),?\s+|"
    r"(?:packed|loaded|rich|taken|used|backed|made|formulated|designed|combined|crafted|"
    r"infused|enriched|powered|blended|trusted|derived|bursting|brimming)\b[^,]{0,80},\s+)",
    re.IGNORECASE,
)
_MODAL_RE = re.compile(
    r"\b(?P<modal>can|may|might|could|will)\s+(?:also\s+|even\s+|really\s+|actually\s+)?"
    r"(?P<verb>[a-z]+)\b",
    re.IGNORECASE,
)
# A testimonial's attribution after its closing quote: ' — Karen, Ohio'.
ATTRIBUTION_TAIL_RE = re.compile(r"(?<=[\"”’])\s*[—–-]+\s*[^\"“”.!?]{1,60}$")
_PRONOUN_RE = re.compile(r"^(?:it|they|this|these|this product)\s+", re.IGNORECASE)
_DETERMINER_RE = re.compile(r"^(?:the|a|an|your|their|its|our|his|her|these|those|this)\s+", re.I)
_OUTCOME_STOP_RE = re.compile(
    r"\s(?:and|or|but|while|when|which|that|through|by|during|for|in|with|within|among|"
    r"compared|after|before|than|because|so|as|from|up to|over)\b.*$",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(
    rf",?\s+and\s+(?=(?:also\s+)?(?:{EFFECT_STEMS})(?:e?s|ies|e)?\b)", re.IGNORECASE
)
_PLURAL_SUBJECTS = frozenset(
    ["they", "you", "we", "i", "people", "users", "men", "women", "children", "kids"]
)


@dataclass(frozen=True)
class Suggestion:
    statement: str
    subject: str
    outcome: str


def normalise_statement(text: str) -> str:
    """One clean line: whitespace collapsed, outer quotes and the final stop dropped,
    first letter capitalised, cut at a word boundary to fit the statement field."""
    text = " ".join(text.split()).strip(" \"'“”‘’")
    text = text.rstrip(".;:,!… ")
    if len(text) > MAX_STATEMENT_LENGTH:
        text = text[: MAX_STATEMENT_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;: ") + "…"
    return text[:1].upper() + text[1:]


def third_person(verb: str) -> str:
    lower = verb.lower()
    if lower == "be":
        return "is"
    if lower == "have":
        return "has"
    if re.search(r"(?:s|sh|ch|x|z|o)$", lower):
        return verb + "es"
    if re.search(r"[^aeiou]y$", lower):
        return verb[:-1] + "ies"
    return verb + "s"


def _unhedge(text: str) -> str:
    """ "X can reverse ageing" → "X reverses ageing" (the hedge lives on in `hedged`)."""

    def replace(match: re.Match) -> str:
        before = text[: match.start()].split()
        verb = match["verb"]
        if verb.lower() in {"not", "be", "have"} and verb.lower() != "be":
            return match.group()
        plural = bool(before) and (
            before[-1].lower() in _PLURAL_SUBJECTS
            or (before[-1].endswith("s") and not before[-1].endswith(("ss", "is", "us")))
        )
        if plural:
            return "are" if verb.lower() == "be" else verb
        return third_person(verb)

    return _MODAL_RE.sub(replace, text, count=1)


def _subject_of(statement: str, topic: str) -> str:
    verb = _AUX_RE.search(statement) or VERB_FORM_RE.search(statement)
    if verb is None or verb.start() == 0:
        return topic
    words = _DETERMINER_RE.sub("", statement[: verb.start()].strip(" ,")).split()
    if not 1 <= len(words) <= 5 or words[0].lower() in _PLURAL_SUBJECTS | {"it", "this"}:
        return topic
    return re.sub(r"[’']s$", "", " ".join(words).lower())


def _outcome_of(statement: str) -> str:
    verb = EFFECT_FORM_RE.search(statement)
    if verb is None:
        return ""
    rest = statement[verb.end() :].strip()
    rest = re.split(r"[,.;:—–()\"“”]", rest, maxsplit=1)[0]
    rest = _OUTCOME_STOP_RE.sub("", " " + rest).strip()
    rest = re.sub(r"^(?:to|you|up|out|in|of)\s+", "", rest, flags=re.I)
    rest = _DETERMINER_RE.sub("", rest)
    return " ".join(rest.split()[:6]).lower()


def frame_free(sentence: str, topic: str) -> str:
    """The sentence as a plain claim: framing peeled off, the modal's hedge dropped, the
    topic in place of a pronoun or a missing subject."""
    text = " ".join(sentence.split())
    text = ATTRIBUTION_TAIL_RE.sub("", text)
    text = text.strip(" \"'“”‘’").rstrip(".!… ")
    for _ in range(3):  # "However, clinical studies show that …": peel each layer
        stripped = _ATTRIBUTION_RE.sub("", _OPENER_RE.sub("", text))
        if stripped == text or len(stripped.split()) < 2:
            break
        text = stripped
    text = _unhedge(text)
    name = topic[:1].upper() + topic[1:]
    if topic and _PRONOUN_RE.match(text):
        text = _PRONOUN_RE.sub(name + " ", text, count=1)
    elif topic and EFFECT_FORM_RE.match(text) and text.split()[0].lower().endswith("s"):
        text = f"{name} {text[:1].lower()}{text[1:]}"  # a bullet: "Reduces wrinkles …"
    return text


def suggest(sentence: str, topic: str) -> list[Suggestion]:
    """One suggestion per claim in the sentence: two effects joined by "and" make two."""
    statement = frame_free(sentence, topic)
    subject = _subject_of(statement, topic)
    parts = [statement]
    first_verb = EFFECT_FORM_RE.search(statement)
    split = _SPLIT_RE.search(statement, first_verb.end()) if first_verb else None
    if first_verb and split and first_verb.start() > 0 and "," not in statement[: split.start()]:
        head = statement[: first_verb.start()].rstrip()
        second = statement[split.end() :]
        word, _, rest = second.partition(" ")
        if head.split()[-1].lower() not in _PLURAL_SUBJECTS and not word.endswith("s"):
            word = third_person(word)
        parts = [statement[: split.start()], f"{head} {word} {rest}".strip()]
    return [
        Suggestion(statement=normalise_statement(part), subject=subject, outcome=_outcome_of(part))
        for part in parts
    ]
