"""Bad input gets a clear error and nothing is lost: when the services refuse what was posted on an
item's page, the page comes back with what the user typed, and the reason beside it."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recommendations import services
from recommendations.errors import NotPermitted
from recommendations.models import Evidence, HistoryEntry, Recommendation
from recommendations.workflow import Status
from tests import test_admin
from tests.factories import SourceDocumentFactory, admin_user, owner_user
from tests.test_admin import READ_ONLY_INLINES, as_rendered, change_url, transition_url

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:recommendations_recommendation_add")

mofa = test_admin.mofa
catalogue = test_admin.catalogue


def draft_key(rec: Recommendation) -> str:
    return f"recommendations:transition_draft:{rec.pk}"


def snapshot(rec: Recommendation) -> tuple:
    rec.refresh_from_db()
    return (rec.title, rec.due_date, rec.version, rec.status, rec.history.count())


# --- The change form ------------------------------------------------------------------------------


@pytest.fixture
def implemented(catalogue, mofa):
    """FPT-01, implemented (with a link as evidence) by its owner, who is logged in."""
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    services.evidence_add(recommendation=rec, actor=user, kind="link", url="https://mofa.gov.vn/x")
    for status in (Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED):
        services.recommendation_transition(recommendation=rec, actor=user, to_status=status)
    rec.refresh_from_db()
    return rec, user


def posted_page(client, rec: Recommendation, **changes):
    form = client.get(change_url(rec)).context["adminform"].form
    data = as_rendered(form, owner=form["owner"].value() or "", **changes)
    return client.post(change_url(rec), data)


def test_a_refused_due_date_comes_back_beside_its_field_with_the_rest_of_the_post(client, implemented):
    rec, user = implemented
    client.force_login(user)
    before = snapshot(rec)
    new_title = "Chiến lược ngoại giao công nghệ — bản sửa của tôi"

    response = posted_page(client, rec, title=new_title, priority="high", due_date="31/12/2030")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["due_date"], form.errors
    assert "Không thay đổi được khi kiến nghị đã ở trạng thái “Đã thực hiện”" in form.errors["due_date"][0]
    html = response.content.decode()
    # Beside the field, in the admin's own markup for a field in error.
    row = html[html.index('<div class="form-row errors field-due_date">') :]
    row = row[: row.index('<div class="form-row', 1)]
    assert "Không thay đổi được khi kiến nghị" in row
    # What was typed is still in the inputs.
    assert (form["title"].value(), form["priority"].value(), form["due_date"].value()) == (
        new_title,
        "high",
        "31/12/2030",
    )
    assert f'value="{new_title}"' in html
    assert 'value="31/12/2030"' in html
    # Nothing was saved, and nothing written by the page shown again.
    assert snapshot(rec) == before
    assert not rec.history.filter(kind=HistoryEntry.Kind.UPDATED).exists()
    assert not LogEntry.objects.exists()  # the admin's "Recent actions"


def test_the_post_shown_again_can_then_be_saved_once_corrected(client, implemented):
    rec, user = implemented
    client.force_login(user)
    version = rec.version
    response = posted_page(client, rec, title="Tiêu đề mới", due_date="31/12/2030")
    form = response.context["adminform"].form
    data = as_rendered(form, owner=form["owner"].value() or "", due_date=rec.due_date.strftime("%d/%m/%Y"))

    assert client.post(change_url(rec), data).status_code == 302
    rec.refresh_from_db()
    assert (rec.title, rec.version) == ("Tiêu đề mới", version + 1)


def test_new_evidence_in_a_refused_post_is_validated_again_and_not_saved(
    client, implemented, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    rec, user = implemented
    client.force_login(user)
    before = snapshot(rec)
    pdf = SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    response = posted_page(
        client,
        rec,
        due_date="31/12/2030",
        **{
            "evidence-2-TOTAL_FORMS": "1",
            "evidence-2-0-kind": "file",
            "evidence-2-0-note": "Báo cáo kết quả",
            "evidence-2-0-file": pdf,
        },
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["due_date"]
    # The upload passed its checks again (read from its start), so the only error is the refusal.
    (evidence_formset,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "evidence-2"
    ]
    assert evidence_formset.formset.is_valid(), evidence_formset.formset.errors
    assert evidence_formset.formset.forms[0]["note"].value() == "Báo cáo kết quả"
    assert Evidence.objects.filter(recommendation=rec).count() == 1  # the link only
    assert list(tmp_path.rglob("*.pdf")) == []
    assert snapshot(rec) == before


def test_a_save_raced_by_someone_else_keeps_the_post_and_says_so_above_the_form(
    client, catalogue, mofa, monkeypatch
):
    """Someone else's save lands between the form's version check and the service's lock: the
    service refuses (StaleVersion, a DomainError) and the post comes back with its reason."""
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    client.force_login(user)
    before = snapshot(rec)
    update = services.recommendation_update

    def raced_update(**kwargs):
        update(recommendation=kwargs["recommendation"], actor=admin_user(), changes={"title": "Người khác"})
        return update(**kwargs)

    monkeypatch.setattr(services, "recommendation_update", raced_update)

    response = posted_page(client, rec, title="Tôi sửa", due_date="31/12/2030")

    assert response.status_code == 200
    form = response.context["adminform"].form
    (error,) = form.non_field_errors()
    assert "đã được người khác cập nhật" in error
    assert error in response.content.decode()
    assert (form["title"].value(), form["due_date"].value()) == ("Tôi sửa", "31/12/2030")
    assert snapshot(rec) == before


def test_a_field_the_form_does_not_have_is_named_above_the_form(client, catalogue, mofa, monkeypatch):
    rec = catalogue["FPT-01"]
    client.force_login(owner_user(mofa))

    def refuse(**kwargs):
        raise ValidationError({"status": "Không được.", "comment": "Ghi chú thừa."})

    monkeypatch.setattr(services, "recommendation_update", refuse)
    response = posted_page(client, rec, title="Tôi sửa")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["Trạng thái: Không được.", "Ghi chú thừa."]
    assert form["title"].value() == "Tôi sửa"


# --- The add form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refusal", "where", "message"),
    [
        (ValidationError({"due_date": "Hạn này không được."}), "due_date", "Hạn này không được."),
        (NotPermitted("Chỉ quản trị viên mới được thêm kiến nghị mới."), "__all__", "Chỉ quản trị viên"),
    ],
)
def test_a_refused_new_item_comes_back_as_typed(client, mofa, monkeypatch, refusal, where, message):
    def refuse(**kwargs):
        raise refusal

    monkeypatch.setattr(services, "recommendation_create", refuse)
    client.force_login(admin_user())
    document = SourceDocumentFactory(key="007")
    data = {
        "code": "NQ52-09",
        "title": "Kiến nghị mới của tôi",
        "title_en": "",
        "quote": "Trích dẫn đã gõ.",
        "priority": "high",
        "horizon": "2030",
        "source_document": document.pk,
        "owner_organization": mofa.pk,
        "due_date": "31/12/2030",
        **READ_ONLY_INLINES,
    }

    response = client.post(ADD_URL, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == [where]
    assert message in form.errors[where][0]
    assert (form["code"].value(), form["title"].value(), form["quote"].value()) == (
        "NQ52-09",
        "Kiến nghị mới của tôi",
        "Trích dẫn đã gõ.",
    )
    assert not Recommendation.objects.filter(code="NQ52-09").exists()
    assert not HistoryEntry.objects.exists()


# --- The workflow form ----------------------------------------------------------------------------


@pytest.fixture
def in_progress(catalogue, mofa):
    """FPT-01 in progress, without evidence; its owner is logged in."""
    rec = catalogue["FPT-01"]
    user = owner_user(mofa)
    for status in (Status.ACCEPTED, Status.IN_PROGRESS):
        services.recommendation_transition(recommendation=rec, actor=user, to_status=status)
    rec.refresh_from_db()
    return rec, user


COMMENT = "Đã ban hành chiến lược; quyết định số 12/QĐ-BNG"


def test_a_refused_transition_comes_back_with_the_status_and_comment_once(client, in_progress):
    rec, user = in_progress
    client.force_login(user)
    before = snapshot(rec)

    response = client.post(
        transition_url(rec),
        {"to_status": "implemented", "comment": COMMENT, "version": rec.version},
        follow=True,
    )

    assert response.redirect_chain == [(change_url(rec), 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Cần ít nhất một minh chứng trước khi đánh dấu FPT-01 là đã thực hiện."]
    form = response.context["transition_form"]
    assert (form["to_status"].value(), form["comment"].value()) == ("implemented", COMMENT)
    assert form["version"].value() == rec.version
    html = response.content.decode()
    workflow = html[
        html.index('id="workflow-form"') : html.index("</form>", html.index('id="workflow-form"'))
    ]
    assert '<option value="implemented" selected>' in workflow
    assert f"{COMMENT}</textarea>" in workflow
    assert snapshot(rec) == before

    # Shown once: the next visit starts afresh.
    again = client.get(change_url(rec))
    assert draft_key(rec) not in client.session
    form = again.context["transition_form"]
    assert (form["to_status"].value(), form["comment"].value()) == (None, None)
    assert COMMENT not in again.content.decode()


def test_a_transition_refused_as_invalid_keeps_what_was_typed_too(client, in_progress):
    rec, user = in_progress
    client.force_login(user)
    response = client.post(transition_url(rec), {"to_status": "blocked", "comment": COMMENT}, follow=True)
    (message,) = (str(m) for m in response.context["messages"])
    assert "tải lại" in message
    form = response.context["transition_form"]
    assert (form["to_status"].value(), form["comment"].value()) == ("blocked", COMMENT)


def test_a_draft_is_for_its_own_item_only(client, catalogue, in_progress):
    rec, user = in_progress
    client.force_login(user)
    client.post(transition_url(rec), {"to_status": "implemented", "comment": COMMENT, "version": rec.version})
    other = client.get(change_url(catalogue["NQ52-01"]))
    assert other.context["transition_form"]["comment"].value() is None
    assert client.get(change_url(rec)).context["transition_form"]["comment"].value() == COMMENT


def test_a_successful_transition_leaves_no_draft(client, in_progress):
    rec, user = in_progress
    client.force_login(user)
    # Refused first, and the page not shown again (another tab); then done.
    client.post(transition_url(rec), {"to_status": "blocked", "comment": "", "version": rec.version})
    assert draft_key(rec) in client.session
    response = client.post(
        transition_url(rec), {"to_status": "blocked", "comment": COMMENT, "version": rec.version}, follow=True
    )
    assert [str(m) for m in response.context["messages"]][-1] == "Đã chuyển FPT-01 sang “Vướng mắc”."
    assert draft_key(rec) not in client.session
    form = response.context["transition_form"]
    assert (form["to_status"].value(), form["comment"].value()) == (None, None)
    rec.refresh_from_db()
    assert rec.status == Status.BLOCKED


def test_the_refusal_stays_with_its_request(client, implemented):
    """The refusal belongs to the request, not to the admin (shared by every request): the next
    display of the page is clean."""
    rec, user = implemented
    client.force_login(user)
    posted_page(client, rec, due_date="31/12/2030")
    assert not client.get(change_url(rec)).context["adminform"].form.errors
