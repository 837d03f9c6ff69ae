"""The three role groups and their model permissions (object-level rules live in roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APP_MODELS = [
    "recommendation",
    "evidence",
    "historyentry",
    "organization",
    "sourcedocument",
    "theme",
    "citation",
    "reminderdelivery",
    "checkinredemption",
    "user",
]


def create_role_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_perms = Permission.objects.filter(content_type__app_label="recommendations")

    reader, _ = Group.objects.get_or_create(name="reader")
    reader.permissions.set(app_perms.filter(codename__startswith="view_").exclude(codename="view_user"))

    owner, _ = Group.objects.get_or_create(name="owner")
    owner.permissions.set(
        list(app_perms.filter(codename__startswith="view_").exclude(codename="view_user"))
        + list(app_perms.filter(codename__in=["change_recommendation", "add_evidence", "change_evidence"]))
    )

    administrator, _ = Group.objects.get_or_create(name="administrator")
    administrator.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["recommendations", "django_celery_beat", "authtoken", "auth"]
        ).exclude(codename__startswith="delete_", content_type__app_label="recommendations")
    )


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["reader", "owner", "administrator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
