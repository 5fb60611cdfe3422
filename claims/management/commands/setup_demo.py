"""Prepare a demo: the kratom article (if no source exists yet) and three demo accounts.

Run after `migrate`. Idempotent: running it again resets the demo accounts' passwords and
groups, lifts their login lockouts (`axes_reset` lifts everyone's), and loads nothing twice.
"""

import secrets

from axes.models import AccessAttempt
from axes.utils import reset as reset_lockouts
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.models import Source

# username → (group, is_superuser)
DEMO_ACCOUNTS = {
    "reviewer": ("Reviewers", False),
    "editor": ("Editors", False),
    "admin": (None, True),
}


class Command(BaseCommand):
    help = "Load the demo article if the database has no source, and (re)create demo accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        if not Source.objects.exists():
            call_command("loaddata", "kratom_article", verbosity=0)
            self.stdout.write("Loaded the demo article with its 20 claims.")
        missing = {g for g, _ in DEMO_ACCOUNTS.values() if g} - set(
            Group.objects.values_list("name", flat=True)
        )
        if missing:
            raise CommandError(f"Groups {sorted(missing)} are missing: run `migrate` first.")
        User = get_user_model()
        lines = []
        for username, (group_name, is_superuser) in DEMO_ACCOUNTS.items():
            user, _ = User.objects.get_or_create(username=username)
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = True
            user.is_superuser = is_superuser
            user.is_active = True
            user.email = user.email or f"{username}@example.org"
            user.save()
            user.groups.set([Group.objects.get(name=group_name)] if group_name else [])
            if AccessAttempt.objects.filter(username=username).exists():
                reset_lockouts(username=username)  # a fresh password deserves a fresh try
            lines.append(f"  {username:<9} {password}   ({group_name or 'superuser'})")
        self.stdout.write(self.style.SUCCESS("Demo accounts (sign in at /admin/):"))
        self.stdout.write("\n".join(lines))
