"""The staff's main tool, through the test client: list, filters, search, change page, workflow
form and action, evidence, and organization scoping."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.forms import VERSION_MISSING
from recommendations.models import Evidence, HistoryEntry, Recommendation, Theme
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    admin_user,
    owner_user,
    reader_user,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:recommendations_recommendation_changelist")


def change_url(rec: Recommendation) -> str:
    return reverse("admin:recommendations_recommendation_change", args=[rec.pk])


def transition_url(rec: Recommendation) -> str:
    return reverse("admin:recommendations_recommendation_transition", args=[rec.pk])


# Management forms of the read-only inlines, which every POST of the change form carries.
READ_ONLY_INLINES = {
    "evidence-TOTAL_FORMS": "0",  # the submitted evidence, listed; new evidence is "evidence-2"
    "evidence-INITIAL_FORMS": "0",
    "history-TOTAL_FORMS": "0",
    "history-INITIAL_FORMS": "0",
    "citations-TOTAL_FORMS": "0",
    "citations-INITIAL_FORMS": "0",
}


def listed_codes(response) -> list[str]:
    return sorted(obj.code for obj in response.context["cl"].result_list)


@pytest.fixture
def mofa():
    return OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")


@pytest.fixture
def catalogue(mofa):
    other = OrganizationFactory(code="MIC", name="Bộ Thông tin và Truyền thông")
    doc_a = SourceDocumentFactory(key="002")
    doc_b = SourceDocumentFactory(key="004")
    today = timezone.localdate()
    security = ThemeFactory(slug="an-ninh-mang", name="An ninh mạng")
    items = {
        "NQ52-01": RecommendationFactory(
            code="NQ52-01",
            title="Xây dựng chiến lược ngoại giao số",
            source_document=doc_a,
            owner_organization=mofa,
            due_date=today - datetime.timedelta(days=5),
        ),
        "FPT-01": RecommendationFactory(
            code="FPT-01",
            title="Chiến lược ngoại giao công nghệ quốc gia",
            quote="Cần có chiến lược quốc gia về ngoại giao công nghệ.",
            source_document=doc_b,
            owner_organization=mofa,
            due_date=today + datetime.timedelta(days=20),
        ),
        "MIC-03": RecommendationFactory(
            code="MIC-03",
            title="Hợp tác ứng cứu sự cố an ninh mạng",
            quote="phát hiện, xử lý, ứng cứu, điều tra số khi xảy ra tấn công mạng xuyên biên giới",
            source_document=doc_b,
            owner_organization=other,
            due_date=today + datetime.timedelta(days=3),
        ),
    }
    items["MIC-03"].themes.add(security)
    for rec in items.values():
        rec.search_text = services.search_text_for(rec)
        rec.save(update_fields=["search_text"])
    return items


def test_list_shows_columns_for_every_item(client, catalogue):
    client.force_login(admin_user())
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_codes(response) == ["FPT-01", "MIC-03", "NQ52-01"]
    html = response.content.decode()
    for text in (
        "Xây dựng chiến lược ngoại giao số",
        "Bộ Ngoại giao",
        "Mới đề xuất",
        "Quá hạn",
        "Đang thực hiện trong hạn",
    ):
        assert text in html


def test_list_runs_a_fixed_number_of_queries(client, catalogue, django_assert_max_num_queries, mofa):
    user = admin_user()
    client.force_login(user)
    client.get(CHANGELIST)
    with django_assert_max_num_queries(20) as few:
        client.get(CHANGELIST)
    small = len(few.captured_queries)
    for n in range(30):
        RecommendationFactory(code=f"EXTRA-{n:02d}", owner_organization=mofa, owner=owner_user(mofa))
    with django_assert_max_num_queries(small) as many:
        client.get(CHANGELIST)
    assert len(many.captured_queries) == small


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ngoại giao số", ["NQ52-01"]),
        ("ngoai giao so", ["NQ52-01"]),
        ("NGOAI GIAO", ["FPT-01", "NQ52-01"]),
        ("điều tra số", ["MIC-03"]),
        ("dieu tra so", ["MIC-03"]),
        ("fpt-01", ["FPT-01"]),
        ("không có gì như vậy", []),
    ],
)
def test_search_matches_with_or_without_diacritics(client, catalogue, query, expected):
    client.force_login(admin_user())
    response = client.get(CHANGELIST, {"q": query})
    assert listed_codes(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "proposed"}, ["FPT-01", "MIC-03", "NQ52-01"]),
        ({"status__exact": "accepted"}, []),
        ({"timeliness": "overdue"}, ["NQ52-01"]),
        ({"timeliness": "in_time"}, ["FPT-01", "MIC-03"]),
        ({"timeliness": "done_late"}, []),
        ({"source_document__key": "004"}, ["FPT-01", "MIC-03"]),
        ({"owner_organization__code": "MIC"}, ["MIC-03"]),
        ({"themes__slug": "an-ninh-mang"}, ["MIC-03"]),
    ],
)
def test_filters(client, catalogue, params, expected):
    client.force_login(admin_user())
    # Admin filters take the related object's primary key; translate the readable keys.
    query = {}
    for key, value in params.items():
        if key == "source_document__key":
            query["source_document__id__exact"] = Recommendation.objects.get(
                code=expected[0]
            ).source_document_id
        elif key == "owner_organization__code":
            query["owner_organization__id__exact"] = catalogue["MIC-03"].owner_organization_id
        elif key == "themes__slug":
            query["themes__id__exact"] = Theme.objects.get(slug=value).pk
        else:
            query[key] = value
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    assert listed_codes(response) == expected


def test_change_page_shows_workflow_form_evidence_and_read_only_history(client, catalogue, mofa):
    rec = catalogue["NQ52-01"]
    user = owner_user(mofa)
    services.recommendation_transition(recommendation=rec, actor=user, to_status=Status.ACCEPTED)
    client.force_login(user)
    response = client.get(change_url(rec))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="workflow-form"' in html
    # Only the transitions allowed from "accepted" are offered.
    choices = [value for value, _label in response.context["transition_form"].fields["to_status"].choices]
    assert choices == ["in_progress", "blocked", "rejected"]
    # The raw status field is not an input of the change form.
    assert 'name="status"' not in html
    assert "Mới đề xuất" in html and "Đã tiếp nhận" in html  # history row from → to
    assert 'name="evidence-2-TOTAL_FORMS"' in html  # the form that adds evidence
    assert 'name="history-0-comment"' not in html


def test_workflow_form_moves_status_through_the_service(client, catalogue, mofa):
    rec = catalogue["NQ52-01"]
    user = owner_user(mofa)
    client.force_login(user)
    response = client.post(transition_url(rec), {"to_status": "accepted", "comment": "đồng ý", "version": 1})
    assert response.status_code == 302
    rec.refresh_from_db()
    assert rec.status == Status.ACCEPTED
    entry = rec.history.get(kind=HistoryEntry.Kind.STATUS)
    assert (entry.actor, entry.comment) == (user, "đồng ý")


def test_workflow_form_refusal_shows_the_reason_and_changes_nothing(client, catalogue, mofa):
    rec = catalogue["NQ52-01"]
    client.force_login(owner_user(mofa))
    response = client.post(
        transition_url(rec), {"to_status": "implemented", "comment": "", "version": 1}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("không hợp lệ" in m or "Không thể chuyển" in m for m in messages), messages
    rec.refresh_from_db()
    assert (rec.status, rec.version, rec.history.count()) == (Status.PROPOSED, 1, 0)


def test_workflow_form_with_stale_version_is_refused(client, catalogue, mofa):
    rec = catalogue["NQ52-01"]
    user = owner_user(mofa)
    services.recommendation_transition(recommendation=rec, actor=user, to_status=Status.ACCEPTED)
    client.force_login(user)
    response = client.post(
        transition_url(rec), {"to_status": "in_progress", "comment": "", "version": 1}, follow=True
    )
    assert any("phiên bản" in str(m) for m in response.context["messages"])
    rec.refresh_from_db()
    assert (rec.status, rec.version) == (Status.ACCEPTED, 2)


def listed_versions(recs) -> dict[str, str]:
    """What the bulk action's confirmation page sends back: the version it listed for each item."""
    return {f"version_{rec.pk}": str(rec.version) for rec in recs}


def test_bulk_action_transitions_each_item_and_reports_refusals(client, catalogue, mofa):
    user = owner_user(mofa)
    client.force_login(user)
    ids = [r.pk for r in catalogue.values()]
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": ids,
            "to_status": "accepted",
            "comment": "",
            "apply": "1",
            **listed_versions(catalogue.values()),
        },
        follow=True,
    )
    statuses = dict(Recommendation.objects.values_list("code", "status"))
    # MIC-03 belongs to another organization: refused, unchanged.
    assert statuses == {"NQ52-01": "accepted", "FPT-01": "accepted", "MIC-03": "proposed"}
    messages = [str(m) for m in response.context["messages"]]
    assert any("MIC-03" in m and "không có quyền" in m for m in messages), messages


def test_bulk_action_first_shows_a_confirmation_page(client, catalogue):
    client.force_login(admin_user())
    response = client.post(
        CHANGELIST, {"action": "transition_selected", "_selected_action": [catalogue["FPT-01"].pk]}
    )
    assert response.status_code == 200
    assert "FPT-01" in response.content.decode()
    assert Recommendation.objects.get(code="FPT-01").status == Status.PROPOSED


def test_the_bulk_action_refuses_an_item_changed_since_its_confirmation_page(client, catalogue, mofa):
    """No silent overwrite: a colleague's change made meanwhile stays, and the refusal names it."""
    client.force_login(admin_user())
    selected = [catalogue["NQ52-01"], catalogue["FPT-01"]]
    ids = [rec.pk for rec in selected]
    page = client.post(CHANGELIST, {"action": "transition_selected", "_selected_action": ids})
    shown = dict(re.findall(r'name="(version_\d+)" value="(\d+)"', page.content.decode()))
    assert shown == listed_versions(selected)
    services.recommendation_transition(
        recommendation=catalogue["FPT-01"],
        actor=owner_user(mofa),
        to_status="rejected",
        comment="Trùng NQ52-01",
    )
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": ids,
            "to_status": "accepted",
            "apply": "1",
            **shown,
        },
        follow=True,
    )
    statuses = dict(Recommendation.objects.filter(pk__in=ids).values_list("code", "status"))
    assert statuses == {"NQ52-01": "accepted", "FPT-01": "rejected"}
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("FPT-01: ") and "đã được người khác cập nhật" in m for m in messages), messages
    assert "Đã chuyển trạng thái 1 kiến nghị: NQ52-01." in messages


def test_the_bulk_action_refuses_items_whose_listed_version_is_missing(client, catalogue):
    client.force_login(admin_user())
    rec = catalogue["FPT-01"]
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": [rec.pk],
            "to_status": "accepted",
            "apply": "1",
        },
        follow=True,
    )
    rec.refresh_from_db()
    assert (rec.status, rec.version) == (Status.PROPOSED, 1)
    assert [str(m) for m in response.context["messages"]] == [f"FPT-01: {VERSION_MISSING}"]


def test_saving_the_change_form_goes_through_the_service_with_history(client, catalogue, mofa):
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    client.force_login(user)
    page = client.get(change_url(rec))
    form = page.context["adminform"].form
    data = {
        "title": "Chiến lược ngoại giao công nghệ (sửa)",
        "title_en": "",
        "priority": "high",
        "horizon": "2030",
        "owner": user.pk,
        "due_date": "2027-06-30",
        "progress": "10",
        "loaded_version": form.initial["loaded_version"],
        "evidence-2-TOTAL_FORMS": "0",
        "evidence-2-INITIAL_FORMS": "0",
        **READ_ONLY_INLINES,
    }
    response = client.post(change_url(rec), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rec.refresh_from_db()
    assert (rec.title, rec.owner, str(rec.due_date), rec.version) == (
        "Chiến lược ngoại giao công nghệ (sửa)",
        user,
        "2027-06-30",
        2,
    )
    entry = rec.history.get(kind=HistoryEntry.Kind.UPDATED)
    assert entry.changes["due_date"][1] == "2027-06-30"
    assert entry.actor == user


def test_stale_change_form_is_refused_and_nothing_is_overwritten(client, catalogue, mofa):
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    client.force_login(user)
    services.recommendation_update(recommendation=rec, actor=user, changes={"title": "Người khác sửa"})
    data = {
        "title": "Tôi sửa trên trang cũ",
        "priority": "medium",
        "progress": "0",
        "loaded_version": "1",
        "evidence-2-TOTAL_FORMS": "0",
        "evidence-2-INITIAL_FORMS": "0",
        **READ_ONLY_INLINES,
    }
    response = client.post(change_url(rec), data)
    assert response.status_code == 200
    assert "vừa được người khác cập nhật" in response.content.decode()
    rec.refresh_from_db()
    assert rec.title == "Người khác sửa"


def test_change_form_without_its_loaded_version_is_refused(client, catalogue, mofa):
    # A damaged or hand-made form: it could not be told apart from a stale one.
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    client.force_login(user)
    services.recommendation_update(recommendation=rec, actor=user, changes={"title": "Người khác sửa"})
    data = {
        "title": "Của tôi",
        "priority": "medium",
        "progress": "0",
        "evidence-2-TOTAL_FORMS": "0",
        "evidence-2-INITIAL_FORMS": "0",
        **READ_ONLY_INLINES,
    }
    response = client.post(change_url(rec), data)
    assert response.status_code == 200
    assert "không gửi kèm phiên bản đã tải" in response.content.decode()
    rec.refresh_from_db()
    assert (rec.title, rec.version) == ("Người khác sửa", 2)


def test_evidence_inline_adds_through_the_service(client, catalogue, mofa):
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    client.force_login(user)
    pdf = SimpleUploadedFile(
        "bao-cao.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )
    data = {
        "title": rec.title,
        "priority": "medium",
        "progress": "0",
        "loaded_version": "1",
        "evidence-2-TOTAL_FORMS": "1",
        "evidence-2-INITIAL_FORMS": "0",
        "evidence-2-0-kind": "file",
        "evidence-2-0-note": "Báo cáo kết quả",
        "evidence-2-0-url": "",
        "evidence-2-0-file": pdf,
        **READ_ONLY_INLINES,
    }
    response = client.post(change_url(rec), data)
    assert response.status_code == 302
    evidence = Evidence.objects.get(recommendation=rec)
    assert (evidence.kind, evidence.content_type, evidence.original_filename, evidence.submitted_by) == (
        "file",
        "application/pdf",
        "bao-cao.pdf",
        user,
    )
    assert rec.history.filter(kind=HistoryEntry.Kind.EVIDENCE_ADDED).count() == 1


def test_evidence_inline_rejects_a_disguised_file(client, catalogue, mofa):
    rec = catalogue["FPT-01"]
    client.force_login(owner_user(mofa))
    fake = SimpleUploadedFile("bao-cao.pdf", b"MZ\x90\x00 this is an executable", "application/pdf")
    data = {
        "title": rec.title,
        "priority": "medium",
        "progress": "0",
        "loaded_version": "1",
        "evidence-2-TOTAL_FORMS": "1",
        "evidence-2-INITIAL_FORMS": "0",
        "evidence-2-0-kind": "file",
        "evidence-2-0-file": fake,
        **READ_ONLY_INLINES,
    }
    response = client.post(change_url(rec), data)
    assert response.status_code == 200
    assert "Nội dung tệp không khớp" in response.content.decode()
    assert not Evidence.objects.exists()


def test_evidence_cannot_be_deleted_only_withdrawn_with_a_reason(client, catalogue, mofa):
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    evidence = services.evidence_add(recommendation=rec, actor=user, kind="link", url="https://mofa.gov.vn/x")
    client.force_login(admin_user())
    delete = client.post(
        reverse("admin:recommendations_evidence_delete", args=[evidence.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    client.force_login(user)
    empty = client.post(
        reverse("admin:recommendations_evidence_withdraw", args=[evidence.pk]), {"reason": ""}
    )
    assert empty.status_code == 200
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None
    client.post(
        reverse("admin:recommendations_evidence_withdraw", args=[evidence.pk]), {"reason": "sai đường dẫn"}
    )
    evidence.refresh_from_db()
    assert (evidence.withdrawn_by, evidence.withdrawal_reason) == (user, "sai đường dẫn")
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert rec.history.filter(kind=HistoryEntry.Kind.EVIDENCE_WITHDRAWN, comment="sai đường dẫn").count() == 1


def test_owner_sees_all_but_edits_only_own_organization(client, catalogue, mofa):
    user = owner_user(mofa)
    client.force_login(user)
    assert listed_codes(client.get(CHANGELIST)) == ["FPT-01", "MIC-03", "NQ52-01"]
    own = client.get(change_url(catalogue["NQ52-01"]))
    other = client.get(change_url(catalogue["MIC-03"]))
    assert own.context["has_change_permission"] is True
    assert other.status_code == 200
    assert other.context["has_change_permission"] is False
    assert 'id="workflow-form"' not in other.content.decode()
    # A direct POST to the other organization's item is refused and changes nothing.
    client.post(change_url(catalogue["MIC-03"]), {"title": "hijack", "priority": "low", "progress": "5"})
    refused = client.post(
        transition_url(catalogue["MIC-03"]), {"to_status": "accepted", "version": 1}, follow=True
    )
    assert any("không có quyền" in str(m) for m in refused.context["messages"])
    mic = Recommendation.objects.get(code="MIC-03")
    assert (mic.title, mic.status, mic.version) == ("Hợp tác ứng cứu sự cố an ninh mạng", "proposed", 1)


def test_owner_cannot_move_an_item_to_another_organization(client, catalogue, mofa):
    colleague = owner_user(mofa)
    outsider = owner_user(catalogue["MIC-03"].owner_organization)
    client.force_login(owner_user(mofa))
    form = client.get(change_url(catalogue["NQ52-01"])).context["adminform"].form
    assert "owner_organization" not in form.fields
    # The owner can be chosen only among the organization's own people.
    choices = set(form.fields["owner"].queryset)
    assert colleague in choices and outsider not in choices


def test_reader_is_read_only(client, catalogue):
    client.force_login(reader_user())
    response = client.get(change_url(catalogue["NQ52-01"]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'id="workflow-form"' not in response.content.decode()
    assert client.get(reverse("admin:recommendations_recommendation_add")).status_code == 403
    client.post(transition_url(catalogue["NQ52-01"]), {"to_status": "accepted", "version": 1})
    assert Recommendation.objects.get(code="NQ52-01").status == Status.PROPOSED


def test_nobody_can_delete_a_recommendation(client, catalogue):
    client.force_login(admin_user())
    rec = catalogue["NQ52-01"]
    response = client.post(
        reverse("admin:recommendations_recommendation_delete", args=[rec.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Recommendation.objects.filter(pk=rec.pk).exists()


def test_admin_is_vietnamese_by_default_and_english_on_request(client, catalogue):
    client.force_login(admin_user())
    # A browser that prefers English still gets Vietnamese until the person chooses otherwise.
    vi = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Mới đề xuất" in vi and "kiến nghị" in vi.lower()
    client.post(reverse("set_language"), {"language": "en", "next": CHANGELIST})
    en = client.get(CHANGELIST).content.decode()
    assert "Proposed" in en


def test_a_users_preferred_language_is_their_default(client, catalogue):
    client.force_login(admin_user(preferred_language="en"))
    assert "Proposed" in client.get(CHANGELIST).content.decode()
    client.cookies["django_language"] = "vi"
    assert "Mới đề xuất" in client.get(CHANGELIST).content.decode()


@pytest.fixture
def submitted_pdf(catalogue, mofa, settings, tmp_path):
    """FPT-01's owner has submitted bao-cao.pdf: (the evidence, its owner, its admin download URL)."""
    settings.MEDIA_ROOT = tmp_path
    user = owner_user(mofa)
    pdf = SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    evidence = services.evidence_add(recommendation=catalogue["FPT-01"], actor=user, kind="file", file=pdf)
    return evidence, user, reverse("admin:recommendations_evidence_download", args=[evidence.pk])


def test_a_withdrawn_file_is_named_but_downloaded_by_administrators_only(client, submitted_pdf):
    evidence, user, download = submitted_pdf
    change = reverse("admin:recommendations_evidence_change", args=[evidence.pk])
    client.force_login(user)
    assert client.get(download).status_code == 200
    services.evidence_withdraw(evidence=evidence, actor=user, reason="Nhầm tài liệu")

    assert client.get(download).status_code == 403
    page = client.get(change).content.decode()
    assert "bao-cao.pdf" in page and download not in page
    client.force_login(admin_user())
    assert client.get(download).status_code == 200
    assert download in client.get(change).content.decode()


def test_the_items_page_links_submitted_files_to_the_download_view(client, submitted_pdf, settings):
    evidence, user, download = submitted_pdf
    rec = evidence.recommendation
    evidence_page = reverse("admin:recommendations_evidence_change", args=[evidence.pk])

    client.force_login(user)
    page = client.get(change_url(rec)).content.decode()
    assert f'href="{download}"' in page and settings.MEDIA_URL not in page
    assert evidence_page in page  # where it is withdrawn
    assert 'name="evidence-2-TOTAL_FORMS"' in page  # and the owner may add more

    client.force_login(reader_user())
    page = client.get(change_url(rec)).content.decode()
    assert f'href="{download}"' in page
    assert 'name="evidence-2-TOTAL_FORMS"' not in page  # a reader adds nothing

    services.evidence_withdraw(evidence=evidence, actor=user, reason="Nhầm tài liệu")
    for viewer, linked in ((user, False), (reader_user(username="reader2"), False), (admin_user(), True)):
        client.force_login(viewer)
        page = client.get(change_url(rec)).content.decode()
        assert "bao-cao.pdf" in page
        assert (f'href="{download}"' in page) is linked, viewer


def as_rendered(form, **changes) -> dict:
    """The change form's POST as a browser sends it for the page as rendered, with ``changes``."""
    editable = ("title", "title_en", "priority", "horizon", "due_date", "progress", "owner_organization")
    return {
        **{
            name: "" if form[name].value() is None else form[name].value()
            for name in editable
            if name in form.fields
        },
        "loaded_version": form.initial["loaded_version"],
        "evidence-2-TOTAL_FORMS": "0",
        "evidence-2-INITIAL_FORMS": "0",
        **READ_ONLY_INLINES,
        **changes,
    }


@pytest.mark.parametrize("editor_role", ["owner", "administrator"])
@pytest.mark.parametrize("since", ["deactivated", "moved to another organization"])
def test_an_owner_no_longer_choosable_stays_in_charge_when_the_item_is_saved(
    client, catalogue, mofa, editor_role, since
):
    """Left out of the select, the browser would post no owner, and a title-only save would
    clear the person in charge without anyone choosing to."""
    rec = catalogue["FPT-01"]
    person = owner_user(mofa, username="departed")
    services.recommendation_update(recommendation=rec, actor=admin_user(), changes={"owner": person})
    if since == "deactivated":
        person.is_active = False
    else:
        person.organization = OrganizationFactory(code="VTL")
    person.save()
    client.force_login(owner_user(mofa) if editor_role == "owner" else admin_user())
    page = client.get(change_url(rec))
    owner_field = page.context["adminform"].form["owner"]
    assert owner_field.value() == person.pk
    assert f'<option value="{person.pk}" selected>' in str(owner_field)
    form = page.context["adminform"].form
    # What the browser posts for the select as rendered: the person still selected.
    data = as_rendered(form, title="Chỉ sửa tiêu đề", owner=person.pk)
    response = client.post(change_url(rec), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rec.refresh_from_db()
    assert (rec.title, rec.owner) == ("Chỉ sửa tiêu đề", person)
    assert "owner" not in rec.history.filter(kind=HistoryEntry.Kind.UPDATED).latest("id").changes
    # Not a choice on another item of the organization (an administrator may still pick a moved,
    # active person, whom the owner check then refuses).
    other_choices = client.get(change_url(catalogue["NQ52-01"])).context["adminform"].form.fields["owner"]
    assert (person in other_choices.queryset) == (since != "deactivated" and editor_role == "administrator")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("typed", "saved"),
    [("05/06/2027", "2027-06-05"), ("30-06-2027", "2027-06-30"), ("2027-06-30", "2027-06-30")],
)
def test_a_due_date_is_read_day_first_as_typed_in_vietnam(client, catalogue, mofa, language, typed, saved):
    """Django's default input formats read "05/06/2027" month-first: 6 May, a month off."""
    rec = catalogue["FPT-01"]
    user = owner_user(mofa, preferred_language=language)
    client.force_login(user)
    form = client.get(change_url(rec)).context["adminform"].form
    data = as_rendered(form, owner="", due_date=typed)
    response = client.post(change_url(rec), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rec.refresh_from_db()
    assert str(rec.due_date) == saved
