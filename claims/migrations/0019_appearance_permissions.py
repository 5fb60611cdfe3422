"""Reviewers and editors link the texts that make a claim (and remove a wrong link): the
groups' permissions on appearances. The offsets may be left blank in forms (located).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GRANTED = ["view_appearance", "add_appearance", "delete_appearance"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="claims", codename__in=GRANTED)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Reviewers", "Editors"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="claims", codename__in=GRANTED)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Reviewers", "Editors"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0018_merging'),
    ]

    operations = [
        migrations.AlterField(
            model_name='appearance',
            name='quote_end',
            field=models.PositiveIntegerField(blank=True, help_text="Offset just past the quote's last character."),
        ),
        migrations.AlterField(
            model_name='appearance',
            name='quote_start',
            field=models.PositiveIntegerField(blank=True, help_text="Offset of the quote's first character (Unicode characters)."),
        ),
        migrations.AlterField(
            model_name='historicalappearance',
            name='quote_end',
            field=models.PositiveIntegerField(blank=True, help_text="Offset just past the quote's last character."),
        ),
        migrations.AlterField(
            model_name='historicalappearance',
            name='quote_start',
            field=models.PositiveIntegerField(blank=True, help_text="Offset of the quote's first character (Unicode characters)."),
        ),
        migrations.RunPython(grant, revoke),
    ]
