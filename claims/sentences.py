"""Split a text into sentences in one linear pass, and find where a sentence's words start.

Every decision looks at a bounded window around one candidate break (the word before a full
stop, the characters after it), never at the whole sentence so far: a text of nothing but
"e.g. e.g. e.g. …" (no break ever taken) used to rescan the growing sentence at each stop,
which made 200 KB take most of a minute. Now a megabyte takes well under a second.
"""

import re

# A break candidate: a run of . ! ? … with closing quotes or brackets, before whitespace or
# the end; or a line break (headings and list items have no final stop).
# Only a run's first character may start a match (the lookbehind) and the run is taken whole
# (possessive), so a megabyte of "!!!!" is read once, not once per character.
_BREAK_RE = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s|$)|\n")
# Abbreviations whose full stop does not end a sentence (compared lower-case, stop removed).
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "approx",
        "fig",
        "al",
        "no",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "mt",
        "ca",
        "cf",
    ]
)
# The word just before a stop, read from a bounded window behind it.
_LAST_WORD_RE = re.compile(r"(\S{1,24})$")
_WINDOW = 25
# What opens a list item or a labelled line; never part of a quote. Bullets, "1." / "1)" /
# "a)" list numbers, and labels such as "Q:", "Answer:", "Myth:", "Pros:".
_MARKER_RE = re.compile(
    r"(?:[-–—•*▪►✓✔☑→>]++\s+|\(?\d{1,3}[.)]\s+|\(?[a-zA-Z][)]\s+|"
    r"(?:Q|A|Question|Answer|Fact|Myth|Claim|Truth|Tip|Note|Pros?|Cons?|Verdict|Warning|"
    r"Benefit|Bottom line|TL;DR|Step \d{1,2})\s*[:–—]\s+)+"
)


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the full stop at `stop` closes an abbreviation, an initial or a list number."""
    word = _LAST_WORD_RE.search(text, max(0, stop - _WINDOW), stop)
    if word is None:
        return False
    token = word.group(1).lower().lstrip("(\"'“‘")
    if token in _ABBREVIATIONS:
        return True
    # A single capital ("J. Smith") is an initial.
    return len(token) == 1 and token.isalpha()


def _is_list_number(text: str, start: int, stop: int) -> bool:
    """ "1." at the start of a line is a list number, not a sentence of its own."""
    return stop - start <= 4 and text[start:stop].strip().isdigit()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of `text`, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BREAK_RE.finditer(text):
        if match.group() == "\n":
            end = match.start()
        else:
            end = match.end()
            first = match.group()[0]
            if first == "." and match.end() - match.start() == 1:
                if _is_abbreviation(text, match.start()):
                    continue
                if _is_list_number(text, start, match.start()):
                    continue
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    return [span for span in (_trim(text, *span) for span in spans) if span[1] > span[0]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    # Bounded by the span: each character is trimmed at most once over the whole text.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def strip_marker(text: str, start: int, end: int) -> int:
    """Where the words of `text[start:end]` start, past any bullet, list number or label."""
    found = _MARKER_RE.match(text, start, end)
    return found.end() if found else start
