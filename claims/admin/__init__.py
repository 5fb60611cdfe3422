"""The reviewers' and editors' workspace: a claim work queue, grading, sources and citations."""

from . import appearance, citation, claim, profile, report, revision, source  # noqa: F401 - each registers its ModelAdmin
