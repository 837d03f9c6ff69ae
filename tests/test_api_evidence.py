"""Evidence through the API: notes, links and file uploads (size limit, type checked by content),
downloads only through the authorised view, withdrawal."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from recommendations import services
from recommendations.models import Evidence, HistoryEntry, Recommendation
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

URL = "/api/v1/recommendations/EV-1/evidence/"
PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
EXE = b"MZ\x90\x00" + b"\x00" * 50


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def rec():
    return RecommendationFactory(code="EV-1", owner_organization=OrganizationFactory(code="MOFA"))


@pytest.fixture
def owner(rec):
    return owner_user(rec.owner_organization)


def _upload(client, name: str, content: bytes, url: str = URL):
    return client.post(url, {"kind": "file", "file": SimpleUploadedFile(name, content)}, format="multipart")


def _counts() -> tuple[int, int]:
    return Evidence.objects.count(), HistoryEntry.objects.count()


def test_owner_adds_a_note_and_a_link(rec, owner):
    client = client_for(owner)
    note = client.post(URL, {"kind": "note", "note": "  Đã trình Chính phủ  "}, format="json")
    assert note.status_code == 201, note.content
    assert note.json()["note"] == "Đã trình Chính phủ"
    link = client.post(URL, {"kind": "link", "url": "https://mofa.gov.vn/bao-cao"}, format="json")
    assert link.status_code == 201
    assert link.json()["download_url"] is None
    listed = client.get(URL).json()
    assert [(e["kind"], e["note"], e["url"]) for e in listed] == [
        ("note", "Đã trình Chính phủ", ""),
        ("link", "", "https://mofa.gov.vn/bao-cao"),
    ]
    assert listed[0]["submitted_by"] == {
        "id": owner.pk,
        "name": owner.username,
        "email": owner.email,
    }
    assert list(rec.history.values_list("kind", flat=True)) == ["evidence_added", "evidence_added"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "note", "note": "   "}, "note"),
        ({"kind": "link", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "link", "url": "ftp://example.org/x"}, "url"),
        ({"kind": "file"}, "file"),
        ({"kind": "video"}, "kind"),
        ({}, "kind"),
        # What the kind does not use is refused, not dropped.
        ({"kind": "note", "note": "Đã trình", "url": "https://mofa.gov.vn/"}, "url"),
        ({"kind": "link", "url": "https://mofa.gov.vn/", "title": "Báo cáo"}, "title"),
    ],
)
def test_bad_evidence_is_400_with_the_field_and_adds_nothing(rec, owner, body, field):
    before = _counts()
    response = client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert _counts() == before


def test_a_pdf_upload_is_stored_and_downloaded_as_an_attachment(rec, owner, media):
    response = _upload(client_for(owner), "Báo cáo sơ kết.pdf", PDF)
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get()
    assert (body["kind"], body["content_type"], body["size"], body["original_filename"]) == (
        "file",
        "application/pdf",
        len(PDF),
        "Báo cáo sơ kết.pdf",
    )
    assert (
        body["download_url"] == f"http://testserver/api/v1/recommendations/EV-1/evidence/{evidence.pk}/file/"
    )
    # The stored name never reuses the uploader's name.
    assert "Báo cáo" not in evidence.file.name
    download = client_for(reader_user()).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''B%C3%A1o%20c%C3%A1o%20s%C6%A1%20k%E1%BA%BFt.pdf" in download["Content-Disposition"]
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"


def test_files_are_checked_by_content_not_by_name(rec, owner):
    client = client_for(owner)
    before = _counts()
    for name, content in [
        ("report.pdf", EXE),  # an executable with a .pdf name
        ("photo.pdf", PNG),  # a real image, but not what the name says
        ("report.exe", EXE),  # a type that is not allowed at all
        ("notes.txt", b"\x00\x01binary"),  # "text" with NUL bytes
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ]:
        response = _upload(client, name, content)
        assert response.status_code == 400, name
        assert list(response.json()["errors"]) == ["file"], name
    assert _counts() == before
    assert _upload(client, "photo.png", PNG).status_code == 201


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["Mã", "Tiến độ"])
    workbook.save(buffer)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_office_files_are_checked_by_the_parts_their_archive_lists(rec, owner):
    client = client_for(owner)
    docx = _upload(client, "bao-cao.docx", DOCX)
    assert (docx.status_code, docx.json()["content_type"]) == (201, DOCX_TYPE)
    xlsx = _upload(client, "so-lieu.xlsx", _xlsx())
    assert (xlsx.status_code, xlsx.json()["content_type"]) == (201, XLSX_TYPE)
    before = _counts()
    for name, content in [
        # The names appear in the bytes, but no workbook is in the archive.
        ("fake.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/payload.exe": EXE})),
        ("report.xlsx", DOCX),  # a document named as a workbook
        ("report.docx", b"PK\x03\x04 word/ [Content_Types].xml, but not an archive"),
    ]:
        response = _upload(client, name, content)
        assert response.status_code == 400, name
        assert list(response.json()["errors"]) == ["file"], name
    assert _counts() == before


def test_text_files_are_checked_to_their_end(rec, owner):
    client = client_for(owner)
    # Well past the first chunk (64 KiB), with multi-byte letters across chunk boundaries.
    long_text = ("Báo cáo tiến độ ngoại giao số, đợt một.\n" * 5000).encode()
    assert len(long_text) > 3 * 64 * 1024
    response = _upload(client, "ghi-chu.txt", long_text)
    assert (response.status_code, response.json()["content_type"]) == (201, "text/plain")
    before = _counts()
    for name, tail in [("notes.txt", EXE), ("table.csv", b"\xff\xfe not UTF-8")]:
        response = _upload(client, name, long_text + tail)
        assert response.status_code == 400, name
        assert list(response.json()["errors"]) == ["file"], name
    assert _counts() == before


def test_an_oversize_file_is_refused_with_the_limit(rec, owner, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    before = _counts()
    response = _upload(client_for(owner), "big.pdf", PDF + b"0" * (2560 - len(PDF)))
    assert response.status_code == 400
    # Sizes as people read them, not in bytes (non-breaking spaces: a size is never split).
    assert response.json()["errors"]["file"] == ["Tệp quá lớn (2,5\xa0KB); giới hạn là 1,0\xa0KB."]
    assert _counts() == before


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(rec, owner, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    before = _counts()
    response = _upload(client_for(owner), "huge.pdf", PDF + b"0" * (100 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert _counts() == before


def test_a_body_over_the_request_limit_is_a_json_413_and_adds_nothing(rec, owner, settings):
    # A note, not a file: the upload check does not apply, Django's limit on a body read into
    # memory does (5 MiB by default).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = _counts()
    response = client_for(owner).post(URL, {"kind": "note", "note": "x" * 3000}, format="json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Nội dung yêu cầu vượt quá giới hạn 2,0\xa0KB.",
        "code": "request_too_large",
    }
    assert _counts() == before


def test_too_many_form_fields_is_a_json_400(rec, owner, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    before = _counts()
    fields = {"kind": "note", "note": "Ghi chú", **{f"extra{i}": "x" for i in range(10)}}
    response = client_for(owner).post(URL, fields, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"
    assert _counts() == before


@pytest.mark.parametrize(
    ("kind", "extra", "field"),
    [
        ("note", {"note": "Đã trình"}, "file"),
        ("link", {"url": "https://mofa.gov.vn/"}, "file"),
        ("file", {"url": "https://mofa.gov.vn/"}, "url"),
    ],
)
def test_a_file_or_link_sent_with_another_kind_is_refused(rec, owner, kind, extra, field):
    before = _counts()
    body = {"kind": kind, "file": SimpleUploadedFile("a.pdf", PDF), **extra}
    response = client_for(owner).post(URL, body, format="multipart")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert _counts() == before


def test_an_empty_file_is_refused(rec, owner):
    response = _upload(client_for(owner), "empty.pdf", b"")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


@pytest.mark.parametrize("who", ["reader", "other_org_owner", "no_role"])
def test_only_those_who_may_edit_add_evidence(rec, who):
    user = {
        "reader": reader_user,
        "other_org_owner": lambda: owner_user(OrganizationFactory(code="MIC")),
        "no_role": UserFactory,
    }[who]()
    before = _counts()
    response = _upload(client_for(user), "a.pdf", PDF)
    assert response.status_code == 403
    note = client_for(user).post(URL, {"kind": "note", "note": "x"}, format="json")
    assert note.status_code == 403
    assert _counts() == before


def test_downloads_need_a_role_and_the_right_item(rec, owner):
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.pdf", PDF)
    )
    other = RecommendationFactory(code="EV-2")
    url = f"/api/v1/recommendations/EV-1/evidence/{evidence.pk}/file/"
    assert APIClient().get(url).status_code == 401
    assert client_for(UserFactory()).get(url).status_code == 403
    for user in [reader_user(), owner_user(OrganizationFactory(code="MIC")), owner, admin_user()]:
        assert client_for(user).get(url).status_code == 200
    # The same evidence under another item's code, a note, or a missing file: 404.
    assert (
        client_for(owner)
        .get(f"/api/v1/recommendations/{other.code}/evidence/{evidence.pk}/file/")
        .status_code
        == 404
    )
    note = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="n")
    assert client_for(owner).get(f"/api/v1/recommendations/EV-1/evidence/{note.pk}/file/").status_code == 404
    evidence.file.storage.delete(evidence.file.name)
    missing = client_for(owner).get(url)
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_media_files_are_not_served_directly(rec, owner):
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.pdf", PDF)
    )
    client = client_for(admin_user())
    client.force_login(admin_user())
    assert client.get(evidence.file.url).status_code == 404
    assert client.get(f"/media/{evidence.file.name}").status_code == 404


def test_download_ignores_the_accept_header(rec, owner):
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.png", PNG)
    )
    response = client_for(owner).get(
        f"/api/v1/recommendations/EV-1/evidence/{evidence.pk}/file/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_withdrawing_evidence_keeps_it_flagged(rec, owner):
    evidence = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="n")
    url = f"/api/v1/recommendations/EV-1/evidence/{evidence.pk}/withdraw/"
    client = client_for(owner)
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["reason"]
    response = client.post(url, {"reason": "Nhầm tài liệu"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["withdrawn"], body["withdrawal_reason"]) == (True, "Nhầm tài liệu")
    assert client.get(URL).json()[0]["withdrawn"] is True
    history = HistoryEntry.objects.count()
    again = client.post(url, {"reason": "Lần nữa"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"detail": "Minh chứng này đã được rút trước đó.", "code": "already_withdrawn"}
    evidence.refresh_from_db()
    assert evidence.withdrawal_reason == "Nhầm tài liệu"
    assert HistoryEntry.objects.count() == history


def test_the_last_evidence_of_an_implemented_item_cannot_be_withdrawn(rec, owner):
    evidence = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="n")
    for status in ["accepted", "in_progress", "implemented"]:
        services.recommendation_transition(recommendation=rec, actor=owner, to_status=status)
    history = HistoryEntry.objects.count()
    response = client_for(owner).post(
        f"/api/v1/recommendations/EV-1/evidence/{evidence.pk}/withdraw/", {"reason": "r"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "evidence_required"
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None
    assert HistoryEntry.objects.count() == history
    assert Recommendation.objects.get(code="EV-1").status == "implemented"


def test_withdraw_permissions_and_lookup(rec, owner):
    evidence = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="n")
    other = RecommendationFactory(code="EV-2")
    for user, path, expected in [
        (reader_user(), f"EV-1/evidence/{evidence.pk}", 403),
        (owner_user(OrganizationFactory(code="MIC")), f"EV-1/evidence/{evidence.pk}", 403),
        (admin_user(), f"{other.code}/evidence/{evidence.pk}", 404),
    ]:
        response = client_for(user).post(
            f"/api/v1/recommendations/{path}/withdraw/", {"reason": "r"}, format="json"
        )
        assert response.status_code == expected
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None


def test_a_withdrawn_file_is_downloaded_by_administrators_only(rec, owner):
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.pdf", PDF)
    )
    url = f"/api/v1/recommendations/EV-1/evidence/{evidence.pk}/file/"
    assert client_for(owner).get(url).status_code == 200
    services.evidence_withdraw(evidence=evidence, actor=owner, reason="Nhầm tài liệu mật")

    for user in [owner, reader_user(), owner_user(OrganizationFactory(code="MIC"))]:
        client = client_for(user)
        assert client.get(url).status_code == 404
        [listed] = client.get(URL).json()
        assert (listed["withdrawn"], listed["download_url"]) == (True, None)
    administrator = client_for(admin_user())
    response = administrator.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    [listed] = administrator.get(URL).json()
    assert listed["download_url"] == f"http://testserver{url}"


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("vi", "Nội dung multipart/form-data không hợp lệ (Invalid boundary in multipart: None)."),
        ("en", "The multipart/form-data body is invalid (Invalid boundary in multipart: None)."),
    ],
)
def test_a_malformed_multipart_body_is_a_400_in_the_users_language(rec, owner, language, detail):
    owner.preferred_language = language
    owner.save(update_fields=["preferred_language"])
    before = _counts()
    # No boundary in the Content-Type: Django's parser cannot split the body.
    response = client_for(owner).post(URL, data=b"kind=note", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": "parse_error"}
    assert _counts() == before
