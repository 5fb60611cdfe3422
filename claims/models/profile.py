"""How the site names a reviewer or an editor in public, when it names people at all
(setting DJANGO_PUBLIC_REVIEWERS): never by their account's username."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import TimeStamped, validate_no_nul


class PublicProfile(TimeStamped):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="public_profile"
    )
    public_name = models.CharField(
        max_length=100,
        validators=[validate_no_nul],
        help_text="As readers see it on the claims you reviewed or approved, e.g. "
        "“Dr Ana Silva, pharmacologist”.",
    )
    conflicts = models.TextField(
        "conflicts of interest",
        blank=True,
        validators=[validate_no_nul],
        help_text="Shown beside your name: funding, employment or ties that a reader should "
        "know about. Leave empty when there are none.",
    )

    class Meta:
        ordering = ["public_name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(public_name=""), name="profile_name_not_empty")
        ]

    def __str__(self):
        return self.public_name
