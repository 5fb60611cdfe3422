"""Indexes for the slow corners of the public pages at a million claims.

- claim_pub_grade_sort_idx / claim_pub_verdict_sort_idx: ?sort=grade and ?sort=verdict order
  by the scale's own order (`claims.scales.scale_order`, the same CASE expression), both
  directions; the column is included so that a deep page picks its ids by an index-only scan.
- claim_pub_source_idx: whether a source has published claims and how many (/sources/).
- source_title_lower_idx: /sources/ and ?sort=source_title, by title ignoring case, then id.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_claim_export_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["source"],
                name="claim_pub_source_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                models.Case(
                    models.When(grade="high", then=models.Value(0)),
                    models.When(grade="moderate", then=models.Value(1)),
                    models.When(grade="low", then=models.Value(2)),
                    models.When(grade="very_low", then=models.Value(3)),
                    models.When(grade="ungraded", then=models.Value(4)),
                    output_field=models.IntegerField(),
                ),
                models.F("id"),
                condition=models.Q(("status", "published")),
                include=("grade",),
                name="claim_pub_grade_sort_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                models.Case(
                    models.When(then=models.Value(0), verdict="supported"),
                    models.When(then=models.Value(1), verdict="partly_supported"),
                    models.When(then=models.Value(2), verdict="unsupported"),
                    models.When(then=models.Value(3), verdict="misleading"),
                    models.When(then=models.Value(4), verdict="contradicted"),
                    models.When(then=models.Value(5), verdict="unrated"),
                    output_field=models.IntegerField(),
                ),
                models.F("id"),
                condition=models.Q(("status", "published")),
                include=("verdict",),
                name="claim_pub_verdict_sort_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                django.db.models.functions.text.Lower("title"),
                models.F("id"),
                name="source_title_lower_idx",
            ),
        ),
    ]
