"""The words synthetic claims are made of: subjects, conditions, attributed names, verbs,
quote templates, filler sentences, publishers, venues and study designs.

The lists are fixed, and so is the vocabulary built from them (made-up subjects and names come
from their own seeded stream): the seed of `generate_claims` only decides how bench/generate.py
draws from them, with Zipf-like weights.
"""

import random
from dataclasses import dataclass

from claims.scales import ClaimType, StudyDesign

_REAL_SUBJECTS = (
    "kratom", "turmeric", "melatonin", "vitamin D", "fish oil", "ashwagandha", "caffeine",
    "green tea", "ginseng", "cannabidiol", "magnesium", "zinc", "probiotics", "garlic",
    "apple cider vinegar", "creatine", "collagen", "echinacea", "elderberry", "ginger",
    "valerian", "St John’s wort", "coconut oil", "intermittent fasting", "cold showers",
    "acupuncture", "homeopathy", "vitamin C", "iron supplements", "folic acid", "biotin",
    "spirulina", "chlorella", "maca root", "saw palmetto", "ginkgo", "kombucha", "honey",
    "cinnamon", "black seed oil", "moringa", "rhodiola", "lion’s mane", "reishi", "chaga",
    "activated charcoal", "colloidal silver", "oil pulling", "keto diet", "red light therapy",
    "cupping", "chiropractic care", "meditation", "yoga", "sauna bathing", "nicotine gum",
    "kava", "psilocybin", "ibuprofen", "paracetamol", "aspirin", "metformin", "statins",
    "glucosamine", "omega-3", "selenium", "vitamin B12", "quercetin", "resveratrol",
    "beetroot juice",
)  # fmt: skip
_SYLLABLES = (
    "ka", "lo", "ver", "dra", "mi", "zon", "tel", "qua", "ri", "sor", "ban", "fe", "nu", "gal",
    "pex", "tor", "vin", "shi", "mar", "dex", "lu", "bra", "cor", "el", "tha", "pri", "ost",
)  # fmt: skip
_SUFFIXES = ("ine", "ol", "ex", "amab", "ium", "ara", "ide", "enol", "ase", "ovir")
_CONDITIONS = (
    "hair loss", "blood pressure", "anxiety", "insomnia", "joint pain", "depression",
    "migraine", "obesity", "type 2 diabetes", "acne", "fatigue", "memory loss", "back pain",
    "heart disease", "high cholesterol", "inflammation", "the common cold", "influenza",
    "opioid withdrawal", "muscle cramps", "asthma", "eczema", "psoriasis", "arthritis",
    "gout", "kidney stones", "liver damage", "hot flashes", "erectile dysfunction",
    "infertility", "dementia", "stroke", "cancer", "colon cancer", "breast cancer",
    "skin ageing", "wrinkles", "tooth decay", "gum disease", "bad breath", "indigestion",
    "heartburn", "constipation", "diarrhoea", "bloating", "irritable bowel syndrome",
    "nausea", "motion sickness", "jet lag", "hangovers", "snoring", "sleep apnoea",
    "restless legs", "tinnitus", "vertigo", "dry eyes", "cataracts", "macular degeneration",
    "hearing loss", "allergies", "hay fever", "sinusitis", "bronchitis", "pneumonia",
    "urinary infections", "yeast infections", "cold sores", "warts", "dandruff",
    "brittle nails", "anaemia", "thyroid disorders", "menstrual cramps", "endometriosis",
    "osteoporosis", "fibromyalgia", "chronic fatigue", "long covid", "autism", "adhd",
    "bipolar disorder", "schizophrenia", "addiction", "alcohol craving", "smoking cessation",
    "weight gain", "appetite", "muscle growth", "athletic endurance", "recovery time",
    "wound healing", "scarring", "immune function", "brain fog", "concentration", "mood",
    "stress", "libido", "lifespan", "blood sugar", "gut health",
)  # fmt: skip
_OUTCOME_FORMS = ("{c}", "risk of {c}", "symptoms of {c}")
# (statement verb, quote verb, claim type, weight)
VERBS = (
    ("reduces", "can reduce", ClaimType.EFFICACY, 30),
    ("cures", "completely cures", ClaimType.EFFICACY, 14),
    ("prevents", "helps prevent", ClaimType.EFFICACY, 12),
    ("improves", "really improves", ClaimType.EFFICACY, 10),
    ("relieves", "quickly relieves", ClaimType.EFFICACY, 8),
    ("reverses", "fully reverses", ClaimType.EFFICACY, 5),
    ("worsens", "may worsen", ClaimType.SAFETY, 6),
    ("causes", "can cause", ClaimType.SAFETY, 6),
    ("acts directly on", "works directly on", ClaimType.MECHANISM, 4),
    ("is widely used against", "is used by many people against", ClaimType.PREVALENCE, 3),
    ("has no effect on", "does nothing for", ClaimType.OTHER, 2),
)
POPULATIONS = (
    "", " in adults", " in older adults", " in children", " in women", " in men",
    " in athletes", " during pregnancy", " in people with diabetes", " after surgery",
    " in smokers", " in teenagers", " in shift workers", " in veterans",
)  # fmt: skip
QUOTE_TEMPLATES = (
    "Many people swear that {subject} {qverb} {outcome}{population}.",
    "There is growing buzz that {subject} {qverb} {outcome}{population}.",
    "Our readers report that taking {subject} daily {qverb} {outcome}.",
    "According to {name}, {subject} {qverb} {outcome}{population}.",
    "{name} told us that {subject} {qverb} {outcome} within weeks.",
    "It’s now common knowledge that {subject} {qverb} {outcome}{population}.",
    "Fans of {subject} say it {qverb} {outcome}, as {name} explained.",
)
FILLER = (
    "The debate shows no sign of ending.",
    "Prices have risen sharply over the past year.",
    "Not everyone is convinced, of course.",
    "Online forums are full of personal stories.",
    "Regulators have been slow to respond.",
    "Doctors we spoke to urged caution.",
    "Supplies were hard to find last winter.",
    "Some shops now stock several brands.",
    "The trend started on social media.",
    "Few of these stories can be checked.",
    "Sales figures are not published.",
    "The packaging makes bold promises.",
)
PUBLISHERS = (
    "Wellness Daily", "The Health Sentinel", "Natural Living Weekly", "Vital Signs Blog",
    "Body & Mind Magazine", "The Evening Courier", "Herbal Horizons", "FitLife Forum",
)  # fmt: skip
VENUES = (
    "Journal of Synthetic Medicine", "Synthetic Trials Quarterly", "Annals of Example Research",
    "Placeholder Pharmacology", "Benchmark Epidemiology Reports",
)  # fmt: skip
DESIGNS = (
    (StudyDesign.SYSTEMATIC_REVIEW, "A systematic review", 8),
    (StudyDesign.RCT, "A randomised trial", 14),
    (StudyDesign.COHORT, "A cohort study", 16),
    (StudyDesign.CASE_CONTROL, "A case-control study", 8),
    (StudyDesign.CROSS_SECTIONAL, "A survey", 14),
    (StudyDesign.CASE_REPORT, "A case series", 10),
    (StudyDesign.ANIMAL, "An animal study", 12),
    (StudyDesign.IN_VITRO, "A laboratory study", 8),
    (StudyDesign.NARRATIVE_REVIEW, "A narrative review", 6),
    (StudyDesign.REGULATOR_STATEMENT, "A regulator statement", 4),
)


def _made_up_words(count: int, rng: random.Random, taken: set[str]) -> list[str]:
    words = []
    while len(words) < count:
        parts = rng.randint(2, 3)
        word = "".join(rng.choice(_SYLLABLES) for _ in range(parts)) + rng.choice(_SUFFIXES)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


@dataclass(frozen=True)
class Vocabulary:
    """The fixed word lists; the seed only decides how they are drawn."""

    subjects: tuple[str, ...]
    outcomes: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def build(cls) -> "Vocabulary":
        rng = random.Random(20240601)  # nosec B311 # fixed seed: the same vocabulary for every run
        taken = {s.lower() for s in _REAL_SUBJECTS}
        subjects = _REAL_SUBJECTS + tuple(_made_up_words(200 - len(_REAL_SUBJECTS), rng, taken))
        # Rank-interleaved so the most frequent outcomes are the plain conditions.
        outcomes = tuple(form.format(c=c) for form in _OUTCOME_FORMS for c in _CONDITIONS)
        names = tuple(f"Dr {w.capitalize()}" for w in _made_up_words(3000, rng, taken))
        return cls(subjects, outcomes, names)


VOCABULARY = Vocabulary.build()
COMMON_SUBJECT = VOCABULARY.subjects[0]  # ≈ 13 % of claims
COMMON_PHRASE = _CONDITIONS[0]  # "hair loss", the most frequent two-word condition
