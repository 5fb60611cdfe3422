"""GRADE's certainty-of-evidence rule, as one pure function."""

from .scales import EvidenceBase, Grade

DOWN_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UP_DOMAINS = ("large_effect", "dose_response", "plausible_confounding")


def compute_certainty(
    *,
    evidence_base: EvidenceBase | str,
    risk_of_bias: int = 0,
    inconsistency: int = 0,
    indirectness: int = 0,
    imprecision: int = 0,
    publication_bias: int = 0,
    large_effect: int = 0,
    dose_response: int = 0,
    plausible_confounding: int = 0,
) -> Grade:
    """Start at high (randomised) or low (observational), add the domain ratings, clamp.

    Rating-down values are 0, -1 (serious) or -2 (very serious); rating-up values are 0 to +2
    for a large effect and 0 or +1 for dose-response and plausible confounding. The result is
    clamped to very low…high, as GRADE does.
    """
    down = (risk_of_bias, inconsistency, indirectness, imprecision, publication_bias)
    up = (large_effect, dose_response, plausible_confounding)
    if any(value not in (0, -1, -2) for value in down):
        raise ValueError(f"rating down takes 0, -1 or -2, got {down}")
    if (
        large_effect not in (0, 1, 2)
        or dose_response not in (0, 1)
        or plausible_confounding
        not in (
            0,
            1,
        )
    ):
        raise ValueError(f"rating up takes 0..2 for a large effect and 0/1 otherwise, got {up}")
    start = EvidenceBase(evidence_base).start.level
    return Grade.from_level(start + sum(down) + sum(up))
