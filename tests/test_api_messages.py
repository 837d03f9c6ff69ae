"""DRF's own error messages answer in Vietnamese too: our catalogue carries every one of them
(``recommendations/api/drf_messages.py``), since DRF's Vietnamese catalogue has only a few."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import rest_framework
from django.utils import translation

from recommendations.api.drf_messages import DRF_MESSAGES
from tests.factories import RecommendationFactory, owner_user
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
