"""Forms of the admin's workflow, evidence, import and withdrawal pages, and of a person's own
preferences."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Evidence, Recommendation, User
from .workflow import Status, allowed_targets


class RecommendationAdminForm(forms.ModelForm):
    """The change form carries the version it was loaded at, so a stale save is refused."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The service's refusal of this very post, set by the admin on the form class it makes for the
    # request (RecommendationAdmin.get_form); keys are fields of the form or NON_FIELD_ERRORS.
    refusal: ValidationError | None = None

    class Meta:
        model = Recommendation
        fields = (
            "code",
            "title",
            "title_en",
            "quote",
            "themes",
            "priority",
            "horizon",
            "source_document",
            "source_location",
            "source_paragraph",
            "proposer_person",
            "proposer_organization",
            "addressed_to",
            "owner_organization",
            "owner",
            "due_date",
            "progress",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("loaded_version", self.instance.version)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.refusal is not None:
            # Shown again with the reason, so nothing typed is lost; invalid, so nothing is saved.
            self.add_error(None, self.refusal)
            return self.cleaned_data
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is None and "loaded_version" not in self.errors:
            # The page always sends it; without it nothing tells a stale save from a fresh one.
            raise ValidationError(
                _(
                    "Trang không gửi kèm phiên bản đã tải nên không thể biết kiến nghị có vừa bị "
                    "người khác sửa hay không. Hãy tải lại trang; thay đổi của bạn chưa được lưu."
                ),
                code="version_missing",
            )
        if self.instance.pk and loaded is not None:
            current = Recommendation.objects.values_list("version", flat=True).get(pk=self.instance.pk)
            if current != loaded:
                raise ValidationError(
                    _(
                        "Kiến nghị này vừa được người khác cập nhật (phiên bản %(current)s, trang của bạn "
                        "là phiên bản %(loaded)s). Hãy tải lại trang; thay đổi của bạn chưa được lưu."
                    )
                    % {"current": current, "loaded": loaded},
                    code="stale",
                )
        if self.instance.pk and not {"owner", "owner_organization"} & set(self.changed_data):
            # As the service: the pair is checked when it changes. A person in charge who has since
            # left or moved does not block other edits (evidence, a new due date).
            return cleaned
        owner = cleaned.get("owner", self.instance.owner if self.instance.pk else None)
        organization = cleaned.get(
            "owner_organization", self.instance.owner_organization if self.instance.pk else None
        )
        try:
            services.validate_owner(owner=owner, owner_organization=organization)
        except ValidationError as error:
            if "owner" in self.fields:
                self.add_error("owner", error.message_dict["owner"])
            else:
                raise ValidationError(error.message_dict["owner"]) from error
        return cleaned


class EvidenceInlineForm(forms.ModelForm):
    url = forms.URLField(label=_("đường dẫn"), max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = Evidence
        fields = ("kind", "note", "url", "file")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk or not self.has_changed():
            return cleaned
        try:
            services.evidence_validate(
                kind=cleaned.get("kind") or "",
                note=cleaned.get("note") or "",
                url=cleaned.get("url") or "",
                file=cleaned.get("file"),
            )
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                self.add_error(field_name if field_name in self.fields else None, messages)
        return cleaned


# The workflow form's version is a hidden field: without a usable one the page is out of date or
# damaged, and only reloading it helps.
VERSION_MISSING = _(
    "Biểu mẫu không cho biết phiên bản của kiến nghị, nên không thể biết kiến nghị có vừa được người "
    "khác thay đổi hay không. Hãy tải lại trang rồi thử lại; chưa có gì bị thay đổi."
)


# The status to move to, in the single and the bulk status change alike.
TARGET_STATUS_ERRORS = {
    "required": _("Hãy chọn trạng thái muốn chuyển sang."),
    "invalid_choice": _("Trạng thái đã chọn không có trong quy trình. Hãy tải lại trang rồi thử lại."),
}


class TransitionForm(forms.Form):
    """The item page's workflow form.

    Shown with ``current_status``, it offers only the targets allowed from it. Bound to a POST,
    build it without ``current_status``: it then takes any status of the workflow and leaves the
    rules to ``services.recommendation_transition``, which checks the version first. A user whose
    page is out of date (someone else has moved the item, so their target may no longer be
    offered) is then told so and asked to reload, rather than that their choice is invalid.
    """

    to_status = forms.ChoiceField(
        label=_("Chuyển sang"),
        error_messages=TARGET_STATUS_ERRORS,
    )
    comment = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": VERSION_MISSING, "invalid": VERSION_MISSING},
    )

    def __init__(self, *args: Any, current_status: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = allowed_targets(current_status) if current_status else list(Status)
        field = self.fields["to_status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 -- declared above
        field.choices = [(s.value, s.label) for s in targets]

    def draft(self) -> dict[str, str]:
        """What was chosen and typed, as posted: to fill the form in again after a refusal."""
        return {name: str(self.data.get(name, "")) for name in ("to_status", "comment")}

    def error_message(self) -> str:
        """The errors as one message for the user, without field names. A page without a usable
        version is out of date: reloading it is all they need to know."""
        names = ["version"] if "version" in self.errors else list(self.errors)
        return " ".join(str(message) for name in names for message in self.errors[name])


class BulkTransitionForm(forms.Form):
    """The confirmation page also carries, per item, the version it listed (``version_<pk>``):
    an item changed by someone else since then is refused, not moved on top of their change.

    Nothing is chosen at first: a preselected status (the first of the list, "Mới đề xuất") would
    be applied by a careless click. Shown with ``current_statuses``, the statuses
    of the selected items, it offers only those that at least one of them may move to; bound to a
    POST it takes any status of the workflow, and the service decides for each item.
    """

    to_status = forms.ChoiceField(
        label=_("Chuyển sang"),
        error_messages=TARGET_STATUS_ERRORS,
    )
    comment = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, current_statuses: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = list(Status)
        if current_statuses is not None:
            reachable = {target for status in set(current_statuses) for target in allowed_targets(status)}
            targets = [status for status in Status if status in reachable]
        field = self.fields["to_status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 -- declared above
        field.choices = [("", "---------"), *((s.value, s.label) for s in targets)]

    def listed_version(self, pk: int) -> int | None:
        """The version of item ``pk`` that the confirmation page showed; None if it sent none."""
        value = self.data.get(f"version_{pk}", "")
        return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp CSV hoặc XLSX"))


class WithdrawEvidenceForm(forms.Form):
    reason = forms.CharField(label=_("Lý do rút minh chứng"), widget=forms.Textarea(attrs={"rows": 3}))


class MyPreferencesForm(forms.Form):
    """What a signed-in person sets for themself (``services.user_preferences_update``). A plain
    form rather than a ModelForm on ``request.user``: validating one would already change the
    signed-in user's attributes, before the service decides anything."""

    required_css_class = "required"  # the admin's bold label

    preferred_language = forms.ChoiceField(
        label=capfirst(User._meta.get_field("preferred_language").verbose_name),
        choices=settings.LANGUAGES,
        help_text=_(
            "Ngôn ngữ của trang quản trị và của thư gửi cho bạn. Menu ngôn ngữ ở góc trên chỉ đổi "
            "giao diện trên trình duyệt đang dùng, cho đến lần lưu tùy chọn tiếp theo."
        ),
    )
    receives_weekly_digest = forms.BooleanField(
        label=capfirst(User._meta.get_field("receives_weekly_digest").verbose_name),
        required=False,
        help_text=_(
            "Mỗi tuần một thư liệt kê các kiến nghị chưa hoàn thành do bạn phụ trách; không có kiến "
            "nghị nào như vậy thì không có thư."
        ),
    )
