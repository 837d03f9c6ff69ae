"""The admin without English in Vietnamese: the messages that the Vietnamese catalogues of
``django.contrib.admin``, ``auth`` and ``sessions`` leave untranslated are in ours
(``recommendations/django_messages.py``), and so are the admin's JavaScript ones, in our hand-written
``djangojs`` catalogue, which the admin's ``jsi18n`` view serves in place of Django's gaps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import ngettext

from recommendations import django_messages
from recommendations.django_messages import DJANGO_ADMIN_MESSAGES, DJANGO_ADMIN_PLURAL_MESSAGES
from recommendations.models import User
from tests.factories import RecommendationFactory, UserFactory, admin_user
from tests.po_support import Catalogue, ngettext_pairs, read_po

DJANGO = Path(django.__file__).parent
OURS = Path(django_messages.__file__).parent / "locale"
APPS = ("admin", "auth", "contenttypes", "sessions")

# Left out of the list, as recommendations/django_messages.py says why; checked below.
LEFT_OUT = {
    "Forgotten your login credentials?",  # the login page's link to password reset, not routed
    "In case you’ve forgotten, you are:",  # the password-reset email
    # The ASCII username rule; our usernames follow the Unicode one.
    "Enter a valid username. This value may contain only unaccented lowercase a-z and uppercase A-Z letters, numbers, and @/./+/-/_ characters.",  # noqa: E501
    # contenttypes' "view on site" redirect, which nothing links to.
    "Content type %(ct_id)s object %(obj_id)s doesn’t exist",
    "%(ct_name)s objects don’t have a get_absolute_url() method",
}

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sd]|\{[a-z_]*\}|<[^>]+>")


def django_po(app: str, language: str, domain: str = "django") -> Catalogue:
    return read_po(DJANGO / "contrib" / app / "locale" / language / "LC_MESSAGES" / f"{domain}.po")


def left_in_english(app: str, domain: str = "django") -> Catalogue:
    """The entries of Django's English catalogue that its Vietnamese one lacks or leaves empty, or
    has only as a plain message where the English one is a plural pair (gettext then finds no
    plural form and falls back to English)."""
    vietnamese = django_po(app, "vi", domain)
    missing: tuple[str | None, list[str]] = (None, [""])
    return {
        key: (plural, translations)
        for key, (plural, translations) in django_po(app, "en", domain).items()
        if not any(vietnamese.get(key, missing)[1]) or (plural and not vietnamese.get(key, missing)[0])
    }


# --- The django domain: admin, auth, sessions ----------------------------------------------------


def test_the_admin_lists_are_exactly_djangos_untranslated_messages_but_those_left_out():
    english = {}
    for app in APPS:
        english.update(left_in_english(app))
    singular = {msgid for (context, msgid), (plural, _) in english.items() if context is None and not plural}
    plurals = {(msgid, plural) for (context, msgid), (plural, _) in english.items() if plural}
    assert len(DJANGO_ADMIN_MESSAGES) == len(set(DJANGO_ADMIN_MESSAGES))
    assert len(DJANGO_ADMIN_PLURAL_MESSAGES) == len(ngettext_pairs(django_messages))
    assert singular >= LEFT_OUT  # still Django's, still untranslated: still worth a reason
    assert set(DJANGO_ADMIN_MESSAGES) == singular - LEFT_OUT
    assert ngettext_pairs(django_messages) == plurals
    assert not {msgid for context, msgid in english if context is not None}


def test_what_is_left_out_is_out_of_sight():
    with pytest.raises(NoReverseMatch):  # so the login page has no "Forgotten …?" link
        reverse("admin_password_reset")
    assert isinstance(User._meta.get_field("username").validators[0], UnicodeUsernameValidator)
    assert [m for m in apps.get_models() if hasattr(m, "get_absolute_url")] == []  # no "view on site"


def test_every_admin_message_has_a_vietnamese_translation_keeping_its_placeholders():
    with translation.override("vi"):
        for msgid in DJANGO_ADMIN_MESSAGES:
            translated = translation.gettext(msgid)
            assert translated != msgid, msgid
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        for singular, plural in ngettext_pairs(django_messages):
            for n in (1, 8):
                translated = translation.ngettext(singular, plural, n)
                assert translated not in (singular, plural), singular
                assert PLACEHOLDER.findall(translated) == PLACEHOLDER.findall(singular), singular
    with translation.override("en"):
        assert [m for m in DJANGO_ADMIN_MESSAGES if translation.gettext(m) != m] == []
        for singular, plural in ngettext_pairs(django_messages):
            assert (translation.ngettext(singular, plural, 1), translation.ngettext(singular, plural, 8)) == (
                singular,
                plural,
            )


# --- The djangojs domain: the admin's JavaScript -------------------------------------------------


def test_our_javascript_catalogue_is_exactly_the_admins_untranslated_messages():
    english = left_in_english("admin", "djangojs")
    vietnamese = read_po(OURS / "vi" / "LC_MESSAGES" / "djangojs.po")
    assert {key: plural for key, (plural, _) in vietnamese.items()} == {
        key: plural for key, (plural, _) in english.items()
    }
    for (_context, msgid), (plural, msgstrs) in vietnamese.items():
        assert len(msgstrs) == 1, msgid  # Vietnamese has one plural form
        assert msgstrs[0] and msgstrs[0] not in (msgid, plural), msgid
        assert PLACEHOLDER.findall(msgstrs[0]) == PLACEHOLDER.findall(msgid), msgid
    ours_in_english = read_po(OURS / "en" / "LC_MESSAGES" / "djangojs.po")
    assert ours_in_english == {
        (context, msgid): (plural, [msgid, plural] if plural else [msgid])
        for (context, msgid), (plural, _) in english.items()
    }


def js_catalogue(client) -> tuple[dict[str, object], str]:
    """The admin's jsi18n catalogue (msgid, or context + "\\x04" + msgid → translation) and its
    plural formula."""
    response = client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    script = response.content.decode()
    catalogue = re.search(
        r"const newcatalog = (\{.*?\});\s*for \(const key in newcatalog\)", script, re.DOTALL
    )
    plural = re.search(r"django\.pluralidx = function\(n\) \{\s*const v = (.*?);", script)
    assert catalogue and plural
    return json.loads(catalogue.group(1)), plural.group(1)


DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SHORT_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thur", "Fri", "Sat")


@pytest.mark.django_db
def test_the_date_picker_and_the_selector_speak_vietnamese(client):
    client.force_login(admin_user())
    catalogue, plural = js_catalogue(client)
    assert [catalogue.get(day, day) for day in DAYS] == [
        "Chủ nhật",
        "Thứ hai",
        "Thứ ba",
        "Thứ tư",
        "Thứ năm",
        "Thứ sáu",
        "Thứ bảy",
    ]
    short = [
        catalogue.get(f"abbrev. day {day}\x04{abbrev}", abbrev)
        for day, abbrev in zip(DAYS, SHORT_DAYS, strict=True)
    ]
    assert short == ["CN", "T2", "T3", "T4", "T5", "T6", "T7"]
    assert "Sunday" not in catalogue.values()
    assert catalogue.get("Choose all %s") == "Chọn tất cả %s"
    assert catalogue.get("%s selected option not visible") == ["%s mục đã chọn đang bị ẩn"]
    assert plural == "0"  # Vietnamese: one form, from our catalogue's header as from Django's
    # Django's own translations are still there.
    assert catalogue.get("Available %s") == "Có sẵn %s"
    assert catalogue.get("January") == "Tháng Một"


@pytest.mark.django_db
def test_the_date_picker_stays_english_in_english(client):
    client.force_login(admin_user(preferred_language="en"))
    catalogue, plural = js_catalogue(client)
    assert [catalogue.get(day, day) for day in DAYS] == list(DAYS)
    assert catalogue.get("Choose all %s", "Choose all %s") == "Choose all %s"
    forms = ["%s selected option not visible", "%s selected options not visible"]
    assert catalogue.get(forms[0], forms) == forms
    assert plural == "(n != 1)"


# --- Admin pages ----------------------------------------------------------------------------------

CHANGELIST = reverse("admin:recommendations_recommendation_changelist")

PAGE_FURNITURE = [
    ("Skip to main content", "Chuyển đến nội dung chính"),
    ("Breadcrumbs", "Đường dẫn điều hướng"),
    ("Toggle navigation", "Ẩn/hiện thanh điều hướng"),
    ("Filter navigation items", "Lọc các mục điều hướng"),
    ("Toggle theme (current theme: auto)", "Đổi giao diện (giao diện hiện tại: tự động)"),
    ("Show counts", "Hiện số lượng"),
    (
        "Select all objects on this page for an action",
        "Chọn tất cả đối tượng trên trang này để thực hiện hành động",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_list_with_filters_is_all_in_the_users_language(client, language):
    client.force_login(admin_user(preferred_language=language))
    RecommendationFactory(code="NQ52-01")
    html = client.get(CHANGELIST).content.decode()
    for english, vietnamese in PAGE_FURNITURE:
        shown, not_shown = (vietnamese, english) if language == "vi" else (english, vietnamese)
        assert shown in html
        assert not_shown not in html
    with_counts = client.get(CHANGELIST, {"_facets": "True"}).content.decode()
    assert ("Ẩn số lượng" if language == "vi" else "Hide counts") in with_counts


@pytest.mark.django_db
def test_the_index_labels_recent_actions_in_vietnamese(client):
    user = admin_user()
    rec = RecommendationFactory(code="NQ52-01")
    content_type = ContentType.objects.get_for_model(rec)
    for flag in (ADDITION, CHANGE, DELETION):
        LogEntry.objects.create(
            user=user,
            content_type=content_type,
            object_id=str(rec.pk),
            object_repr=rec.code,
            action_flag=flag,
        )
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    for english, vietnamese in [
        ("Added:", "Đã thêm:"),
        ("Changed:", "Đã thay đổi:"),
        ("Deleted:", "Đã xóa:"),
    ]:
        assert vietnamese in html
        assert english not in html


@pytest.mark.django_db
def test_setting_a_password_in_the_user_admin_is_in_vietnamese(client):
    client.force_login(admin_user())
    person = UserFactory(username="lan")
    person.set_unusable_password()
    person.save()
    change = client.get(reverse("admin:recommendations_user_change", args=[person.pk])).content.decode()
    assert "Đặt mật khẩu" in change
    assert "Set password" not in change
    page = client.get(reverse("admin:auth_user_password_change", args=[person.pk]))
    html = page.content.decode()
    assert "Đặt mật khẩu: lan" in html
    assert "Bật xác thực bằng mật khẩu" in html
    assert "Thao tác này sẽ <strong>bật</strong> xác thực bằng mật khẩu cho người dùng này." in html
    for english in ("Set password", "Enable password-based authentication", "Password-based authentication"):
        assert english not in html
    too_short = client.post(
        page.wsgi_request.path, {"usable_password": "true", "password1": "a1b2", "password2": "a1b2"}
    )
    assert "Mật khẩu này quá ngắn. Mật khẩu phải có ít nhất 8 ký tự." in too_short.content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_the_form_error_banner_is_vietnamese(count):
    # The admin's templates ask for it as a plural pair, which Django's Vietnamese catalogue lacks.
    with translation.override("vi"):
        banner = ngettext("Please correct the error below.", "Please correct the errors below.", count)
    assert banner == "Hãy sửa các lỗi dưới đây."
