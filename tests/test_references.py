"""Reading references in each format, from samples written as Zotero, EndNote and PubMed
export them (tests/samples/)."""

from pathlib import Path

import pytest

from claims.references import BatchRefused, decode, parse, suggest_design, vancouver
from claims.scales import StudyDesign

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def test_zotero_bibtex_is_read_and_the_broken_entry_named_with_its_line():
    refs = parse(sample("zotero.bib"))
    assert [ref.error == "" for ref in refs] == [True, True, False, True]
    first, second, broken, last = refs
    assert first.title == (
        "Patterns of Kratom use and health impact in the US—Results from an online survey"
    )
    assert (first.authors, first.year, first.venue) == (
        "Grundmann O",
        2017,
        "Drug and Alcohol Dependence",
    )
    assert first.doi == "10.1016/j.drugalcdep.2017.03.007"
    assert first.study_design == StudyDesign.CROSS_SECTIONAL
    assert (second.authors, second.doi, second.pmid) == (
        "Veltri C, Grundmann O",
        "10.2147/sar.s127341",
        "28721113",
    )
    assert "broken_2019" in broken.error
    assert "line 27" in broken.error
    assert (last.venue, last.study_design) == (
        "Proceedings of the Kratom Symposium",
        StudyDesign.SYSTEMATIC_REVIEW,
    )


def test_endnote_ris_is_read_and_a_record_without_er_is_named():
    good, trial, unclosed = parse(sample("endnote.ris"))
    assert good.authors == "Singh D, Narayanan S, Vicknasingam B"
    assert (good.year, good.venue, good.doi) == (
        2016,
        "Brain Research Bulletin",
        "10.1016/j.brainresbull.2016.05.004",
    )
    assert good.url.startswith("https://www.sciencedirect.com/")
    assert (trial.pmid, trial.year, trial.study_design) == ("28734185", 2017, StudyDesign.RCT)
    assert unclosed.error == "The RIS record starting on line 28 has no closing “ER  -” line."


def test_pubmed_ris_takes_the_pmid_from_c1_and_the_full_journal_name():
    (ref,) = parse(sample("pubmed.ris"))
    assert (ref.pmid, ref.doi, ref.venue) == (
        "32000295",
        "10.1007/s40122-020-00151-x",
        "Pain and therapy",
    )
    assert ref.authors == "Eastlack SC, Cornett EM, Kaye AD"
    assert ref.study_design == StudyDesign.SYSTEMATIC_REVIEW


def test_csl_json_items_are_read():
    article, report = parse(sample("items.json"))
    assert (article.title, article.authors, article.year) == (
        "Kratom withdrawal: a case report",
        "McWhirter L, Morris S",
        2015,
    )
    assert (article.doi, article.pmid) == ("10.1097/adm.0000000000000123", "25886723")
    assert article.study_design == StudyDesign.CASE_REPORT
    assert (report.authors, report.venue, report.url) == (
        "Drug Enforcement Administration",
        "U.S. Department of Justice",
        "https://www.dea.gov/kratom",
    )
    assert report.study_design == ""


def test_identifiers_in_every_form_and_the_bad_ones_with_reasons():
    text = (
        "10.1000/ABC\ndoi: 10.1000/x, https://doi.org/10.5555/y\nPMID: 31284119\n"
        "https://pubmed.ncbi.nlm.nih.gov/28721113/\n12a45\n10.12/x\nkratom\n"
    )
    refs = parse(text)
    assert [(r.doi, r.pmid) for r in refs[:5]] == [
        ("10.1000/abc", ""),
        ("10.1000/x", ""),
        ("10.5555/y", ""),
        ("", "31284119"),
        ("", "28721113"),
    ]
    assert [r.error for r in refs[5:]] == [
        "“12a45” is not a PMID: a PubMed ID is digits only.",
        "“10.12/x” is not a DOI (expected 10.<digits>/…).",
        "“kratom” is neither a DOI nor a PMID (nor BibTeX, RIS or CSL-JSON).",
    ]


def test_more_than_a_thousand_entries_are_refused_whole():
    with pytest.raises(BatchRefused, match="1001 entries"):
        parse("\n".join(f"10.1000/{n}" for n in range(1001)))
    assert len(parse("\n".join(f"10.1000/{n}" for n in range(1000)))) == 1000


def test_a_file_that_is_not_text_is_refused_and_latin_1_is_read():
    with pytest.raises(BatchRefused, match="not text"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert decode("TY  - JOUR\nTI  - Caf\xe9\nER  - \n".encode("latin-1")).endswith("ER  - \n")
    assert decode("\ufeff@article{a, title={x}}".encode()).startswith("@article")


def test_broken_json_names_its_line():
    (ref,) = parse('[\n  {"title": "x",\n  }\n]')
    assert ref.error.startswith("Not valid JSON")
    assert "line 3" in ref.label  # where the stray brace is


def test_names_and_designs():
    assert vancouver("Swogger, Marc T.") == "Swogger MT"
    assert vancouver("Eastlack SC") == "Eastlack SC"
    assert suggest_design(["Journal Article", "Randomized Controlled Trial"]) == StudyDesign.RCT
    assert suggest_design(["Journal Article"]) == ""


def test_pubmed_medline_export_is_read_with_its_publication_types():
    first, second = parse(sample("pubmed.nbib"))
    assert (first.pmid, first.doi, first.year) == (
        "31284119",
        "10.1016/j.drugalcdep.2019.05.005",
        2019,
    )
    assert first.title == "Kratom as a substitute for opioids: Results from an online survey"
    assert (first.authors, first.venue) == ("Coe MA, Pillitteri JL", "Drug and alcohol dependence")
    assert first.study_design == ""
    assert second.title.endswith("Outlook: A Comprehensive Review")  # a continued line
    assert (second.label, second.study_design) == (
        "MEDLINE record (line 36)",
        StudyDesign.SYSTEMATIC_REVIEW,
    )
