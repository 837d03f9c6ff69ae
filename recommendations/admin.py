"""Django admin: the ministry staff's main tool.

Thin by design: every change goes through ``services`` (status only through the workflow form and
action, evidence through ``evidence_add``/``evidence_withdraw``), object-level rules come from
``roles``, reads from ``selectors``.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from . import roles, selectors, services
from .downloads import evidence_file_response
from .errors import DomainError
from .forms import (
    VERSION_MISSING,
    BulkTransitionForm,
    EvidenceInlineForm,
    ImportForm,
    RecommendationAdminForm,
    TransitionForm,
    WithdrawEvidenceForm,
)
from .history import change_lines
from .models import (
    Citation,
    Evidence,
    HistoryEntry,
    Organization,
    Recommendation,
    ReminderDelivery,
    SourceDocument,
    Theme,
    User,
)
from .tabular import EXPORT_COLUMNS, TableError, read_table, recommendation_export_rows, write_csv, write_xlsx
from .workflow import Status, Timeliness, allowed_targets

admin.site.site_header = gettext_lazy("Theo dõi kiến nghị ngoại giao số")
admin.site.site_title = gettext_lazy("Theo dõi kiến nghị")
admin.site.index_title = gettext_lazy("Quản trị")


class RoleAwareAdmin(admin.ModelAdmin):
    """Every member of a role may look; model permissions decide the rest."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_view(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.can_view(request.user) or super().has_module_permission(request)

    def _not_found_for_other_ids(self, *views: str) -> list[URLPattern]:
        """Routes answering 404 to ``<anything but a number>/<view>/``, for the views of this admin
        that take an ``<int:object_id>``. Without them a hand-edited id would fall through to the
        admin's own ``<path:object_id>/`` route, which redirects to a change page of nothing."""
        return [path(f"<path:object_id>/{view}/", self.admin_site.admin_view(_not_found)) for view in views]


def _not_found(request: HttpRequest, object_id: str) -> HttpResponse:
    raise Http404


class FoldedSearchAdmin(admin.ModelAdmin):
    """Search of a small table that matches with or without diacritics: ``search_fields`` (plain
    field names) are read and folded in Python by ``selectors.folded_search_in_python``, so the
    table needs no stored folded column. The autocomplete views search through here too."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        fields = self.get_search_fields(request)
        return selectors.folded_search_in_python(queryset, search_term, fields), False


class TimelinessFilter(admin.SimpleListFilter):
    title = gettext_lazy("tiến độ so với hạn")
    parameter_name = "timeliness"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in Timeliness.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value in Timeliness.values:
            return queryset.filter(selectors.timeliness_filter(value))
        return queryset


class WithdrawnFilter(admin.SimpleListFilter):
    # Django's filter for an empty date would offer "Rỗng / Không rỗng" (empty / not empty).
    title = gettext_lazy("đã rút")
    parameter_name = "withdrawn"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", gettext_lazy("Chưa rút")), ("yes", gettext_lazy("Đã rút"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        if self.value() in ("no", "yes"):
            return queryset.filter(withdrawn_at__isnull=self.value() == "no")
        return queryset


class EvidenceInline(admin.TabularInline):
    """The form that adds evidence to an item; what was submitted is listed by ``SubmittedEvidenceInline``
    (read-only, with files linked to the download view rather than to unserved media)."""

    model = Evidence
    form = EvidenceInlineForm
    fields = ("kind", "note", "url", "file")
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("thêm minh chứng")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).none()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shown only to those who may add: for anyone else it would be an empty table.
        return self.has_add_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and roles.can_edit_recommendation(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Submitted evidence is never edited in place; it can only be withdrawn, with a reason.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_view(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubmittedEvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("kind", "note", "url", "file_cell", "submitted_by", "submitted_at", "withdrawn_at")
    readonly_fields = fields
    ordering = ("submitted_at", "id")
    show_change_link = True  # the evidence's own page, where it is withdrawn
    verbose_name_plural = gettext_lazy("minh chứng đã nộp (rút minh chứng ở trang của từng minh chứng)")
    viewer: Any = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        # The admin makes its inline instances per request (get_inline_instances), so the viewer
        # kept here is this request's, for the file column.
        self.viewer = request.user
        return super().get_queryset(request).select_related("submitted_by")

    @admin.display(description=gettext_lazy("tệp"))
    def file_cell(self, obj: Evidence) -> str:
        return _evidence_file_cell(self.viewer, obj)


class HistoryChangesDisplay:
    @admin.display(description=gettext_lazy("thay đổi"))
    def history_changes(self, entry: HistoryEntry) -> str:
        """The recorded ``[old, new]`` values as "label: old → new" lines rather than raw JSON."""
        lines = change_lines(entry)
        if not lines:
            return "—"
        items = format_html_join(
            "", "<li><strong>{}</strong>: {}</li>", ((line.label, line.text) for line in lines)
        )
        return format_html('<ul class="history-changes">{}</ul>', items)


class HistoryInline(HistoryChangesDisplay, ReadOnlyInline):
    model = HistoryEntry
    fields = ("created_at", "kind", "from_status", "to_status", "actor", "comment", "history_changes")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[HistoryEntry]:
        return super().get_queryset(request).select_related("actor")


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = ("source_document", "location", "paragraph", "quote")
    readonly_fields = fields
    ordering = ("paragraph",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Citation]:
        return super().get_queryset(request).select_related("source_document")


PROVENANCE_FIELDS = (
    "code",
    "quote",
    "source_document",
    "source_location",
    "source_paragraph",
    "proposer_person",
    "proposer_organization",
    "addressed_to",
    "related",
    "decision_note",
)
WORKFLOW_FIELDS = ("status", "progress_bar", "timeliness_label", "completed_at", "implemented_by", "version")


@admin.register(Recommendation)
class RecommendationAdmin(RoleAwareAdmin):
    form = RecommendationAdminForm
    list_display = (
        "code",
        "title",
        "owner_organization",
        "owner",
        "status_label",
        "due_date",
        "timeliness_label",
        "progress_bar",
    )
    list_display_links = ("code", "title")
    list_filter = (
        "status",
        TimelinessFilter,
        "source_document",
        "owner_organization",
        "themes",
        "priority",
    )
    search_fields = ("code",)  # the search itself is diacritic-insensitive, see get_search_results
    search_help_text = gettext_lazy("Tìm theo mã, tiêu đề, trích dẫn — có dấu hay không dấu đều được.")
    list_per_page = 50
    inlines = (SubmittedEvidenceInline, EvidenceInline, HistoryInline, CitationInline)
    actions = ("export_csv", "export_xlsx", "transition_selected")
    change_form_template = "admin/recommendations/recommendation/change_form.html"
    change_list_template = "admin/recommendations/recommendation/change_list.html"

    # --- reads ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recommendation]:
        return selectors.recommendation_list()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Recommendation], search_term: str
    ) -> tuple[QuerySet[Recommendation], bool]:
        return selectors.recommendation_search(queryset, search_term), False

    @admin.display(description=gettext_lazy("trạng thái"), ordering="status")
    def status_label(self, obj: Recommendation) -> str:
        return format_html('<span class="status status-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=gettext_lazy("tiến độ so với hạn"))
    def timeliness_label(self, obj: Recommendation) -> str:
        value = getattr(obj, "timeliness_value", None) or obj.timeliness
        return str(Timeliness(value).label) if value else "—"

    @admin.display(description=gettext_lazy("tiến độ"), ordering="progress")
    def progress_bar(self, obj: Recommendation) -> str:
        return format_html('<progress max="100" value="{}"></progress> {}%', obj.progress, obj.progress)

    # --- permissions ---

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return super().has_change_permission(request) or roles.is_owner_role(request.user)
        return roles.can_edit_recommendation(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return roles.can_create_recommendation(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Recommendations, like their evidence and history, are never deleted: reject them instead.
        return False

    # --- the form ---

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return (
                (None, {"fields": ("code", "title", "title_en", "quote", "themes", "priority", "horizon")}),
                (
                    _("Nguồn"),
                    {
                        "fields": (
                            "source_document",
                            "source_location",
                            "source_paragraph",
                            "proposer_person",
                            "proposer_organization",
                            "addressed_to",
                        )
                    },
                ),
                (_("Phụ trách"), {"fields": ("owner_organization", "owner", "due_date")}),
            )
        return (
            (None, {"fields": ("code", "title", "title_en", "themes", "priority", "horizon")}),
            (
                _("Phụ trách và tiến độ"),
                {"fields": ("owner_organization", "owner", "due_date", "progress", *WORKFLOW_FIELDS)},
            ),
            (
                _("Nguồn"),
                {"fields": PROVENANCE_FIELDS[1:]},
            ),
            (None, {"fields": ("loaded_version",), "classes": ("hidden",)}),
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "owner" in form.base_fields:
            # Owners pick among the active people of the item's organization.
            choosable = Q(is_active=True)
            if obj is not None and not roles.is_administrator(request.user):
                choosable &= Q(organization_id=obj.owner_organization_id)
            if obj is not None and obj.owner_id is not None:
                # The current owner stays a choice even once deactivated or moved elsewhere: left
                # out, the select would post nothing and any save would clear the person in charge.
                choosable |= Q(pk=obj.owner_id)
            people = User.objects.filter(choosable).order_by("last_name", "first_name", "username")
            form.base_fields["owner"].queryset = people  # type: ignore[attr-defined]
        refusal = getattr(request, SERVICE_REFUSAL, None)
        if refusal is not None:
            # A class made for this request (modelform_factory makes one per call): see changeform_view.
            form.refusal = _as_form_errors(refusal, form.base_fields, Recommendation)  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        readonly = [*PROVENANCE_FIELDS, *WORKFLOW_FIELDS, "last_activity_at"]
        if not roles.is_administrator(request.user):
            readonly.append("owner_organization")
        if obj.status in {Status.IMPLEMENTED, Status.VERIFIED, Status.REJECTED}:
            readonly.append("progress")
        return readonly

    def save_model(self, request: HttpRequest, obj: Recommendation, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.recommendation_create(
                actor=request.user,  # type: ignore[arg-type]
                code=data["code"],
                title=data["title"],
                quote=data["quote"],
                source_document=data["source_document"],
                owner_organization=data["owner_organization"],
                themes=data.get("themes") or [],
                addressed_to=data.get("addressed_to") or [],
                **{
                    name: data[name]
                    for name in (
                        "title_en",
                        "source_location",
                        "source_paragraph",
                        "proposer_person",
                        "proposer_organization",
                        "owner",
                        "due_date",
                        "priority",
                        "horizon",
                    )
                    if name in data
                },
            )
            obj.pk = created.pk
            return
        changes = {
            name: data[name]
            for name in form.changed_data
            if name in services.UPDATABLE_FIELDS and name in data
        }
        services.recommendation_update(
            recommendation=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            changes=changes,
            themes=data["themes"] if "themes" in form.changed_data else None,
            expected_version=data.get("loaded_version"),
        )

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        # Many-to-many fields were saved by the service; only the evidence inline is left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        # The admin's change message reads these; only new evidence is ever saved here.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not Evidence:
            return
        for evidence_form in formset.forms:
            if evidence_form.instance.pk or not evidence_form.has_changed():
                continue
            data = evidence_form.cleaned_data
            created = services.evidence_add(
                recommendation=form.instance.pk,
                actor=request.user,  # type: ignore[arg-type]
                kind=data["kind"],
                note=data.get("note") or "",
                url=data.get("url") or "",
                file=data.get("file"),
            )
            formset.new_objects.append(created)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The list's template links to the import page for those who may change items; Django's
        # list view does not put that permission in the template's context.
        extra_context = {
            **(extra_context or {}),
            "has_change_permission": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = extra_context or {}
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None:
                # What was typed in the workflow form before its refusal, for this display only.
                draft = request.session.pop(_transition_draft_key(obj.pk), None) or {}
                extra_context["transition_form"] = TransitionForm(
                    current_status=obj.status, initial={**draft, "version": obj.version}
                )
                extra_context["can_transition"] = roles.can_edit_recommendation(request.user, obj) and bool(
                    allowed_targets(obj.status)
                )
                extra_context["transition_url"] = reverse(
                    "admin:recommendations_recommendation_transition", args=[obj.pk]
                )
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            # The service refused the save, and the transaction it ran in was rolled back: nothing
            # changed. The same post is shown again, as typed, with the refusal as an error of the
            # form (get_form), on the field it names: the form is then invalid and nothing is saved.
            setattr(request, SERVICE_REFUSAL, error)
            for uploads in request.FILES.lists():
                for upload in uploads[1]:
                    upload.seek(0)  # validated again
            return super().changeform_view(request, object_id, form_url, extra_context)

    # --- history ---

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The item's own history (``HistoryEntry``: transitions, check-ins, evidence, updates made
        here, through the API or by the services), oldest first, in place of Django's list of
        ``LogEntry`` rows, which knows only what was saved through this admin. Permission and an
        unknown id are handled as in Django's view; a page of rows costs the same few queries
        however long the history is (the actor is read along with each row)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            # Django's answer (its change page's too): back to the index, with a message.
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        paginator = self.get_paginator(request, selectors.recommendation_history(obj), HISTORY_PER_PAGE)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        history_admin = self.admin_site.get_model_admin(HistoryEntry)
        list_url = None
        if history_admin.has_view_permission(request):
            # A plain lookup on the list's own foreign key, which ``lookup_allowed`` accepts.
            changelist = reverse("admin:recommendations_historyentry_changelist")
            list_url = f"{changelist}?{urlencode({'recommendation__id__exact': obj.pk})}"
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %s") % obj,  # Django's own title, in Django's words
            "subtitle": None,
            "columns": _history_columns(),
            "rows": [(entry, change_lines(entry)) for entry in page],
            "action_list": page,  # the name Django's template gives the page, for its paginator
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.count > HISTORY_PER_PAGE,
            "history_list_url": list_url,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/recommendations/recommendation/object_history.html", context)

    # --- workflow ---

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="recommendations_recommendation_transition",
            ),
            *self._not_found_for_other_ids("transition"),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="recommendations_recommendation_import",
            ),
        ]
        return custom + super().get_urls()

    def transition_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = get_object_or_404(Recommendation, pk=object_id)
        change_url = reverse("admin:recommendations_recommendation_change", args=[obj.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        # Not limited to the targets allowed now: the service checks the version before the
        # transition, so a page that is out of date is reported as such (see TransitionForm).
        form = TransitionForm(request.POST)
        # A refusal keeps what was chosen and typed for the change page to show again (changeform_view).
        draft_key = _transition_draft_key(obj.pk)
        if not form.is_valid():
            request.session[draft_key] = form.draft()
            self.message_user(
                request,
                _("Yêu cầu chuyển trạng thái không hợp lệ: %s") % form.error_message(),
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        try:
            updated = services.recommendation_transition(
                recommendation=obj.pk,
                actor=request.user,  # type: ignore[arg-type]
                to_status=form.cleaned_data["to_status"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            request.session[draft_key] = form.draft()
            self.message_user(request, str(error), messages.ERROR)
        else:
            request.session.pop(draft_key, None)
            self.message_user(
                request,
                _("Đã chuyển %(code)s sang “%(status)s”.")
                % {"code": updated.code, "status": updated.get_status_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)

    @admin.action(
        description=gettext_lazy("Chuyển trạng thái các kiến nghị đã chọn…"), permissions=["change"]
    )
    def transition_selected(
        self, request: HttpRequest, queryset: QuerySet[Recommendation]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = BulkTransitionForm(request.POST)
            if form.is_valid():
                done, refused = [], []
                for rec in queryset.order_by("code"):
                    version = form.listed_version(rec.pk)
                    if version is None:
                        refused.append(
                            _("%(code)s: %(reason)s") % {"code": rec.code, "reason": VERSION_MISSING}
                        )
                        continue
                    try:
                        services.recommendation_transition(
                            recommendation=rec.pk,
                            actor=request.user,  # type: ignore[arg-type]
                            to_status=form.cleaned_data["to_status"],
                            comment=form.cleaned_data["comment"],
                            expected_version=version,
                        )
                    except DomainError as error:
                        # One message per item: identical reasons would not say which item they are about.
                        refused.append(_("%(code)s: %(reason)s") % {"code": rec.code, "reason": str(error)})
                    else:
                        done.append(rec.code)
                if done:
                    self.message_user(
                        request,
                        _("Đã chuyển trạng thái %(n)s kiến nghị: %(codes)s.")
                        % {"n": len(done), "codes": ", ".join(done)},
                        messages.SUCCESS,
                    )
                for reason in refused:
                    self.message_user(request, reason, messages.ERROR)
                return None
        else:
            form = BulkTransitionForm(current_statuses=queryset.values_list("status", flat=True))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Chuyển trạng thái"),
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/recommendations/recommendation/bulk_transition.html", context)

    # --- import and export ---

    @admin.action(description=gettext_lazy("Xuất các kiến nghị đã chọn ra CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Recommendation]) -> HttpResponse:
        content = write_csv(EXPORT_COLUMNS, recommendation_export_rows(queryset))
        return _download(content, "text/csv; charset=utf-8", "recommendations.csv")

    @admin.action(description=gettext_lazy("Xuất các kiến nghị đã chọn ra XLSX"), permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[Recommendation]) -> HttpResponse:
        content = write_xlsx(EXPORT_COLUMNS, recommendation_export_rows(queryset), title="recommendations")
        return _download(
            content,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "recommendations.xlsx",
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > settings.IMPORT_MAX_BYTES:
                    limit = filesizeformat(settings.IMPORT_MAX_BYTES)
                    form.add_error("file", _("Tệp quá lớn (tối đa %s).") % limit)
                else:
                    try:
                        rows = read_table(upload.read(), upload.name)
                    except TableError as error:
                        form.add_error("file", str(error))
                    else:
                        result = services.recommendations_import(
                            rows=rows,
                            actor=request.user,  # type: ignore[arg-type]
                        )
                        if not result.errors:
                            self.message_user(
                                request,
                                _("Đã nhập: %(c)s kiến nghị mới, %(u)s cập nhật, %(n)s không đổi.")
                                % {
                                    "c": len(result.created),
                                    "u": len(result.updated),
                                    "n": len(result.unchanged),
                                },
                                messages.SUCCESS,
                            )
                            return HttpResponseRedirect(
                                reverse("admin:recommendations_recommendation_changelist")
                            )
        else:
            form = ImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Nhập kiến nghị từ CSV/XLSX"),
            "form": form,
            "result": result,
            "columns": services.IMPORT_COLUMNS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recommendations/recommendation/import.html", context)


# As Django's history page: rows per page.
HISTORY_PER_PAGE = 100


def _history_columns() -> list[str]:
    """The history page's headings: the fields' own names (as the change page's history table)."""
    fields = [
        HistoryEntry._meta.get_field("created_at"),
        HistoryEntry._meta.get_field("kind"),
        Recommendation._meta.get_field("status"),
        HistoryEntry._meta.get_field("actor"),
        HistoryEntry._meta.get_field("comment"),
        HistoryEntry._meta.get_field("changes"),
    ]
    return [str(capfirst(getattr(field, "verbose_name", ""))) for field in fields]


# The request attribute that carries a service's refusal of the change form to its second pass.
SERVICE_REFUSAL = "recommendation_refusal"


def _transition_draft_key(pk: int) -> str:
    """The session key of what was posted to an item's workflow form and refused."""
    return f"recommendations:transition_draft:{pk}"


def _as_form_errors(error: Exception, fields: Container[str], model: type[Model]) -> ValidationError:
    """A service's refusal as errors of a form with ``fields``: each on the field it names when
    the form has that field; otherwise (a field not on the form, a domain error) above the form,
    labelled as in ``_describe``."""
    if not isinstance(error, ValidationError):
        return ValidationError(str(error), code=getattr(error, "code", None))
    if not hasattr(error, "error_dict"):
        return error
    errors: dict[str, list[ValidationError]] = {}
    for name, field_errors in error.error_dict.items():
        if name in fields:
            errors.setdefault(name, []).extend(field_errors)
        else:
            label = _field_label(model, name)
            errors.setdefault(NON_FIELD_ERRORS, []).extend(
                ValidationError(label + message) for message in ValidationError(field_errors).messages
            )
    return ValidationError(errors)


def _describe(error: Exception, model: type[Model] | None = None) -> str:
    """A refusal as one message for the user. Field errors are labelled with the field's verbose
    name on ``model`` when there is one, and otherwise not at all: never with a Python name."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                _field_label(model, name) + " ".join(msgs) for name, msgs in error.message_dict.items()
            )
        return " ".join(error.messages)
    return str(error)


def _field_label(model: type[Model] | None, name: str) -> str:
    if model is None or name == NON_FIELD_ERRORS:
        return ""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return ""
    verbose_name = getattr(field, "verbose_name", None)  # reverse relations have none
    return f"{capfirst(verbose_name)}: " if verbose_name else ""


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=content_type)
    stem, _dot, ext = filename.rpartition(".")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{ext}"'
    return response


def _evidence_download_link(evidence: Evidence) -> str:
    # The files are not served from MEDIA_URL: the download view checks who may have them.
    url = reverse("admin:recommendations_evidence_download", args=[evidence.pk])
    return format_html('<a href="{}">{}</a>', url, evidence.original_filename or _("tải về"))


def _evidence_file_cell(viewer: Any, evidence: Evidence) -> str:
    """An evidence's file as a link for whoever may download it; otherwise (withdrawn) its name."""
    if not evidence.file:
        return "—"
    if viewer is None or not roles.can_download_evidence_file(viewer, evidence):
        return evidence.original_filename or "—"
    return _evidence_download_link(evidence)


@admin.register(Evidence)
class EvidenceAdmin(RoleAwareAdmin):
    list_display = ("recommendation", "kind", "summary", "submitted_by", "submitted_at", "withdrawn_at")
    list_filter = ("kind", WithdrawnFilter)
    list_select_related = ("recommendation", "submitted_by")
    # Across every item, the latest first (the item's own page lists its evidence in order);
    # ``evidence_time_idx`` serves this order.
    ordering = ("-submitted_at", "-id")
    # A second COUNT(*) of the whole table for "N total" beside every search: not worth it.
    show_full_result_count = False
    search_fields = ("recommendation__code", "note", "original_filename", "url")  # see get_search_results
    search_help_text = gettext_lazy(
        "Tìm theo mã kiến nghị, nội dung, tên tệp, đường dẫn — có dấu hay không dấu đều được."
    )
    readonly_fields = (
        "recommendation",
        "kind",
        "note",
        "url",
        "download_link",
        "content_type",
        "size",
        "submitted_by",
        "submitted_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "file_name",
    )
    fields = readonly_fields[:-1]
    change_form_template = "admin/recommendations/evidence/change_form.html"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        if obj is not None and obj.file and not roles.can_download_evidence_file(request.user, obj):
            fields[fields.index("download_link")] = "file_name"  # withdrawn: named, not linked
        return fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Evidence], search_term: str
    ) -> tuple[QuerySet[Evidence], bool]:
        return selectors.evidence_search(queryset, search_term), False

    @admin.display(description=gettext_lazy("nội dung"))
    def summary(self, obj: Evidence) -> str:
        return obj.original_filename or obj.url or obj.note[:80]

    @admin.display(description=gettext_lazy("tệp"))
    def download_link(self, obj: Evidence) -> str:
        return _evidence_download_link(obj) if obj.file else "—"

    @admin.display(description=gettext_lazy("tệp"))
    def file_name(self, obj: Evidence) -> str:
        return obj.original_filename or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # evidence is added from its recommendation's page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="recommendations_evidence_withdraw",
            ),
            path(
                "<int:object_id>/download/",
                # Not the admin's never_cache: the response's own "private, no-store" (the API's,
                # from evidence_file_response) already keeps it out of every cache.
                self.admin_site.admin_view(self.download_view, cacheable=True),
                name="recommendations_evidence_download",
            ),
            *self._not_found_for_other_ids("withdraw", "download"),
            *super().get_urls(),
        ]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = extra_context or {}
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None and obj.withdrawn_at is None:
                extra_context["can_withdraw"] = roles.can_edit_recommendation(
                    request.user, obj.recommendation
                )
                extra_context["withdraw_url"] = reverse(
                    "admin:recommendations_evidence_withdraw", args=[obj.pk]
                )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def withdraw_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        evidence = get_object_or_404(Evidence.objects.select_related("recommendation"), pk=object_id)
        if not roles.can_edit_recommendation(request.user, evidence.recommendation):
            raise PermissionDenied
        change_url = reverse("admin:recommendations_evidence_change", args=[evidence.pk])
        if request.method == "POST":
            form = WithdrawEvidenceForm(request.POST)
            if form.is_valid():
                try:
                    services.evidence_withdraw(
                        evidence=evidence.pk,
                        actor=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                except (DomainError, ValidationError) as error:
                    self.message_user(request, _describe(error), messages.ERROR)
                else:
                    self.message_user(request, _("Đã rút minh chứng; việc rút đã được ghi vào lịch sử."))
                return HttpResponseRedirect(change_url)
        else:
            form = WithdrawEvidenceForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rút minh chứng"),
            "form": form,
            "evidence": evidence,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recommendations/evidence/withdraw.html", context)

    def download_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        evidence = get_object_or_404(Evidence, pk=object_id)
        if (
            not self.has_view_permission(request, evidence)
            or not evidence.file
            or not roles.can_download_evidence_file(request.user, evidence)
        ):
            raise PermissionDenied
        return evidence_file_response(evidence)  # 404 if the file is gone from storage


class ReadOnlyAdmin(RoleAwareAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HistoryEntry)
class HistoryEntryAdmin(HistoryChangesDisplay, ReadOnlyAdmin):
    list_display = ("created_at", "recommendation", "kind", "from_status", "to_status", "actor", "comment")
    # A date filter rather than date_hierarchy, whose list of years is a DISTINCT over every row
    # (2 s at 4,000,000 rows, on each page load).
    list_filter = ("created_at", "kind", "to_status")
    list_select_related = ("recommendation", "actor")
    # As for evidence: the latest first, served by ``hist_time_idx``.
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = (
        "recommendation",
        "kind",
        "from_status",
        "to_status",
        "history_changes",
        "actor",
        "comment",
        "created_at",
    )
    readonly_fields = fields
    search_fields = ("recommendation__code", "comment")  # see get_search_results
    search_help_text = gettext_lazy("Tìm theo mã kiến nghị, ghi chú — có dấu hay không dấu đều được.")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[HistoryEntry], search_term: str
    ) -> tuple[QuerySet[HistoryEntry], bool]:
        return selectors.history_search(queryset, search_term), False


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "period", "state", "attempts", "item_count", "sent_at")
    list_filter = ("kind", "state", "period")
    list_select_related = ("recipient",)
    search_fields = ("recipient__username", "recipient__email", "period")
    readonly_fields = (
        "recipient",
        "kind",
        "period",
        "state",
        "attempts",
        "item_count",
        "subject",
        "message_id",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )

    # Administrators only: the log names every recipient and is searchable by email address,
    # which readers and owners may not look up (the user list and the API hide it from them).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.is_administrator(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(Organization)
class OrganizationAdmin(FoldedSearchAdmin, RoleAwareAdmin):
    list_display = ("code", "name", "name_en", "kind", "parent", "focal_person")
    list_filter = ("kind",)
    list_select_related = ("parent", "focal_person")
    search_fields = ("code", "name", "name_en")
    search_help_text = gettext_lazy("Tìm theo mã, tên, tên tiếng Anh — có dấu hay không dấu đều được.")
    autocomplete_fields = ("focal_person", "parent")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SourceDocument)
class SourceDocumentAdmin(FoldedSearchAdmin, RoleAwareAdmin):
    list_display = ("key", "title", "outlet", "published_on", "file_name")
    search_fields = ("key", "title", "authors")
    search_help_text = gettext_lazy("Tìm theo mã, tiêu đề, tác giả — có dấu hay không dấu đều được.")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


DELETE_SELECTED_DESCRIPTION = admin_actions.delete_selected.short_description  # type: ignore[attr-defined]


@admin.register(Theme)
class ThemeAdmin(FoldedSearchAdmin, RoleAwareAdmin):
    """A theme that items still use is not deleted (``services.themes_delete``)."""

    list_display = ("slug", "name", "name_en")
    search_fields = ("slug", "name", "name_en")
    search_help_text = gettext_lazy("Tìm theo mã, tên, tên tiếng Anh — có dấu hay không dấu đều được.")
    actions = ("delete_selected",)  # in place of the site's, which knows nothing of the items

    def _may_delete_themes(self, request: HttpRequest) -> bool:
        # Themes are reference data that administrators keep (the role's group has no delete
        # permission in this app, since items, evidence and history are never deleted); a theme
        # that no item uses takes nothing with it.
        return roles.is_administrator(request.user) or super().has_delete_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_delete_themes(request) and (obj is None or not obj.recommendations.exists())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        theme = self.get_object(request, unquote(object_id))
        if theme is not None and self._may_delete_themes(request):
            # Refused before the confirmation page; the service checks again when it deletes.
            refusals = services.theme_delete_refusals(Theme.objects.filter(pk=theme.pk))
            if refusals:
                for refusal in refusals:
                    self.message_user(request, refusal, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:recommendations_theme_change", args=[theme.pk]))
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:  # given to an item after the confirmation page was shown
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request: HttpRequest, obj: Theme) -> None:
        services.themes_delete(themes=Theme.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Theme]) -> None:
        services.themes_delete(themes=queryset)

    # Django's own description ("Delete selected %(verbose_name_plural)s"), translated by Django.
    @admin.action(description=DELETE_SELECTED_DESCRIPTION, permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Theme]) -> HttpResponse | None:
        refusals = services.theme_delete_refusals(queryset)
        if not refusals:
            try:
                # The confirmation page, then the deletion (delete_queryset, through the service).
                return admin_actions.delete_selected(self, request, queryset)
            except DomainError as error:
                refusals = [str(error)]
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        self.message_user(request, _("Chưa xoá chủ đề nào."), messages.ERROR)
        return None


@admin.register(User)
class UserAdmin(FoldedSearchAdmin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "organization", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "organization")
    list_select_related = ("organization",)
    search_fields = ("username", "first_name", "last_name", "email")
    search_help_text = gettext_lazy("Tìm theo tên đăng nhập, họ, tên, email — có dấu hay không dấu đều được.")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            gettext_lazy("Đơn vị và thư nhắc việc"),
            {"fields": ("organization", "preferred_language", "receives_weekly_digest")},
        ),
    )
    add_fieldsets = (
        *(DjangoUserAdmin.add_fieldsets or ()),
        (gettext_lazy("Đơn vị"), {"fields": ("email", "organization", "preferred_language")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = [*super().get_readonly_fields(request, obj)]
        if not request.user.is_superuser:
            # Otherwise an administrator could make anyone, themself included, a superuser, or
            # give a person permissions outside the roles. (Read-only fields are left out of the
            # add form too, whatever is posted.)
            readonly += SUPERUSER_ONLY_USER_FIELDS
            if obj is not None and obj.pk == request.user.pk:
                # Their own access: one slip (their role, staff or active unticked) and they are
                # locked out of the admin at once; and there is no role above theirs to take.
                # Another administrator, or a superuser, changes it for them.
                readonly += OWN_ACCESS_USER_FIELDS
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Also the password page (user_change_password asks this with the person).
        return super().has_change_permission(request, obj) and _may_manage_account(request.user, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        person = form.instance
        if not person.is_staff and person.groups.filter(name__in=roles.ROLE_GROUPS).exists():
            # A role is for working in the admin, which signs in only staff: without this, someone
            # given a role but not "staff status" was told their password was wrong.
            person.is_staff = True
            person.save(update_fields=["is_staff"])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People who own items, submitted evidence or appear in history are deactivated instead.
        # Superusers only: so never a superuser's account by anyone else.
        return request.user.is_superuser and (obj is None or not _user_has_records(obj))


# Set by superusers only (see UserAdmin.get_readonly_fields).
SUPERUSER_ONLY_USER_FIELDS = ("is_superuser", "user_permissions")
# Not changed by a non-superuser on their own account.
OWN_ACCESS_USER_FIELDS = ("groups", "is_staff", "is_active")


def _may_manage_account(actor: Any, account: User | None) -> bool:
    """A superuser's account (its settings, password, deletion and API token) is a superuser's
    business: otherwise an administrator could set its password, or take a token for it, and act
    as a superuser."""
    return account is None or actor.is_superuser or not account.is_superuser


def _user_has_records(user: User) -> bool:
    return (
        HistoryEntry.objects.filter(actor=user).exists()
        or Evidence.objects.filter(submitted_by=user).exists()
        or Recommendation.objects.filter(owner=user).exists()
    )


# --- API tokens ---------------------------------------------------------------------------------

TOKEN_HINT_LENGTH = 6


def _token_hint(token: Token) -> str:
    return f"{token.key[:TOKEN_HINT_LENGTH]}…" if token.key else "—"


# A token's key is its user's password in the API, and a Token's str() is its key. The admin names
# an object by str() in many places (page titles, breadcrumbs, the delete confirmation, its
# messages, the log behind "Recent actions" and the history page), so the proxy model that exists
# only for this admin is named by the key's first characters instead. ``Token`` itself, which
# authenticates API requests, is not touched.
TokenProxy.__str__ = _token_hint  # type: ignore[assignment,method-assign]

admin.site.unregister(TokenProxy)  # rest_framework.authtoken's, which lists every key in full


@admin.register(TokenProxy)
class TokenAdmin(DRFTokenAdmin):
    """API tokens, shown by their first characters only. A new token's key is shown once, to
    whoever creates it; after that nobody can read it here. A token is never edited: it is revoked
    (deleted), and created again if still needed. A superuser's token is a superuser's business."""

    list_display = ("user", "key_hint", "created")
    list_select_related = ("user",)
    readonly_fields = ("key_hint", "created")

    @admin.display(description=gettext_lazy("token (phần đầu)"))
    def key_hint(self, obj: TokenProxy) -> str:
        return _token_hint(obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user",) if obj is None else ("user", "key_hint", "created")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # Those who have no token yet (revoke the old one first), and whom the viewer manages.
            people = User.objects.filter(auth_token__isnull=True)
            if not request.user.is_superuser:
                people = people.filter(is_superuser=False)
            kwargs["queryset"] = people.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or _may_manage_account(request.user, obj.user)
        )

    def save_model(self, request: HttpRequest, obj: TokenProxy, form: ModelForm, change: bool) -> None:
        if change or not _may_manage_account(request.user, obj.user):
            raise PermissionDenied  # the form offers no such choice; a forged post
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: TokenProxy, post_url_continue: Any = None) -> Any:
        # The key, once: carried to the next page by the messages framework (its cookie, or the
        # session) and dropped once shown. Nothing keeps it to be read again.
        self.message_user(
            request,
            _("Đã tạo token API cho %(user)s: %(key)s — hãy sao chép ngay, token sẽ không hiển thị lại.")
            % {"user": obj.user, "key": obj.key},
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:authtoken_tokenproxy_changelist"))
