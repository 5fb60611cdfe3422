"""A source's text split into paragraphs of segments, each appearance of a published claim
marked (a claim made twice in the text is marked twice)."""

from dataclasses import dataclass, field

from .models import Claim


@dataclass(frozen=True)
class Mark:
    """One appearance's passage: its id (the anchor "appearance-<pk>") and the claim."""

    pk: int
    claim: Claim
    quote_start: int
    quote_end: int

    @property
    def anchor(self) -> str:
        return f"appearance-{self.pk}"


@dataclass
class Segment:
    text: str
    claim: Claim | None = None  # the claim this piece links to (the innermost one)
    mark_id: str = ""
    anchors: list = field(default_factory=list)  # ids of other quotes that start here
    overlap: bool = False
    ends: list = field(default_factory=list)  # claims whose quote ends here (numbered links)


def mark_quotes(text: str, marks: list[Mark]) -> list[list[Segment]]:
    """Split `text` into paragraphs of segments, cut at every quote boundary.

    Overlapping quotes are handled by cutting at every start and end: each segment knows
    every quote covering it and links to the innermost (latest-starting, then shortest).
    Each quote's first segment carries its anchors: "appearance-<pk>", and "quote-<claim pk>"
    for the claim's first passage in the text (the mark's own id where it owns the segment);
    its last segment a numbered link to the claim, so that every claim stays reachable even
    when covered. Reads `claim.number` (its 1-based place in the page's list of claims).
    """
    paragraphs = []
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if line.strip():
            paragraphs.append((start, end))
    started = set()
    first_of_claim = {}
    for mark in sorted(marks, key=lambda m: (m.quote_start, m.pk)):
        first_of_claim.setdefault(mark.claim.pk, mark.pk)
    result = []
    for para_start, para_end in paragraphs:
        cuts = {para_start, para_end}
        for mark in marks:
            for point in (mark.quote_start, mark.quote_end):
                if para_start < point < para_end:
                    cuts.add(point)
        cuts = sorted(cuts)
        segments = []
        for seg_start, seg_end in zip(cuts, cuts[1:], strict=False):
            covering = [m for m in marks if m.quote_start <= seg_start and seg_end <= m.quote_end]
            segment = Segment(text[seg_start:seg_end])
            if covering:
                owner = max(covering, key=lambda m: (m.quote_start, -m.quote_end, m.pk))
                segment.claim = owner.claim
                segment.overlap = len(covering) > 1
                for mark in sorted(covering, key=lambda m: m.pk):
                    if mark.pk in started:
                        continue
                    started.add(mark.pk)
                    anchors = [mark.anchor]
                    if first_of_claim[mark.claim.pk] == mark.pk:
                        anchors.insert(0, f"quote-{mark.claim.pk}")
                    if mark is owner:
                        segment.mark_id = anchors.pop(0)
                    segment.anchors.extend(anchors)
                segment.ends = [m.claim for m in covering if m.quote_end == seg_end]
            segments.append(segment)
        result.append(segments)
    return result
