"""The tracker's domain: source documents, organizations, recommendations and their evidence,
history and reminders.

Rows are written only by ``recommendations.services``; nothing here holds a business rule.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .workflow import DONE_STATUSES, Status, Timeliness


class Organization(models.Model):
    class Kind(models.TextChoices):
        PARTY = "party", _("Cơ quan Đảng")
        GOVERNMENT = "government", _("Chính phủ")
        MINISTRY = "ministry", _("Bộ, ngành")
        AGENCY = "agency", _("Cơ quan, đơn vị")
        ENTERPRISE = "enterprise", _("Doanh nghiệp")
        ACADEMIC = "academic", _("Cơ sở học thuật")
        FOREIGN_GOVERNMENT = "foreign_government", _("Chính phủ nước ngoài")
        INTERNATIONAL = "international", _("Tổ chức, cộng đồng quốc tế")
        OTHER = "other", _("Khác")

    code = models.CharField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=255, blank=True)
    kind = models.CharField(_("loại"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    focal_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("đầu mối"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="focal_for_organizations",
        help_text=_("Người nhận báo cáo đôn đốc các kiến nghị quá hạn của đơn vị."),
    )

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = pgettext_lazy("plural", "tổ chức")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who owns, updates, verifies or reads recommendations."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("tổ chức"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    preferred_language = models.CharField(
        _("ngôn ngữ"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )
    receives_weekly_digest = models.BooleanField(_("nhận thư nhắc việc hằng tuần"), default=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("người dùng")  # type: ignore[assignment]
        verbose_name_plural = pgettext_lazy("plural", "người dùng")  # type: ignore[assignment]

    def get_full_name(self) -> str:
        # Family name first, as Vietnamese names are written: "Nguyễn Thị Lan", with Họ
        # (last_name) "Nguyễn Thị" and Tên (first_name) "Lan". Django puts the given name first.
        return person_name(self.first_name, self.last_name)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def person_name(first_name: str, last_name: str) -> str:
    """A person's full name, family name (Họ) first."""
    return f"{last_name} {first_name}".strip()


class SourceDocument(models.Model):
    key = models.CharField(_("mã"), max_length=16, unique=True)
    file_name = models.CharField(_("tệp nguồn"), max_length=255)
    title = models.CharField(_("tiêu đề"), max_length=500)
    authors = models.CharField(_("tác giả"), max_length=500, blank=True)
    outlet = models.CharField(_("cơ quan xuất bản"), max_length=255, blank=True)
    published_on = models.DateField(_("ngày xuất bản"), null=True, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")

    class Meta:
        verbose_name = _("tài liệu nguồn")
        verbose_name_plural = pgettext_lazy("plural", "tài liệu nguồn")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} — {self.title}"


class Theme(models.Model):
    slug = models.SlugField(_("mã"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=128)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("chủ đề")
        verbose_name_plural = pgettext_lazy("plural", "chủ đề")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Codes appear in URLs (admin, API): letters, digits, dot, hyphen and underscore only.
recommendation_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z",
    _("Mã chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới."),
)


class Recommendation(models.Model):
    class Priority(models.TextChoices):
        HIGH = "high", _("Cao")
        MEDIUM = "medium", _("Trung bình")
        LOW = "low", _("Thấp")

    code = models.CharField(_("mã"), max_length=32, unique=True, validators=[recommendation_code_validator])
    title = models.CharField(_("tiêu đề"), max_length=255)
    title_en = models.CharField(_("tiêu đề tiếng Anh"), max_length=255, blank=True)
    quote = models.TextField(_("trích dẫn nguyên văn"))
    source_document = models.ForeignKey(
        SourceDocument,
        verbose_name=_("tài liệu nguồn"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    source_location = models.CharField(_("vị trí trong nguồn"), max_length=128, blank=True)
    source_paragraph = models.PositiveIntegerField(_("đoạn số"), null=True, blank=True)
    proposer_person = models.CharField(_("người đề xuất"), max_length=255, blank=True)
    proposer_organization = models.ForeignKey(
        Organization,
        verbose_name=_("tổ chức đề xuất"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_recommendations",
    )
    addressed_to = models.ManyToManyField(
        Organization,
        verbose_name=_("gửi tới"),
        blank=True,
        related_name="addressed_recommendations",
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("chủ đề"), blank=True, related_name="recommendations"
    )
    horizon = models.PositiveSmallIntegerField(_("tầm nhìn (năm)"), null=True, blank=True)
    priority = models.CharField(
        _("mức ưu tiên"), max_length=16, choices=Priority.choices, default=Priority.MEDIUM
    )
    owner_organization = models.ForeignKey(
        Organization,
        verbose_name=_("đơn vị chủ trì"),
        on_delete=models.PROTECT,
        related_name="owned_recommendations",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người phụ trách"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_recommendations",
    )
    due_date = models.DateField(_("hạn hoàn thành"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    progress = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    completed_at = models.DateTimeField(_("thời điểm hoàn thành"), null=True, blank=True)
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đánh dấu đã thực hiện"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("kiến nghị liên quan"), blank=True, symmetrical=True
    )
    decision_note = models.TextField(_("ghi chú biên soạn"), blank=True)
    search_text = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    last_activity_at = models.DateTimeField(_("cập nhật gần nhất"), default=timezone.now)
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now)

    class Meta:
        verbose_name = _("kiến nghị")
        verbose_name_plural = pgettext_lazy("plural", "kiến nghị")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="rec_status_due_idx"),
            models.Index(fields=["owner", "status"], name="rec_owner_status_idx"),
            models.Index(fields=["owner_organization", "status"], name="rec_org_status_idx"),
            models.Index(fields=["source_document", "status"], name="rec_source_status_idx"),
            # The overdue report's order, and the list's by due date: a page without sorting
            # every late item first.
            models.Index(fields=["due_date", "code"], name="rec_due_code_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="rec_progress_lte_100"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def timeliness(self) -> str | None:
        return compute_timeliness(
            status=self.status,
            due_date=self.due_date,
            completed_at=self.completed_at,
            today=timezone.localdate(),
        )


def compute_timeliness(
    *,
    status: str,
    due_date: datetime.date | None,
    completed_at: datetime.datetime | None,
    today: datetime.date,
) -> str | None:
    """Mirror of ``selectors.timeliness_expression`` for one object already in memory.

    Rejected items have no timeliness; an item without a due date is never late.
    """
    if status == Status.REJECTED:
        return None
    if status in DONE_STATUSES:
        done_on = timezone.localdate(completed_at) if completed_at else today
        if due_date is None or done_on <= due_date:
            return Timeliness.DONE_ON_TIME
        return Timeliness.DONE_LATE
    if due_date is None or today <= due_date:
        return Timeliness.IN_TIME
    return Timeliness.OVERDUE


class Citation(models.Model):
    """A further place in a source where the same recommendation is made again."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="citations")
    source_document = models.ForeignKey(
        SourceDocument, verbose_name=_("tài liệu nguồn"), on_delete=models.PROTECT
    )
    location = models.CharField(_("vị trí trong nguồn"), max_length=128, blank=True)
    paragraph = models.PositiveIntegerField(_("đoạn số"), null=True, blank=True)
    quote = models.TextField(_("trích dẫn nguyên văn"))

    class Meta:
        verbose_name = _("vị trí nhắc lại")
        verbose_name_plural = pgettext_lazy("plural", "vị trí nhắc lại")
        ordering = ["recommendation", "paragraph"]

    def __str__(self) -> str:
        return f"{self.recommendation.code} @ {self.location}"


def evidence_upload_path(instance: Evidence, filename: str) -> str:
    # The stored name never reuses the uploader's file name: it could hold a path or a
    # misleading extension. The original name is kept in a column for display.
    now = timezone.now()
    return f"evidence/{now:%Y/%m}/{instance.recommendation_id}-{now:%Y%m%d%H%M%S%f}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Ghi chú")
        LINK = "link", _("Đường dẫn")
        FILE = "file", _("Tệp")

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("kiến nghị"),
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    kind = models.CharField(_("loại"), max_length=8, choices=Kind.choices)
    note = models.TextField(_("nội dung"), blank=True)
    url = models.URLField(_("đường dẫn"), max_length=1000, blank=True)
    file = models.FileField(_("tệp"), upload_to=evidence_upload_path, blank=True, max_length=255)
    original_filename = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    content_type = models.CharField(_("kiểu tệp"), max_length=128, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nộp"),
        on_delete=models.PROTECT,
        related_name="submitted_evidence",
    )
    submitted_at = models.DateTimeField(_("thời điểm nộp"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("thời điểm rút"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người rút"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("lý do rút"), blank=True)
    # Note, file name and link folded by ``search.normalize_for_search``, set by the services.
    # The database default lets a server still running the code from before this column existed
    # insert rows during a deploy (see migration 0007).
    search_text = models.TextField(editable=False, default="", db_default="")

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = pgettext_lazy("plural", "minh chứng")
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["submitted_at", "id"], name="evidence_time_idx")]

    def __str__(self) -> str:
        label = self.original_filename or self.url or self.note[:60]
        return f"{self.get_kind_display()}: {label}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class HistoryEntry(models.Model):
    """Append-only record of every change to a recommendation."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Tạo mới")
        STATUS = "status", _("Chuyển trạng thái")
        UPDATED = "updated", _("Cập nhật thông tin")
        EVIDENCE_ADDED = "evidence_added", _("Thêm minh chứng")
        EVIDENCE_WITHDRAWN = "evidence_withdrawn", _("Rút minh chứng")
        CHECK_IN = "check_in", _("Xác nhận đúng tiến độ")

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("kiến nghị"),
        on_delete=models.PROTECT,
        related_name="history",
    )
    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    from_status = models.CharField(_("từ trạng thái"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("sang trạng thái"), max_length=16, choices=Status.choices, blank=True)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.TextField(_("ghi chú"), blank=True)
    # The comment folded by ``search.normalize_for_search``, set by the services. Database default:
    # as for evidence.
    search_text = models.TextField(editable=False, default="", db_default="")
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now)

    class Meta:
        verbose_name = _("lịch sử")
        verbose_name_plural = pgettext_lazy("plural", "lịch sử")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["recommendation", "created_at"], name="hist_rec_time_idx"),
            # The history list's order (and the reports' range scans on created_at).
            models.Index(fields=["created_at", "id"], name="hist_time_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.STATUS:
            return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        return str(self.get_kind_display())


class ReminderDelivery(models.Model):
    """One email to one person for one ISO week: claimed before sending so it goes out once."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("Thư nhắc việc hằng tuần")
        ESCALATION = "escalation", _("Thư báo cáo đôn đốc")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Lỗi")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.PROTECT,
        related_name="reminder_deliveries",
    )
    period = models.CharField(_("tuần"), max_length=8, help_text="YYYY-Www")
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("tình trạng"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    item_count = models.PositiveIntegerField(_("số kiến nghị"), default=0)
    subject = models.CharField(_("tiêu đề thư"), max_length=255, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    claimed_at = models.DateTimeField(_("nhận gửi lúc"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thư nhắc việc")
        verbose_name_plural = _("nhật ký gửi thư")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "period", "kind"], name="reminder_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} → {self.recipient}"


class CheckInRedemption(models.Model):
    """Marks a one-click check-in link as used: one per (delivery, recommendation)."""

    delivery = models.ForeignKey(ReminderDelivery, on_delete=models.PROTECT, related_name="+")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="+")
    history_entry = models.OneToOneField(HistoryEntry, on_delete=models.PROTECT, related_name="+")
    redeemed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lượt xác nhận tiến độ")
        verbose_name_plural = pgettext_lazy("plural", "lượt xác nhận tiến độ")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "recommendation"], name="checkin_once_per_link")
        ]

    def __str__(self) -> str:
        return f"{self.recommendation_id} @ {self.redeemed_at:%Y-%m-%d %H:%M}"
