"""The admin's third-party apps in Vietnamese: API tokens (``rest_framework.authtoken``), login
lock-outs (``axes``) and the reminder's schedule (``django_celery_beat``) ship no Vietnamese
catalogue, so their messages are in ours (``recommendations/third_party_messages.py``), each
exactly a msgid of the installed app, and nothing else of theirs is left in English but what that
module leaves out."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import axes
import axes.apps
import django_celery_beat
import pytest
import rest_framework.authtoken
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from recommendations import third_party_messages
from recommendations.third_party_messages import (
    AUTHTOKEN_MESSAGES,
    AXES_MESSAGES,
    CELERY_BEAT_MESSAGES,
    AxesConfig,
)
from tests.factories import UserFactory
from tests.po_support import ngettext_pairs, read_po

OURS = Path(third_party_messages.__file__).parent / "locale"
TIME_ZONE = settings.TIME_ZONE

# App label → (the installed package's directory, our list of its messages).
APPS = {
    "authtoken": (Path(rest_framework.authtoken.__file__).parent, AUTHTOKEN_MESSAGES),
    "axes": (Path(axes.__file__).parent, AXES_MESSAGES),
    "django_celery_beat": (Path(django_celery_beat.__file__).parent, CELERY_BEAT_MESSAGES),
}

# Their messages that Django's, DRF's or our other lists already translate (third_party_messages.py).
ALREADY_TRANSLATED = {
    "Yes": "Có",
    "No": "Không",
    "User": "Người dùng",
    "Key": "Khoá",
    "Password": "Mật khẩu",
    'Must include "username" and "password".': "Bắt buộc phải có “tên người dùng” và “mật khẩu”.",
    "Unable to log in with provided credentials.": "Không thể đăng nhập với thông tin đã nhập.",
    "Enabled": "Bật",  # recommendations/django_messages.py
}

# Left out, as third_party_messages.py says why.
LEFT_OUT = {
    "was,were",  # only for "{0} task{1} {2} successfully run", whose Vietnamese has no verb to agree
    # axes' lock-out messages, replaced by our lock-out page.
    "Account locked: too many login attempts. Please try again later.",
    "Account locked: too many login attempts. Contact an admin to unlock your account.",
    # The fields of axes' AccessAttemptExpiration, which has no admin page.
    "Access Attempt",
    "Expires At",
    "The time when access attempt expires and is no longer valid.",
}

# Messages built before they are translated (f-strings), which no catalogue can match.
FORMATTED_BEFORE_TRANSLATION = {("axes", "admin.py"), ("django_celery_beat", "admin.py")}

# Plain strings in the apps' models, which nothing translates (third_party_messages.py).
UNTRANSLATABLE_LABELS = {("django_celery_beat.periodictask.task.verbose_name", "Task Name")}

GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[0-9a-z_]*\}")


def gettext_calls(package: Path) -> Iterator[tuple[Path, ast.Call]]:
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.parts:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_FUNCTIONS:
                    yield path, node


def source_messages() -> tuple[set[str], set[tuple[str, str]], set[tuple[str, str]]]:
    """The literal msgids (singular), the (singular, plural) pairs, and the (app, file) of each call
    with a computed message, in the installed packages' source."""
    singular: set[str] = set()
    plural: set[tuple[str, str]] = set()
    computed: set[tuple[str, str]] = set()
    for label, (package, _messages) in APPS.items():
        for path, call in gettext_calls(package):
            first = call.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                computed.add((label, path.name))
            elif getattr(call.func, "id", None) in {"ngettext", "ngettext_lazy"}:
                second = call.args[1]
                assert isinstance(second, ast.Constant)
                plural.add((first.value, second.value))
            else:
                singular.add(first.value)
    return singular, plural, computed


def package_msgids(label: str) -> set[str]:
    package, _messages = APPS[label]
    return {
        call.args[0].value
        for _path, call in gettext_calls(package)
        if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    }


def vietnamese_catalogue() -> dict[str, str]:
    """msgid → Vietnamese of our catalogue; a Vietnamese msgid (ours) is its own translation."""
    catalogue = read_po(OURS / "vi" / "LC_MESSAGES" / "django.po")
    return {msgid: msgstrs[0] or msgid for (_context, msgid), (_plural, msgstrs) in catalogue.items()}


def listed() -> list[str]:
    return [msgid for _package, messages in APPS.values() for msgid in messages]


# --- The list against the installed apps ----------------------------------------------------------


def test_each_listed_message_is_a_msgid_of_its_app():
    for label, (_package, messages) in APPS.items():
        assert set(messages) <= package_msgids(label), label
    assert len(listed()) == len(set(listed()))


def test_every_message_of_the_apps_is_listed_translated_elsewhere_or_left_out():
    singular, plural, computed = source_messages()
    assert not set(listed()) & (LEFT_OUT | set(ALREADY_TRANSLATED))
    assert set(listed()) | LEFT_OUT | set(ALREADY_TRANSLATED) == singular
    assert ngettext_pairs(third_party_messages) == plural
    assert computed == FORMATTED_BEFORE_TRANSLATION


def test_messages_translated_elsewhere_are_translated():
    with translation.override("vi"):
        assert {msgid: translation.gettext(msgid) for msgid in ALREADY_TRANSLATED} == ALREADY_TRANSLATED


def test_every_listed_message_has_its_vietnamese_translation_keeping_its_placeholders():
    vietnamese = vietnamese_catalogue()
    english = read_po(OURS / "en" / "LC_MESSAGES" / "django.po")
    for msgid in listed():
        assert vietnamese.get(msgid, msgid) != msgid, msgid
        assert english[(None, msgid)] == (None, [msgid]), msgid
        with translation.override("vi"):
            assert translation.gettext(msgid) == vietnamese[msgid], msgid
        with translation.override("en"):
            assert translation.gettext(msgid) == msgid
        placeholders = sorted(PLACEHOLDER.findall(vietnamese[msgid]))
        if msgid == "{0} task{1} {2} successfully run":  # "Đã chạy {0} tác vụ": no "s", no "were"
            assert placeholders == ["{0}"]
        else:
            assert placeholders == sorted(PLACEHOLDER.findall(msgid)), msgid
    for singular, plural in ngettext_pairs(third_party_messages):
        assert english[(None, singular)] == (plural, [singular, plural])
        for n in (1, 4):
            with translation.override("vi"):
                translated = translation.ngettext(singular, plural, n)
            assert translated not in (singular, plural)
            assert PLACEHOLDER.findall(translated) == ["{0}"]
            with translation.override("en"):
                assert translation.ngettext(singular, plural, n) == (singular if n == 1 else plural)


# --- The apps as the admin shows them -------------------------------------------------------------


def test_axes_keeps_its_label_with_a_translatable_name():
    config = apps.get_app_config("axes")
    assert type(config) is AxesConfig
    assert issubclass(AxesConfig, axes.apps.AppConfig)
    assert (config.name, config.label) == ("axes", "axes")
    with translation.override("vi"):
        assert str(config.verbose_name) == "Bảo vệ đăng nhập"
    with translation.override("en"):
        assert str(config.verbose_name) == "Axes"


def msgid_of(text: object) -> str:
    with translation.override(None):  # no catalogue: the msgid itself
        return str(text)


def shown_texts() -> Iterator[tuple[str, object]]:
    """(where, text) of every name, label, help text, choice, fieldset, action, filter, inline and
    form label of the three apps' models and admins."""
    for label in APPS:
        config = apps.get_app_config(label)
        yield label, config.verbose_name
        for model in config.get_models():
            opts = model._meta
            yield opts.label_lower, opts.verbose_name
            yield opts.label_lower, opts.verbose_name_plural
            if model not in admin.site._registry:
                continue  # only its name shows (permission lists)
            for field in opts.get_fields():
                if field.auto_created:
                    continue
                where = f"{opts.label_lower}.{field.name}"
                yield f"{where}.verbose_name", field.verbose_name
                if field.help_text:
                    yield f"{where}.help_text", field.help_text
                for _value, choice in field.choices or ():
                    if isinstance(choice, Promise):  # not the time zones' names
                        yield f"{where}.choices", choice
            model_admin = admin.site._registry[model]
            for title, _options in model_admin.fieldsets or ():
                if title is not None:
                    yield f"{opts.label_lower} fieldset", title
            for action in model_admin.actions or ():
                function = getattr(model_admin, action) if isinstance(action, str) else action
                yield f"{opts.label_lower} action", function.short_description
            for list_filter in model_admin.list_filter:
                if isinstance(list_filter, type) and issubclass(list_filter, SimpleListFilter):
                    yield f"{opts.label_lower} filter", list_filter.title
            for inline in model_admin.inlines:
                yield f"{opts.label_lower} inline", inline.verbose_name
            if model_admin.search_help_text:
                yield f"{opts.label_lower} search", model_admin.search_help_text
            for name, form_field in model_admin.form.declared_fields.items():
                yield f"{opts.label_lower} form.{name}", form_field.label


def test_the_apps_models_and_admins_are_in_vietnamese():
    vietnamese = vietnamese_catalogue() | ALREADY_TRANSLATED
    plain = set()
    shown = list(shown_texts())
    assert len(shown) > 150  # the three apps, seen
    for where, text in shown:
        if not isinstance(text, Promise):
            plain.add((where, text))
            continue
        with translation.override("vi"):
            assert str(text) == vietnamese.get(msgid_of(text)), where
    assert plain == UNTRANSLATABLE_LABELS


# --- Pages ------------------------------------------------------------------------------------------


def superuser(language: str = "vi"):
    return UserFactory(is_superuser=True, organization=None, preferred_language=language)


@pytest.mark.django_db
def test_the_admin_index_names_the_apps_in_vietnamese(client):
    client.force_login(superuser())
    html = client.get(reverse("admin:index")).content.decode()
    for vietnamese in (
        "Tác vụ định kỳ",
        "Lịch crontab",
        "Lịch theo chu kỳ",
        "Lịch chạy một lần",
        "Lịch theo mặt trời",
        "Bảo vệ đăng nhập",
        "Lần thử đăng nhập",
        "Nhật ký đăng nhập",
        "Lần đăng nhập thất bại",
        "Token xác thực",
        "Token API",
    ):
        assert vietnamese in html
    for english in (
        "Periodic Tasks",
        "Periodic tasks",
        "Crontabs",
        "Intervals",
        "Clocked",
        "Solar events",
        ">Axes<",
        "Access attempts",
        "Access logs",
        "Access failures",
        "Auth Token",
        "Tokens",
    ):
        assert english not in html


@pytest.mark.django_db
def test_the_admin_index_stays_english_in_english(client):
    client.force_login(superuser("en"))
    html = client.get(reverse("admin:index")).content.decode()
    for english in (
        "Periodic Tasks",
        "Periodic tasks",
        "Crontabs",
        ">Axes<",
        "Access attempts",
        "Auth Token",
    ):
        assert english in html
    assert "Tác vụ định kỳ" not in html


@pytest.fixture
def weekly_digest() -> PeriodicTask:
    # As manage.py setup_reminder_schedule makes it: Mondays at 8:00.
    crontab = CrontabSchedule.objects.create(minute="0", hour="8", day_of_week="1", timezone=TIME_ZONE)
    return PeriodicTask.objects.create(name="weekly digest", task="recommendations.tasks.x", crontab=crontab)


@pytest.mark.django_db
def test_the_reminder_schedule_pages_are_in_vietnamese(client, weekly_digest):
    client.force_login(superuser())
    task_page = client.get(reverse("admin:django_celery_beat_periodictask_change", args=[weekly_digest.pk]))
    html = task_page.content.decode()
    for vietnamese in ("Lịch chạy", "Lịch crontab", "Tùy chọn thực thi", "Tác vụ (chọn trong danh sách)"):
        assert vietnamese in html
    for english in ("Crontab Schedule", "Execution Options", "Task (registered)", "Short Description"):
        assert english not in html
    crontab_page = client.get(
        reverse("admin:django_celery_beat_crontabschedule_change", args=[weekly_digest.crontab_id])
    ).content.decode()
    assert "Ngày trong tuần" in crontab_page
    assert "Chủ nhật là 0 hoặc 7, thứ Hai là 1." in crontab_page
    assert "Day(s) Of The Week" not in crontab_page
    changelist = reverse("admin:django_celery_beat_periodictask_changelist")
    assert "Tắt các tác vụ đã chọn" in client.get(changelist).content.decode()
    disabled = client.post(
        changelist, {"action": "disable_tasks", "_selected_action": [weekly_digest.pk]}, follow=True
    )
    assert [str(m) for m in disabled.context["messages"]] == ["Đã tắt 1 tác vụ"]
    weekly_digest.refresh_from_db()
    assert weekly_digest.enabled is False


@pytest.mark.django_db
def test_the_lock_out_list_is_in_vietnamese(client):
    AccessAttempt.objects.create(
        username="lan", ip_address="203.0.113.7", user_agent="Firefox", failures_since_start=10
    )
    client.force_login(superuser())
    html = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    for vietnamese in ("Lần thử đăng nhập", "Số lần đăng nhập sai", "Địa chỉ IP", "Đang bị tạm khóa"):
        assert vietnamese in html
    for english in ("Access attempts", "Failed Logins", "IP Address", "Locked Out", "Clean up expired"):
        assert english not in html
