"""Administrators no longer edit the role groups or permissions themselves, nor edit tokens.

Migration 0002 gave the ``administrator`` group every ``auth`` permission: with them an
administrator could delete the role groups, or give any group (their own included) any
permission, which no role needs. Roles are given to people on the person's page; the groups
stay visible. Tokens are created and revoked, never edited (see ``admin.TokenAdmin``).
"""

from django.db import migrations

TAKEN = (
    ("auth", "add_group"),
    ("auth", "change_group"),
    ("auth", "delete_group"),
    ("auth", "add_permission"),
    ("auth", "change_permission"),
    ("auth", "delete_permission"),
    ("auth", "view_permission"),
    ("authtoken", "change_token"),
    ("authtoken", "change_tokenproxy"),
)


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return [
        permission
        for app_label, codename in TAKEN
        for permission in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    ]


def take(apps, schema_editor):
    administrator = apps.get_model("auth", "Group").objects.filter(name="administrator").first()
    if administrator is not None:
        administrator.permissions.remove(*_permissions(apps))


def give_back(apps, schema_editor):
    administrator = apps.get_model("auth", "Group").objects.filter(name="administrator").first()
    if administrator is not None:
        administrator.permissions.add(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0010_due_date_descending_index")]

    operations = [migrations.RunPython(take, give_back)]
