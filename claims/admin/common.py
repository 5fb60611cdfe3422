"""What the admin modules share."""

from django.db import models

RETRACTED_BADGE = "⚠ RETRACTED"
# A pasted "example.org/x" gets https://, not http:// (and Django 5.2 warns without it).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


def can_grade(request) -> bool:
    return request.user.has_perm("claims.grade_claim")
