"""GRADE's certainty-of-evidence rule, as one pure function.

`assess()` is the rule: where the evidence starts, each domain rated down or up, and the
certainty that results. `compute_certainty()` (the grade a GRADE assessment decides) and the
claim page's summary of findings both read it, so what a reader sees is what was computed.
"""

from dataclasses import dataclass

from .scales import EvidenceBase, Grade

DOWN_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UP_DOMAINS = ("large_effect", "dose_response", "plausible_confounding")

# The values each domain takes (the scales' IntegerChoices hold their labels).
_ALLOWED = {
    **dict.fromkeys(DOWN_DOMAINS, (0, -1, -2)),
    "large_effect": (0, 1, 2),
    "dose_response": (0, 1),
    "plausible_confounding": (0, 1),
}

RATING_UP_RULE = (
    "GRADE rates evidence up (large effect, dose-response, plausible confounding) only when it "
    "started low (observational, animal or laboratory studies) and nothing was rated down."
)

# Domain names and rating words as a reader reads them on a claim page.
DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
    "large_effect": "Large effect",
    "dose_response": "Dose-response gradient",
    "plausible_confounding": "Plausible confounding",
}
DOMAIN_MEANINGS = {
    "risk_of_bias": "the studies' design or conduct may have biased their results",
    "inconsistency": "the studies' results disagree with one another",
    "indirectness": "the studies looked at other people, doses or outcomes than the claim",
    "imprecision": "few participants or events, so the result could easily be different",
    "publication_bias": "studies with unwelcome results may have gone unpublished",
    "large_effect": "the effect is so large that bias alone is unlikely to explain it",
    "dose_response": "more of it gives more of the effect",
    "plausible_confounding": "the likely biases would have made the effect look smaller",
}
_LEVEL_WORDS = {
    ("down", -1): "serious",
    ("down", -2): "very serious",
    ("large_effect", 1): "large",
    ("large_effect", 2): "very large",
    ("up", 1): "present",
}


class GradingRuleError(ValueError):
    """Ratings that GRADE does not allow (a value out of range, or rating up from high)."""


def may_rate_up(evidence_base: EvidenceBase | str, ratings: dict[str, int]) -> bool:
    """Whether `ratings` may rate up: the evidence started low and nothing was rated down."""
    started_low = EvidenceBase(evidence_base).start == Grade.LOW
    return started_low and not any(ratings.get(domain, 0) for domain in DOWN_DOMAINS)


@dataclass(frozen=True)
class Rating:
    """One domain rated down (change < 0) or up (change > 0), as the reviewer rated it."""

    domain: str
    change: int
    note: str = ""

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self.domain]

    @property
    def meaning(self) -> str:
        return DOMAIN_MEANINGS[self.domain]

    @property
    def level(self) -> str:
        kind = (
            "large_effect" if self.domain == "large_effect" else "down" if self.change < 0 else "up"
        )
        return _LEVEL_WORDS[(kind, self.change)]

    @property
    def steps(self) -> str:
        """ "down one level", "up two levels"."""
        size = abs(self.change)
        return f"{'down' if self.change < 0 else 'up'} {'one' if size == 1 else 'two'} level" + (
            "s" if size > 1 else ""
        )


@dataclass(frozen=True)
class Assessment:
    """The GRADE rule applied: the start, each domain that moved it, and the certainty."""

    evidence_base: EvidenceBase
    ratings: tuple[Rating, ...]  # domains rated down, then up, in GRADE's order

    @property
    def start(self) -> Grade:
        return self.evidence_base.start

    @property
    def rated_down(self) -> tuple[Rating, ...]:
        return tuple(r for r in self.ratings if r.change < 0)

    @property
    def rated_up(self) -> tuple[Rating, ...]:
        return tuple(r for r in self.ratings if r.change > 0)

    @property
    def certainty(self) -> Grade:
        """The start moved by every rating, clamped to very low…high, as GRADE does."""
        return Grade.from_level(self.start.level + sum(r.change for r in self.ratings))

    @property
    def clamped(self) -> bool:
        """The ratings add up past very low or high (the certainty stops there)."""
        level = self.start.level + sum(r.change for r in self.ratings)
        return level != self.certainty.level


def assess(
    evidence_base: EvidenceBase | str, ratings: dict[str, int], notes: dict[str, str] | None = None
) -> Assessment:
    """Apply GRADE to one assessment's ratings (domain → value; missing domains are 0).

    Rating-down values are 0, -1 (serious) or -2 (very serious); rating-up values are 0 to +2
    for a large effect and 0 or +1 for dose-response and plausible confounding. Raises
    GradingRuleError for a value out of range, an unknown domain, or rating up where GRADE
    does not (RATING_UP_RULE).
    """
    unknown = set(ratings) - _ALLOWED.keys()
    if unknown:
        raise GradingRuleError(f"unknown GRADE domains: {sorted(unknown)}")
    for domain, value in ratings.items():
        if value not in _ALLOWED[domain]:
            direction = "rating down" if domain in DOWN_DOMAINS else "rating up"
            raise GradingRuleError(
                f"{direction} {DOMAIN_LABELS[domain].lower()} takes "
                f"{' or '.join(map(str, _ALLOWED[domain]))}, got {value}"
            )
    base = EvidenceBase(evidence_base)
    if any(ratings.get(domain, 0) for domain in UP_DOMAINS) and not may_rate_up(base, ratings):
        raise GradingRuleError(RATING_UP_RULE)
    notes = notes or {}
    return Assessment(
        base,
        tuple(
            Rating(domain, ratings[domain], notes.get(domain, "").strip())
            for domain in (*DOWN_DOMAINS, *UP_DOMAINS)
            if ratings.get(domain, 0)
        ),
    )


def compute_certainty(*, evidence_base: EvidenceBase | str, **ratings: int) -> Grade:
    """The certainty GRADE gives these ratings: `assess(...).certainty`."""
    return assess(evidence_base, ratings).certainty
