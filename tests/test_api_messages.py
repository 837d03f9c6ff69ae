"""DRF's own error messages answer in Vietnamese too: our catalogue carries every one of them
(``recommendations/api/drf_messages.py``), since DRF's Vietnamese catalogue has only a few; and
the Django messages its Vietnamese catalogue leaves untranslated (``recommendations/django_messages.py``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import django
import pytest
import rest_framework
from django.utils import translation
from rest_framework.test import APIClient

from recommendations.api.drf_messages import DRF_MESSAGES
from recommendations.django_messages import DJANGO_MESSAGES
from tests.factories import RecommendationFactory, owner_user
from tests.po_support import read_po
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db

# The modules whose messages reach an API client.
DRF_MODULES = (
    "exceptions.py",
    "authentication.py",
    "pagination.py",
    "serializers.py",
    "fields.py",
    "relations.py",
    "validators.py",
)


def drf_msgids() -> set[str]:
    """Every literal passed to ``_``/``gettext``/``gettext_lazy`` in those modules of the installed DRF."""
    found = set()
    for name in DRF_MODULES:
        tree = ast.parse((Path(rest_framework.__file__).parent / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in {"_", "gettext", "gettext_lazy"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_the_list_is_exactly_drfs_messages():
    # A msgid that DRF no longer uses would never be looked up; one DRF added would be English.
    assert set(DRF_MESSAGES) == drf_msgids()
    assert len(DRF_MESSAGES) == len(set(DRF_MESSAGES))


def test_every_drf_message_has_a_vietnamese_translation_keeping_its_placeholders():
    with translation.override("vi"):
        for msgid in DRF_MESSAGES:
            translated = translation.gettext(msgid)
            assert translated != msgid, msgid
            for placeholder in (
                "{method}",
                "{max_value}",
                "{min_value}",
                "{max_length}",
                "{input}",
                "{wait}",
            ):
                assert (placeholder in translated) == (placeholder in msgid), msgid
    with translation.override("en"):
        assert [m for m in DRF_MESSAGES if translation.gettext(m) != m] == []


@pytest.mark.parametrize(
    ("language", "required", "too_big", "choice"),
    [
        (
            "vi",
            "Trường này là bắt buộc.",
            "Giá trị phải nhỏ hơn hoặc bằng 100.",
            "“done” không phải lựa chọn hợp lệ.",
        ),
        (
            "en",
            "This field is required.",
            "Ensure this value is less than or equal to 100.",
            '"done" is not a valid choice.',
        ),
    ],
)
def test_field_errors_from_drf_are_in_the_users_language(language, required, too_big, choice):
    owner = owner_user(preferred_language=language)
    RecommendationFactory(code="M-1", owner_organization=owner.organization)
    client = client_for(owner)
    missing = client.post("/api/v1/recommendations/M-1/transition/", {}, format="json")
    assert missing.json()["errors"] == {"to_status": [required]}
    unknown = client.post("/api/v1/recommendations/M-1/transition/", {"to_status": "done"}, format="json")
    assert unknown.json()["errors"] == {"to_status": [choice]}
    over = client.patch("/api/v1/recommendations/M-1/", {"progress": 150}, format="json")
    assert over.json()["errors"] == {"progress": [too_big]}


def test_authentication_errors_are_in_vietnamese_by_default():
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/recommendations/").json()["detail"] == "Token không hợp lệ."


# --- Django's own messages that its Vietnamese catalogue leaves untranslated ---------------------


def django_catalogue(language: str) -> dict[str, str]:
    """msgid → msgstr of the installed Django's ``.po`` for ``language`` (singular entries)."""
    path = Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES" / "django.po"
    return {
        msgid: msgstrs[0]
        for (context, msgid), (plural, msgstrs) in read_po(path).items()
        if context is None and plural is None
    }


def test_the_django_list_is_djangos_own_untranslated_messages():
    vietnamese = django_catalogue("vi")
    assert [m for m in DJANGO_MESSAGES if m not in vietnamese] == []  # exactly Django's msgids
    # Untranslated there (a Django upgrade that translates one makes ours redundant, not wrong).
    assert [m for m in DJANGO_MESSAGES if vietnamese[m]] == []
    assert len(DJANGO_MESSAGES) == len(set(DJANGO_MESSAGES))


def test_every_django_message_has_a_vietnamese_translation_keeping_its_placeholders():
    placeholder = re.compile(r"%\([a-z_]+\)[sdr]|\{[a-z_]+\}|<[^>]+>")
    with translation.override("vi"):
        for msgid in DJANGO_MESSAGES:
            translated = translation.gettext(msgid)
            assert translated != msgid, msgid
            assert sorted(placeholder.findall(translated)) == sorted(placeholder.findall(msgid)), msgid
    with translation.override("en"):
        assert [m for m in DJANGO_MESSAGES if translation.gettext(m) != m] == []


@pytest.mark.parametrize(
    ("language", "message"),
    [("vi", "Không được chứa ký tự NUL (ký tự rỗng)."), ("en", "Null characters are not allowed.")],
)
def test_a_nul_character_is_refused_in_the_users_language(language, message):
    owner = owner_user(preferred_language=language)
    RecommendationFactory(code="M-1", owner_organization=owner.organization)
    response = client_for(owner).patch("/api/v1/recommendations/M-1/", {"title": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": [message]}


@pytest.mark.parametrize(("language", "message"), [("vi", "Không tìm thấy."), ("en", "Not found.")])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recommendations/NOPE/",
        "/api/v1/recommendations/NOPE/history/",
        "/api/v1/sources/999/",
        "/api/v1/organizations/NOPE/",
    ],
)
def test_an_unknown_code_is_not_found_in_the_users_language(language, message, path):
    """Not Django's "No Recommendation matches the given query.", in English, naming a class."""
    response = client_for(owner_user(preferred_language=language)).get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": message, "code": "not_found"}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("vi", "Không có định dạng “pdf” ở đây; các định dạng có: json, api, csv, xlsx."),
        ("en", "There is no “pdf” format here; the formats are: json, api, csv, xlsx."),
    ],
)
def test_an_unknown_format_is_refused_in_the_users_language(language, message):
    response = client_for(owner_user(preferred_language=language)).get("/api/v1/recommendations/?format=pdf")
    assert response.status_code == 406
    assert response.json() == {"detail": message, "code": "not_acceptable"}


@pytest.mark.parametrize(
    ("query", "headers"), [({"format": "pdf"}, {}), ({}, {"HTTP_ACCEPT": "application/pdf"})]
)
def test_who_is_asking_is_checked_before_what_format_they_want(query, headers):
    anonymous = client_for(None).get("/api/v1/recommendations/", query, **headers)
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, "Token")
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous["Content-Type"] == "application/json"
    bad_token = APIClient().get(
        "/api/v1/recommendations/", query, HTTP_AUTHORIZATION="Token " + "0" * 40, **headers
    )
    assert (bad_token.status_code, bad_token.json()["code"]) == (401, "authentication_failed")
