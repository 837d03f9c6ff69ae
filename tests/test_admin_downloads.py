"""The admin's evidence download sends a file as the API does (one response builder,
``recommendations.downloads``): the same headers, and 404 when the file is gone from storage."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recommendations import services
from tests.factories import RecommendationFactory, owner_user
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FILE_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
    "Expires",
)


@pytest.fixture
def submitted(settings, tmp_path):
    """An owner's PDF: (the evidence, the owner, its admin download URL, its API download URL)."""
    settings.MEDIA_ROOT = tmp_path
    rec = RecommendationFactory(code="DL-1")
    owner = owner_user(rec.owner_organization)
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("Báo cáo.pdf", PDF)
    )
    return (
        evidence,
        owner,
        reverse("admin:recommendations_evidence_download", args=[evidence.pk]),
        f"/api/v1/recommendations/DL-1/evidence/{evidence.pk}/file/",
    )


def test_the_admin_sends_a_file_with_the_apis_headers(client, submitted):
    _evidence, owner, admin_url, api_url = submitted
    client.force_login(owner)
    from_admin = client.get(admin_url)
    from_api = client_for(owner).get(api_url)
    assert (from_admin.status_code, from_api.status_code) == (200, 200)
    assert {h: from_admin.get(h) for h in FILE_HEADERS} == {h: from_api.get(h) for h in FILE_HEADERS}
    assert b"".join(from_admin.streaming_content) == b"".join(from_api.streaming_content) == PDF
    assert from_admin["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert from_admin["Cache-Control"] == "private, no-store"
    assert from_admin["X-Content-Type-Options"] == "nosniff"
    assert from_admin["Content-Disposition"].startswith("attachment;")


def test_a_file_missing_from_storage_is_404_in_the_admin(client, submitted):
    evidence, owner, admin_url, api_url = submitted
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(owner)
    assert client.get(admin_url).status_code == 404
    assert client_for(owner).get(api_url).status_code == 404
