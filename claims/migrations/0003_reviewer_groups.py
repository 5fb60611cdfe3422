"""Create the Reviewers and Editors groups with their permissions.

create_permissions runs first: on a fresh database the post_migrate signal that normally creates
permissions has not fired yet, and the groups would silently end up empty.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    ("claims", "view_source"),
    ("claims", "view_claim"),
    ("claims", "add_claim"),
    ("claims", "change_claim"),
    ("claims", "grade_claim"),
    ("claims", "view_citation"),
    ("claims", "add_citation"),
    ("claims", "change_citation"),
    ("claims", "view_evidence"),
    ("claims", "add_evidence"),
    ("claims", "change_evidence"),
    # Removing a wrong evidence link is part of editing the evidence; history keeps the row.
    ("claims", "delete_evidence"),
    ("claims", "view_gradeassessment"),
    ("claims", "add_gradeassessment"),
    ("claims", "change_gradeassessment"),
]
EDITOR_PERMISSIONS = [
    *REVIEWER_PERMISSIONS,
    ("claims", "publish_claim"),
    ("claims", "add_source"),
    ("claims", "change_source"),
]
GROUPS = {"Reviewers": REVIEWER_PERMISSIONS, "Editors": EDITOR_PERMISSIONS}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in wanted
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_search_vector_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
