"""What every model shares: timestamps, and the validators of stored text and identifiers."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
PMID_RE = re.compile(r"^[1-9]\d{0,9}$")
# PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 at all:
# refuse both everywhere, with a message, before the database does it with an error.
_NUL_RE = re.compile(r"\x00")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def normalize_doi(value: str) -> str:
    """Return the bare, lowercase DOI ("10.1000/xyz") from a DOI, `doi:` or doi.org URL.

    DOIs are case-insensitive by definition, so lowercase is the canonical stored form and the
    unique constraint then catches the same work pasted twice in different cases.
    """
    value = (value or "").strip()
    value = _DOI_PREFIX_RE.sub("", value).strip()
    return value.lower()


def validate_doi(value: str) -> None:
    if value and not DOI_RE.match(value):
        raise ValidationError(
            "%(value)r is not a DOI: expected something like 10.1016/j.drugalcdep.2019.05.005 "
            "(a https://doi.org/… link is accepted too).",
            code="invalid_doi",
            params={"value": value},
        )


def validate_pmid(value: str) -> None:
    if value and not PMID_RE.match(value):
        raise ValidationError(
            "%(value)r is not a PubMed ID: expected digits only, such as 31284119.",
            code="invalid_pmid",
            params={"value": value},
        )


def validate_no_nul(value: str) -> None:
    """Refuse text that no database can store: NUL characters and lone surrogates."""
    if not value or not isinstance(value, str):
        return
    if _NUL_RE.search(value):
        raise ValidationError(
            "This text contains a null character (\\x00), which cannot be stored. "
            "Remove it and try again.",
            code="null_character",
        )
    if _SURROGATE_RE.search(value):
        raise ValidationError(
            "This text contains an invalid character (a lone UTF-16 surrogate, "
            "U+D800–U+DFFF), which cannot be stored. Paste the text again from its source.",
            code="invalid_character",
        )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        """Also refuse unstorable characters in text fields without their own validator (URLs)."""
        try:
            super().clean_fields(exclude=exclude)
            errors = {}
        except ValidationError as error:
            errors = error.error_dict
        for field in self._meta.concrete_fields:
            if (
                not isinstance(field, models.CharField | models.TextField)
                or validate_no_nul in field.validators
                or field.name in errors
                or (exclude and field.name in exclude)
            ):
                continue
            try:
                validate_no_nul(getattr(self, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)
