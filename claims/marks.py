"""A source's text split into paragraphs of segments, each quote of a published claim marked."""

from dataclasses import dataclass, field

from .models import Claim


@dataclass
class Segment:
    text: str
    claim: Claim | None = None  # the claim this piece links to (the innermost one)
    mark_id: str = ""
    anchors: list = field(default_factory=list)  # ids of other quotes that start here
    overlap: bool = False
    ends: list = field(default_factory=list)  # claims whose quote ends here (numbered links)


def mark_quotes(text: str, claims: list[Claim]) -> list[list[Segment]]:
    """Split `text` into paragraphs of segments, cut at every quote boundary.

    Overlapping quotes are handled by cutting at every start and end: each segment knows
    every quote covering it and links to the innermost (latest-starting, then shortest).
    Each quote's first segment carries its anchor (id="quote-<pk>"), and its last one a
    numbered link to the claim, so that every claim stays reachable even when covered.
    Reads `claim.number` (its 1-based place in the page's list of claims).
    """
    paragraphs = []
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if line.strip():
            paragraphs.append((start, end))
    started = set()
    result = []
    for para_start, para_end in paragraphs:
        cuts = {para_start, para_end}
        for claim in claims:
            for point in (claim.quote_start, claim.quote_end):
                if para_start < point < para_end:
                    cuts.add(point)
        cuts = sorted(cuts)
        segments = []
        for seg_start, seg_end in zip(cuts, cuts[1:], strict=False):
            covering = [c for c in claims if c.quote_start <= seg_start and seg_end <= c.quote_end]
            segment = Segment(text[seg_start:seg_end])
            if covering:
                owner = max(covering, key=lambda c: (c.quote_start, -c.quote_end, c.pk))
                segment.claim = owner
                segment.overlap = len(covering) > 1
                for claim in sorted(covering, key=lambda c: c.pk):
                    if claim.pk in started:
                        continue
                    started.add(claim.pk)
                    if claim is owner:
                        segment.mark_id = f"quote-{claim.pk}"
                    else:
                        segment.anchors.append(f"quote-{claim.pk}")
                segment.ends = [c for c in covering if c.quote_end == seg_end]
            segments.append(segment)
        result.append(segments)
    return result
