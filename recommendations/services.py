"""The only writers of the tracker's domain rows.

Every function here runs in one database transaction, locks the recommendation it changes, checks
the rules, writes the row(s) and appends a ``HistoryEntry`` in the same transaction. The admin, the
API, the management commands and the Celery tasks all call these functions; none of them writes a
domain row directly.
"""

from __future__ import annotations

import codecs
import datetime
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

import puremagic
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, F, Field, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import roles, rows
from .errors import CheckInRefused, DomainError, NotPermitted, StaleVersion, TransitionRefused
from .models import (
    CheckInRedemption,
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
from .search import evidence_search_text, history_search_text, normalize_for_search
from .workflow import CLOSED_STATUSES, DONE_STATUSES, OPEN_STATUSES, Status, allowed_targets, find_transition

# Fields a recommendation's owner may change outside the workflow.
UPDATABLE_FIELDS = (
    "title",
    "title_en",
    "owner_organization",
    "owner",
    "due_date",
    "priority",
    "progress",
    "horizon",
)
ADMIN_ONLY_FIELDS = frozenset({"owner_organization"})


# What a transition reads, writes and answers with. The rest of the row (the quote, the search
# text, the notes) is neither fetched nor converted: it was a fifth of the transition's locked read.
TRANSITION_FIELDS = (
    "id",
    "code",
    "status",
    "version",
    "owner_organization_id",
    "implemented_by_id",
    "completed_at",
    "progress",
    "due_date",
    "last_activity_at",
)


def _lock(recommendation: Recommendation | int | str) -> Recommendation:
    """The item's row, locked until the transaction ends: by instance, primary key or code (a
    missing code raises ``Recommendation.DoesNotExist``)."""
    locked = Recommendation.objects.select_for_update()
    if isinstance(recommendation, str):
        return locked.get(code=recommendation)
    return locked.get(pk=recommendation if isinstance(recommendation, int) else recommendation.pk)


def _lock_sql(by: str, fields: Iterable[Field[Any, Any]]) -> Callable[[BaseDatabaseWrapper], str]:
    def sql(connection: BaseDatabaseWrapper) -> str:
        columns = ", ".join(rows.column(connection, Recommendation, field.name) for field in fields)
        table = connection.ops.quote_name(Recommendation._meta.db_table)
        where = rows.column(connection, Recommendation, by)
        # What ``select_for_update()`` adds: nothing where the database has no row locks (SQLite).
        lock = f" {connection.ops.for_update_sql()}" if connection.features.has_select_for_update else ""
        return f"SELECT {columns} FROM {table} WHERE {where} = %s{lock}"  # noqa: S608 - names only

    return sql


def _lock_for_transition(recommendation: Recommendation | int | str) -> Recommendation:
    """``_lock`` for a transition: ``TRANSITION_FIELDS`` only, the others deferred, in SQL written
    once per connection (``rows``): building the ORM's query was a quarter of the service's CPU."""
    if isinstance(recommendation, Recommendation):
        recommendation = recommendation.pk
    by = "code" if isinstance(recommendation, str) else "id"
    using = router.db_for_write(Recommendation)
    connection = connections[using]
    # In the model's order, as ``Model.from_db`` takes them when some are deferred.
    fields = [field for field in Recommendation._meta.concrete_fields if field.attname in TRANSITION_FIELDS]
    query = rows.prepared(connection, f"transition_lock_by_{by}", fields, _lock_sql(by, fields))
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [recommendation])
        row = cursor.fetchone()
    if row is None:
        raise Recommendation.DoesNotExist(f"No recommendation with {by} {recommendation!r}.")
    return rows.instance(Recommendation, using, fields, query.convert(row, connection))


def _check_version(recommendation: Recommendation, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != recommendation.version:
        raise StaleVersion(
            _(
                "Kiến nghị %(code)s đã được người khác cập nhật (phiên bản hiện tại %(current)s, "
                "bạn gửi phiên bản %(sent)s). Hãy tải lại rồi thử lại; chưa có gì bị thay đổi."
            )
            % {
                "code": recommendation.code,
                "current": recommendation.version,
                "sent": expected_version,
            },
            current_version=recommendation.version,
        )


def edit_refusal(actor: User, recommendation: Recommendation) -> str | None:
    """Why ``actor`` may not change ``recommendation`` (as a message for them), or None if they may."""
    if roles.can_edit_recommendation(actor, recommendation):
        return None
    if not roles.is_owner_role(actor):
        # A reader (or someone without a role): the organization is not what stands in the way.
        return _("Bạn chỉ có quyền xem: vai trò của bạn không cho phép thay đổi kiến nghị %(code)s.") % {
            "code": recommendation.code
        }
    if actor.organization_id is None:
        return _(
            "Bạn chưa thuộc đơn vị nào nên không thể thay đổi kiến nghị %(code)s; "
            "hãy nhờ quản trị viên gán đơn vị cho bạn."
        ) % {"code": recommendation.code}
    return _("Bạn không có quyền thay đổi kiến nghị %(code)s: nó do %(org)s chủ trì.") % {
        "code": recommendation.code,
        "org": recommendation.owner_organization,
    }


def _require_edit(actor: User, recommendation: Recommendation) -> None:
    refusal = edit_refusal(actor, recommendation)
    if refusal is not None:
        raise NotPermitted(refusal)


def _history(
    recommendation: Recommendation,
    *,
    kind: str,
    actor: User | None,
    comment: str = "",
    from_status: str = "",
    to_status: str = "",
    changes: Mapping[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        recommendation=recommendation,
        kind=kind,
        actor=actor,
        comment=comment,
        search_text=history_search_text(comment),
        from_status=from_status,
        to_status=to_status,
        changes=dict(changes or {}),
        created_at=at or timezone.now(),
    )


def search_text_for(recommendation: Recommendation) -> str:
    return normalize_for_search(
        " ".join([recommendation.code, recommendation.title, recommendation.title_en, recommendation.quote])
    )


# --- Workflow -----------------------------------------------------------------------------------


@transaction.atomic
def recommendation_transition(
    *,
    recommendation: Recommendation | int | str,
    actor: User,
    to_status: str,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Recommendation:
    """Move a recommendation to ``to_status`` through the workflow.

    Rules: only allowed transitions (``workflow.TRANSITIONS``); rejecting, blocking and reopening
    need a comment; ``implemented`` needs at least one piece of evidence that is not withdrawn;
    ``verified`` must be done by someone other than the person who marked it implemented; the
    actor must be allowed to edit the item; a stale ``expected_version`` is refused.
    Side effects: status, progress, completion fields and version change; one history row.
    A refusal raises and changes nothing. ``recommendation`` may be the item, its primary key or
    its code: an unknown code raises ``Recommendation.DoesNotExist``, then the actor's right to
    edit is checked on the locked row. The item returned holds ``TRANSITION_FIELDS`` only.
    """
    locked = _lock_for_transition(recommendation)
    _require_edit(actor, locked)
    _check_version(locked, expected_version)
    comment = (comment or "").strip()
    if to_status not in Status.values:
        raise TransitionRefused(
            _("Trạng thái “%(target)s” không tồn tại.") % {"target": to_status}, code="unknown_status"
        )
    current = Status(locked.status)
    target = Status(to_status)
    transition = find_transition(current, target)
    if transition is None:
        allowed = ", ".join(str(s.label) for s in allowed_targets(current)) or "—"
        raise TransitionRefused(
            _(
                "Không thể chuyển %(code)s từ “%(source)s” sang “%(target)s”. "
                "Từ “%(source)s” chỉ có thể chuyển sang: %(allowed)s."
            )
            % {"code": locked.code, "source": current.label, "target": target.label, "allowed": allowed}
        )
    if transition.requires_comment and not comment:
        raise TransitionRefused(
            _("Chuyển sang “%(target)s” cần ghi rõ lý do trong phần ghi chú.") % {"target": target.label},
            code="comment_required",
        )
    if target == Status.IMPLEMENTED and not locked.evidence.filter(withdrawn_at__isnull=True).exists():
        raise TransitionRefused(
            _("Cần ít nhất một minh chứng trước khi đánh dấu %(code)s là đã thực hiện.")
            % {"code": locked.code},
            code="evidence_required",
        )
    if target == Status.VERIFIED and locked.implemented_by_id == actor.pk:
        raise TransitionRefused(
            _(
                "Người đánh dấu %(code)s là đã thực hiện không thể tự xác minh; "
                "việc xác minh phải do người khác thực hiện."
            )
            % {"code": locked.code},
            code="four_eyes",
        )

    now = at or timezone.now()
    update_fields = ["status", "version", "last_activity_at"]
    locked.status = target
    if target == Status.IMPLEMENTED:
        locked.completed_at = now
        locked.implemented_by = actor
        locked.progress = 100
        update_fields += ["completed_at", "implemented_by", "progress"]
    elif target not in DONE_STATUSES and locked.implemented_by_id is not None:
        # Leaving the done states (reopening) clears the completion it recorded.
        locked.completed_at = None
        locked.implemented_by = None
        update_fields += ["completed_at", "implemented_by"]
    locked.version += 1
    locked.last_activity_at = now
    locked.save(update_fields=update_fields)
    _history(
        locked,
        kind=HistoryEntry.Kind.STATUS,
        actor=actor,
        comment=comment,
        from_status=current,
        to_status=target,
        at=now,
    )
    return locked


# --- Plain updates -------------------------------------------------------------------------------


def _display(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _differences(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``values`` that differ from ``obj``'s, as history's ``[old, new]`` pairs."""
    return {
        name: [_display(getattr(obj, name)), _display(value)]
        for name, value in values.items()
        if getattr(obj, name) != value
    }


def _keys_difference(old: Iterable[str], new: Iterable[str]) -> list[list[str]] | None:
    """``[old, new]`` for a many-to-many field's keys (slugs, codes), or None if the same."""
    old_keys, new_keys = sorted(old), sorted(new)
    return [old_keys, new_keys] if old_keys != new_keys else None


def _themes_difference(recommendation: Recommendation, themes: list[Theme]) -> list[list[str]] | None:
    return _keys_difference(recommendation.themes.values_list("slug", flat=True), (t.slug for t in themes))


def validate_owner(*, owner: User | None, owner_organization: Organization | None) -> None:
    """The owner person must belong to the owner organization and be able to act on the item:
    a reader put in charge could never move it (forms call this too)."""
    if owner is None:
        return
    if owner_organization is not None and owner.organization_id != owner_organization.pk:
        raise ValidationError(
            {"owner": _("Người phụ trách phải thuộc đơn vị chủ trì (%(org)s).") % {"org": owner_organization}}
        )
    if not (roles.is_owner_role(owner) or roles.is_administrator(owner)):
        raise ValidationError(
            {
                "owner": _(
                    "%(person)s không có vai trò người phụ trách (owner) nên không thể cập nhật kiến nghị."
                )
                % {"person": owner}
            }
        )


@transaction.atomic
def recommendation_update(
    *,
    recommendation: Recommendation | int,
    actor: User,
    changes: Mapping[str, Any],
    themes: Iterable[Theme] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Recommendation:
    """Change a recommendation's descriptive and planning fields (never its status).

    Rules: only ``UPDATABLE_FIELDS``; moving an item to another organization is for
    administrators; the owner person must belong to the owner organization; values are validated
    with ``full_clean``; a stale ``expected_version`` is refused. Writes one history row with the old
    and new values; does nothing (and writes nothing) when no value changes, and refuses a
    ``comment`` then, as it would not be recorded.
    """
    locked = _lock(recommendation)
    _require_edit(actor, locked)
    _check_version(locked, expected_version)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Trường này không thể sửa trực tiếp.") for name in sorted(unknown)})
    diff = _differences(locked, changes)
    if ADMIN_ONLY_FIELDS & diff.keys() and not roles.is_administrator(actor):
        raise NotPermitted(_("Chỉ quản trị viên mới được chuyển kiến nghị sang đơn vị khác."))
    for name in diff:
        setattr(locked, name, changes[name])
    if locked.status in CLOSED_STATUSES:
        # Its due date decided whether it was done on time; its progress is the workflow's.
        frozen = {name: diff[name] for name in ("due_date", "progress") if name in diff}
        if frozen:
            raise ValidationError(
                {
                    name: _(
                        "Không thay đổi được khi kiến nghị đã ở trạng thái “%(status)s”; "
                        "hãy mở lại kiến nghị trước nếu cần."
                    )
                    % {"status": Status(locked.status).label}
                    for name in frozen
                }
            )
    if "owner" in diff or "owner_organization" in diff:
        validate_owner(owner=locked.owner, owner_organization=locked.owner_organization)
    theme_list = list(themes) if themes is not None else None
    themes_changed = _themes_difference(locked, theme_list) if theme_list is not None else None
    if themes_changed:
        diff["themes"] = themes_changed
    if not diff:
        if comment.strip():
            # A comment is recorded with the change it explains; alone it would be dropped.
            raise ValidationError(
                {
                    "comment": _(
                        "Không có giá trị nào thay đổi nên ghi chú không được lưu. Để ghi nhận tình hình "
                        "mà không sửa thông tin, hãy thêm minh chứng dạng ghi chú."
                    )
                }
            )
        return locked
    locked.search_text = search_text_for(locked)
    locked.full_clean(exclude=["related", "addressed_to", "themes"], validate_unique=False)
    locked.version += 1
    locked.last_activity_at = timezone.now()
    locked.save(
        update_fields=[n for n in diff if n != "themes"] + ["search_text", "version", "last_activity_at"]
    )
    if theme_list is not None and "themes" in diff:
        locked.themes.set(theme_list)
    _history(locked, kind=HistoryEntry.Kind.UPDATED, actor=actor, comment=comment, changes=diff)
    return locked


@transaction.atomic
def recommendation_create(
    *,
    actor: User | None,
    code: str,
    title: str,
    quote: str,
    source_document: SourceDocument,
    owner_organization: Organization,
    themes: Iterable[Theme] = (),
    addressed_to: Iterable[Organization] = (),
    **fields: Any,
) -> Recommendation:
    """Create a recommendation in status ``proposed`` with a ``created`` history row.

    Only administrators (or the system, ``actor=None``, when loading the catalogue) create items;
    the owner person, if any, must belong to the owner organization.
    """
    if actor is not None and not roles.can_create_recommendation(actor):
        raise NotPermitted(_("Chỉ quản trị viên mới được thêm kiến nghị mới."))
    recommendation = Recommendation(
        code=code,
        title=title,
        quote=quote,
        source_document=source_document,
        owner_organization=owner_organization,
        status=Status.PROPOSED,
        **fields,
    )
    recommendation.search_text = search_text_for(recommendation)
    recommendation.full_clean(exclude=["related", "addressed_to", "themes"])
    validate_owner(owner=recommendation.owner, owner_organization=owner_organization)
    recommendation.save()
    recommendation.themes.set(list(themes))
    recommendation.addressed_to.set(list(addressed_to))
    _history(
        recommendation,
        kind=HistoryEntry.Kind.CREATED,
        actor=actor,
        to_status=Status.PROPOSED,
    )
    return recommendation


@transaction.atomic
def recommendation_check_in(
    *, recommendation: Recommendation | int, actor: User, comment: str = ""
) -> HistoryEntry:
    """Record that the owner confirms the item is on track: resets the 'not updated' clock only."""
    locked = _lock(recommendation)
    _require_edit(actor, locked)
    now = timezone.now()
    locked.last_activity_at = now
    locked.save(update_fields=["last_activity_at"])
    return _history(
        locked,
        kind=HistoryEntry.Kind.CHECK_IN,
        actor=actor,
        comment=comment or _("Đúng tiến độ, không có thay đổi."),
        at=now,
    )


# --- Evidence ------------------------------------------------------------------------------------


# The part of an Office file's archive that makes it a document or a workbook, beside the
# package's own ``[Content_Types].xml``.
_OFFICE_MAIN_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}


def _is_utf8_text(upload: UploadedFile) -> bool:
    """Plain text has no magic number: the whole file must be UTF-8 with no NUL byte (a text head
    on a binary body would otherwise pass)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_office_package(upload: UploadedFile, extension: str) -> bool:
    """A real DOCX/XLSX: a ZIP archive whose directory lists the package's parts (read from the
    archive's directory, without unpacking anything)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return {"[Content_Types].xml", _OFFICE_MAIN_PARTS[extension]} <= names


def _detected_type(upload: UploadedFile) -> str:
    """Content type of an upload, judged from its bytes, not from its name or the client."""
    extension = os.path.splitext(upload.name or "")[1].lower()
    allowed = settings.EVIDENCE_ALLOWED_TYPES
    try:
        if extension in {".txt", ".csv"}:
            return ("text/csv" if extension == ".csv" else "text/plain") if _is_utf8_text(upload) else ""
        if extension in _OFFICE_MAIN_PARTS:
            # puremagic names Office files by their extension alone; the archive tells the truth.
            if not _is_office_package(upload, extension):
                return ""
            return next(mime for mime, exts in allowed.items() if extension in exts)
        upload.seek(0)
        head = upload.read(8192)
    finally:
        upload.seek(0)
    try:
        matches = puremagic.magic_string(head, filename=upload.name or None)
    except (puremagic.PureError, ValueError):
        return ""
    for match in matches:
        if match.mime_type in allowed and extension in allowed[match.mime_type]:
            return str(match.mime_type)
    return ""


def validate_evidence_file(upload: UploadedFile) -> str:
    """Return the file's content type or raise a ``ValidationError`` on the ``file`` field."""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {
                "file": _("Tệp quá lớn (%(size)s); giới hạn là %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("Tệp rỗng.")})
    content_type = _detected_type(upload)
    if not content_type:
        allowed = ", ".join(
            sorted({ext for exts in settings.EVIDENCE_ALLOWED_TYPES.values() for ext in exts})
        )
        raise ValidationError(
            {
                "file": _(
                    "Nội dung tệp không khớp với loại được phép (%(allowed)s) "
                    "hoặc không khớp với phần mở rộng của tên tệp."
                )
                % {"allowed": allowed}
            }
        )
    return content_type


@dataclass(frozen=True)
class CleanedEvidence:
    note: str
    url: str
    content_type: str


def evidence_validate(
    *, kind: str, note: str = "", url: str = "", file: UploadedFile | None = None
) -> CleanedEvidence:
    """Check evidence input without saving it (the admin's inline form calls this too)."""
    note = (note or "").strip()
    url = (url or "").strip()
    content_type = ""
    # A link or a file sent with another kind would be dropped without a word: refused instead.
    misplaced = {}
    if url and kind in (Evidence.Kind.NOTE, Evidence.Kind.FILE):
        misplaced["url"] = _("Đường dẫn chỉ dùng cho minh chứng dạng đường dẫn (kind=link).")
    if file is not None and kind in (Evidence.Kind.NOTE, Evidence.Kind.LINK):
        misplaced["file"] = _("Tệp chỉ gửi kèm minh chứng dạng tệp (kind=file).")
    if misplaced:
        raise ValidationError(misplaced)
    if kind == Evidence.Kind.NOTE:
        if not note:
            raise ValidationError({"note": _("Minh chứng dạng ghi chú cần có nội dung.")})
    elif kind == Evidence.Kind.LINK:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as error:
            raise ValidationError(
                {"url": _("Đường dẫn không hợp lệ (cần http:// hoặc https://).")}
            ) from error
    elif kind == Evidence.Kind.FILE:
        if file is None:
            raise ValidationError({"file": _("Chưa chọn tệp minh chứng.")})
        content_type = validate_evidence_file(file)
    else:
        raise ValidationError({"kind": _("Loại minh chứng không hợp lệ.")})
    return CleanedEvidence(note=note, url=url, content_type=content_type)


@transaction.atomic
def evidence_add(
    *,
    recommendation: Recommendation | int,
    actor: User,
    kind: str,
    note: str = "",
    url: str = "",
    file: UploadedFile | None = None,
) -> Evidence:
    """Attach a note, a link or a file to a recommendation.

    Rules: the actor may edit the item; a note needs text, a link an http(s) URL, a file must be
    within ``EVIDENCE_MAX_BYTES`` and of an allowed type judged by its content. Writes an
    ``evidence_added`` history row; the item's 'last updated' clock restarts.
    """
    locked = _lock(recommendation)
    _require_edit(actor, locked)
    evidence = Evidence(recommendation=locked, kind=kind, submitted_by=actor)
    cleaned = evidence_validate(kind=kind, note=note, url=url, file=file)
    evidence.note = cleaned.note
    evidence.url = cleaned.url
    if file is not None and kind == Evidence.Kind.FILE:
        evidence.content_type = cleaned.content_type
        evidence.original_filename = os.path.basename(file.name or "")[:255]
        evidence.size = file.size
        evidence.file = file
    evidence.search_text = evidence_search_text(
        note=evidence.note, original_filename=evidence.original_filename, url=evidence.url
    )
    evidence.full_clean(exclude=["file"])
    evidence.save()
    now = timezone.now()
    Recommendation.objects.filter(pk=locked.pk).update(last_activity_at=now)
    _history(
        locked,
        kind=HistoryEntry.Kind.EVIDENCE_ADDED,
        actor=actor,
        changes={"evidence_id": evidence.pk, "kind": kind},
        at=now,
    )
    return evidence


@transaction.atomic
def evidence_withdraw(*, evidence: Evidence | int, actor: User, reason: str) -> Evidence:
    """Withdraw a piece of evidence: it is kept, marked withdrawn, and the act is recorded.

    Rules: a reason is required; the last remaining evidence of an implemented or verified item
    cannot be withdrawn (reopen the item first).
    """
    pk = evidence if isinstance(evidence, int) else evidence.pk
    try:
        locked = Recommendation.objects.select_for_update(of=("self",)).get(evidence__pk=pk)
    except Recommendation.DoesNotExist:
        raise Evidence.DoesNotExist(f"No evidence {pk}.") from None
    # Read only now, under the item's lock: a withdrawal that committed while this one waited
    # for the lock is seen, and refused, instead of being overwritten.
    target = Evidence.objects.get(pk=pk)
    _require_edit(actor, locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"withdrawal_reason": _("Cần ghi lý do rút minh chứng.")})
    if target.withdrawn_at is not None:
        # A state, not a bad value: no input field to point at.
        raise DomainError(_("Minh chứng này đã được rút trước đó."), code="already_withdrawn")
    remaining = locked.evidence.filter(withdrawn_at__isnull=True).exclude(pk=target.pk).exists()
    if locked.status in DONE_STATUSES and not remaining:
        raise TransitionRefused(
            _(
                "Không thể rút minh chứng cuối cùng của một kiến nghị đã thực hiện; "
                "hãy mở lại kiến nghị trước."
            ),
            code="evidence_required",
        )
    target.withdrawn_at = timezone.now()
    target.withdrawn_by = actor
    target.withdrawal_reason = reason
    target.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    _history(
        locked,
        kind=HistoryEntry.Kind.EVIDENCE_WITHDRAWN,
        actor=actor,
        comment=reason,
        changes={"evidence_id": target.pk},
    )
    return target


# --- Import ---------------------------------------------------------------------------------------


def _read_date(text: str) -> datetime.date | None:
    """A date as the admin's forms read it: ISO, or day first (a spreadsheet saved with Vietnamese
    settings writes 31/12/2026); None if it is neither."""
    for date_format in get_format("DATE_INPUT_FORMATS"):
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


IMPORT_COLUMNS = ("code", *UPDATABLE_FIELDS, "themes", "status", "source", "location", "quote")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # (row number as the user counts it, header row = 1; column or "" ; message)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def _import_values(row: Mapping[str, Any]) -> tuple[dict[str, Any], list[Theme] | None]:
    """Turn a row's cells into model values; raise ValidationError keyed by column."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    for name in ("title", "title_en"):
        if name in row:
            values[name] = text(name)
    if text("owner_organization"):
        org = Organization.objects.filter(code=text("owner_organization")).first()
        if org is None:
            errors["owner_organization"] = _("Không có tổ chức mã “%(v)s”.") % {
                "v": text("owner_organization")
            }
        values["owner_organization"] = org
    if "owner" in row:
        if text("owner"):
            owner = User.objects.filter(username=text("owner")).first()
            if owner is None:
                errors["owner"] = _("Không có người dùng “%(v)s”.") % {"v": text("owner")}
            values["owner"] = owner
        else:
            values["owner"] = None
    if "due_date" in row:
        raw = row.get("due_date")
        if isinstance(raw, datetime.datetime):
            values["due_date"] = raw.date()
        elif isinstance(raw, datetime.date):
            values["due_date"] = raw
        elif text("due_date"):
            due_date = _read_date(text("due_date"))
            if due_date is None:
                errors["due_date"] = _("Ngày “%(v)s” không đúng dạng YYYY-MM-DD hoặc DD/MM/YYYY.") % {
                    "v": text("due_date")
                }
            else:
                values["due_date"] = due_date
        else:
            values["due_date"] = None
    if text("priority"):
        if text("priority") not in Recommendation.Priority.values:
            errors["priority"] = _("Mức ưu tiên phải là một trong: %(v)s.") % {
                "v": ", ".join(Recommendation.Priority.values)
            }
        values["priority"] = text("priority")
    for name, upper in (("progress", 100), ("horizon", 2200)):
        if name in row:
            if not text(name):
                if name == "horizon":
                    values[name] = None
                continue
            try:
                number = int(float(text(name)))
            except ValueError:
                errors[name] = _("“%(v)s” không phải là số.") % {"v": text(name)}
                continue
            if not 0 <= number <= upper:
                errors[name] = _("Giá trị phải từ 0 đến %(max)s.") % {"max": upper}
            values[name] = number
    if text("version"):
        try:
            values["version"] = int(float(text("version")))
        except ValueError:
            errors["version"] = _("“%(v)s” không phải là số.") % {"v": text("version")}
    theme_list: list[Theme] | None = None
    if "themes" in row:
        slugs = [slug.strip() for slug in text("themes").replace(",", ";").split(";") if slug.strip()]
        theme_list = list(Theme.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {t.slug for t in theme_list})
        if missing:
            errors["themes"] = _("Không có chủ đề: %(v)s.") % {"v": ", ".join(missing)}
    if errors:
        raise ValidationError(errors)
    return values, theme_list


def _import_changes_anything(
    recommendation: Recommendation, changes: Mapping[str, Any], themes: list[Theme] | None
) -> bool:
    if _differences(recommendation, changes):
        return True
    return themes is not None and _themes_difference(recommendation, themes) is not None


@transaction.atomic
def recommendations_import(*, rows: Iterable[Mapping[str, Any]], actor: User) -> ImportResult:
    """Create or update recommendations from tabular rows, all or nothing.

    Each row goes through ``recommendation_update`` or ``recommendation_create``, so every rule
    (permissions, owner membership, validation, history) applies. A status column may be present
    (exports carry it) but must match the current status: statuses change only through the
    workflow. A version column (exports carry it) is the version the row was read at: a row that
    would change an item someone has changed since is refused as stale, never applied over their
    change. A row that changes nothing is counted unchanged, needing no permission, so that an
    owner's untouched export of the whole list imports back. If any row fails, the whole import is
    rolled back and every error is reported with its row number and column.
    """
    result = ImportResult()
    seen: set[str] = set()
    for position, row in enumerate(rows, start=2):
        number = int(row.get("_row") or position)
        code = str(row.get("code") or "").strip()
        try:
            if not code:
                raise ValidationError({"code": _("Thiếu mã kiến nghị.")})
            if code in seen:
                raise ValidationError(
                    {"code": _("Mã %(code)s xuất hiện nhiều lần trong tệp.") % {"code": code}}
                )
            seen.add(code)
            with transaction.atomic():
                values, theme_list = _import_values(row)
                existing = Recommendation.objects.filter(code=code).first()
                if existing is not None:
                    status = str(row.get("status") or "").strip()
                    if status and status != existing.status:
                        raise ValidationError(
                            {
                                "status": _(
                                    "Trạng thái chỉ được thay đổi qua quy trình (hiện là “%(current)s”)."
                                )
                                % {"current": existing.get_status_display()}
                            }
                        )
                    changes = {k: v for k, v in values.items() if k in UPDATABLE_FIELDS}
                    if not _import_changes_anything(existing, changes, theme_list):
                        # An untouched row of an export: nothing to permit, nothing to overwrite.
                        result.unchanged.append(code)
                        continue
                    recommendation_update(
                        recommendation=existing,
                        actor=actor,
                        changes=changes,
                        themes=theme_list,
                        comment=_("Nhập từ tệp"),
                        expected_version=values.get("version"),
                    )
                    result.updated.append(code)
                else:
                    source = SourceDocument.objects.filter(key=str(row.get("source") or "").strip()).first()
                    missing = {}
                    if source is None:
                        missing["source"] = _("Kiến nghị mới cần mã tài liệu nguồn hợp lệ.")
                    if not str(row.get("quote") or "").strip():
                        missing["quote"] = _("Kiến nghị mới cần trích dẫn nguyên văn.")
                    if values.get("owner_organization") is None:
                        missing["owner_organization"] = _("Kiến nghị mới cần đơn vị chủ trì.")
                    if missing:
                        raise ValidationError(missing)
                    values.pop("version", None)  # a new item starts at version 1
                    assert source is not None  # noqa: S101 -- checked above, narrows the type
                    recommendation_create(
                        actor=actor,
                        code=code,
                        quote=str(row.get("quote")).strip(),
                        source_document=source,
                        source_location=str(row.get("location") or "").strip(),
                        themes=theme_list or [],
                        **values,
                    )
                    result.created.append(code)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for column, messages in error.message_dict.items():
                    for message in messages:
                        result.errors.append((number, column if column != "__all__" else "", message))
            else:
                result.errors.extend((number, "", message) for message in error.messages)
        except StaleVersion as error:
            result.errors.append((number, "version", str(error)))
        except (NotPermitted, TransitionRefused) as error:
            result.errors.append((number, "", str(error)))
    if result.errors:
        transaction.set_rollback(True)
        result.created, result.updated, result.unchanged = [], [], []
    return result


# --- Themes --------------------------------------------------------------------------------------


def theme_delete_refusals(themes: QuerySet[Theme]) -> list[str]:
    """Why each of ``themes`` that items still use cannot be deleted; empty if none is used."""
    in_use = (
        themes.annotate(item_count=Count("recommendations")).filter(item_count__gt=0).order_by("name", "pk")
    )
    return [
        ngettext(
            "Không thể xoá chủ đề “%(theme)s”: %(count)s kiến nghị đang dùng chủ đề này. Hãy bỏ chủ đề "
            "khỏi các kiến nghị đó trước (mỗi thay đổi được ghi vào lịch sử của kiến nghị).",
            "Không thể xoá chủ đề “%(theme)s”: %(count)s kiến nghị đang dùng chủ đề này. Hãy bỏ chủ đề "
            "khỏi các kiến nghị đó trước (mỗi thay đổi được ghi vào lịch sử của kiến nghị).",
            theme.item_count,
        )
        % {"theme": theme.name, "count": theme.item_count}
        for theme in in_use
    ]


@transaction.atomic
def themes_delete(*, themes: QuerySet[Theme]) -> None:
    """Delete ``themes`` if no recommendation uses any of them; otherwise refuse, deleting none.

    Deleting a theme in use would take it off every item silently, with no history row and no
    new version; taking it off the items first records each change. The rows are locked first,
    so that a theme given to an item meanwhile is not deleted from under it.
    """
    # Locked in a query of its own: PostgreSQL refuses FOR UPDATE with the count's GROUP BY.
    pks = list(
        Theme.objects.select_for_update().filter(pk__in=themes.values("pk")).values_list("pk", flat=True)
    )
    locked = Theme.objects.filter(pk__in=pks)
    refusals = theme_delete_refusals(locked)
    if refusals:
        raise DomainError(" ".join(refusals), code="theme_in_use")
    locked.delete()


# --- Catalogue -----------------------------------------------------------------------------------


@dataclass
class CatalogueLoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated)


def _catalogue_refresh(
    recommendation: Recommendation, provenance: Mapping[str, Any], addressed_to: list[Organization]
) -> bool:
    """Bring an item's provenance in line with the catalogue file (inside ``catalogue_load``'s
    transaction); True if anything changed."""
    locked = _lock(recommendation)
    diff = _differences(locked, provenance)
    for name in diff:
        setattr(locked, name, provenance[name])
    addressees_changed = _keys_difference(
        locked.addressed_to.values_list("code", flat=True), (o.code for o in addressed_to)
    )
    if addressees_changed:
        diff["addressed_to"] = addressees_changed
    if not diff:
        return False
    locked.search_text = search_text_for(locked)
    locked.full_clean(exclude=["related", "addressed_to", "themes"], validate_unique=False)
    locked.version += 1
    locked.save(update_fields=[n for n in diff if n != "addressed_to"] + ["search_text", "version"])
    if "addressed_to" in diff:
        locked.addressed_to.set(addressed_to)
    _history(
        locked,
        kind=HistoryEntry.Kind.UPDATED,
        actor=None,
        comment=_("Cập nhật nguồn gốc theo danh mục kiến nghị."),
        changes=diff,
    )
    return True


@transaction.atomic
def catalogue_load(catalogue: Mapping[str, Any]) -> CatalogueLoadResult:
    """Load the catalogue of sources, organizations, themes and recommendations, or refresh it.

    Idempotent: rows are matched by their stable codes (``make run`` loads it at every start).
    New recommendations start in status ``proposed``, owned by the file's ``owner_organization``
    (the Vietnamese organization that would act on the item, which is not always the one the
    text addresses). For existing ones only the provenance that nobody edits in the tracker is
    refreshed from the file — quote, source and place, proposer, addressees, decision note,
    other places and relations — with a history row and a new version when any of it changes.
    What staff edit (titles, horizon, themes, owner, due date, progress, status, evidence) and
    existing organizations and themes (names staff may have corrected) are left as they are.
    """
    result = CatalogueLoadResult()
    sources = {}
    for row in catalogue["sources"]:
        sources[str(row["key"])], _created = SourceDocument.objects.update_or_create(
            key=str(row["key"]),
            defaults={
                "file_name": row["file"],
                "title": row["title"],
                "authors": row.get("authors") or "",
                "outlet": row.get("outlet") or "",
                "published_on": row.get("published_on"),
                "language": row.get("language") or "vi",
            },
        )
    organizations: dict[str, Organization] = {}
    new_organizations = set()
    for row in catalogue["organizations"]:
        organizations[row["code"]], created = Organization.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en") or "",
                "kind": row.get("kind") or Organization.Kind.OTHER,
            },
        )
        if created:
            new_organizations.add(row["code"])
    for row in catalogue["organizations"]:
        if row.get("parent") and row["code"] in new_organizations:
            org = organizations[row["code"]]
            org.parent = organizations[row["parent"]]
            org.save(update_fields=["parent"])
    themes: dict[str, Theme] = {}
    for row in catalogue["themes"]:
        themes[row["slug"]], _created = Theme.objects.get_or_create(
            slug=row["slug"], defaults={"name": row["name"], "name_en": row.get("name_en") or ""}
        )

    by_code: dict[str, Recommendation] = {}
    for row in catalogue["recommendations"]:
        provenance = {
            "quote": row["quote"],
            "source_document": sources[str(row["source"])],
            "source_location": row.get("location") or "",
            "source_paragraph": row.get("paragraph"),
            "proposer_person": row.get("proposer_person") or "",
            "proposer_organization": organizations.get(row.get("proposer_organization") or ""),
            "decision_note": row.get("decision_note") or "",
        }
        addressed_to = [organizations[c] for c in row.get("addressed_to") or []]
        existing = Recommendation.objects.filter(code=row["code"]).first()
        if existing is None:
            rec = recommendation_create(
                actor=None,
                code=row["code"],
                title=row["title"],
                title_en=row.get("title_en") or "",
                horizon=row.get("horizon"),
                themes=[themes[slug] for slug in row.get("themes") or []],
                addressed_to=addressed_to,
                owner_organization=organizations[row["owner_organization"]],
                priority=row.get("priority") or Recommendation.Priority.MEDIUM,
                **provenance,
            )
            result.created.append(rec.code)
        else:
            rec = existing
            if _catalogue_refresh(rec, provenance, addressed_to):
                result.updated.append(rec.code)
        places = [
            (place.get("location") or "", place.get("paragraph"), place["quote"])
            for place in row.get("also_at") or []
        ]
        if sorted(rec.citations.values_list("location", "paragraph", "quote")) != sorted(places):
            rec.citations.all().delete()
            Citation.objects.bulk_create(
                Citation(
                    recommendation=rec,
                    source_document=rec.source_document,
                    location=location,
                    paragraph=paragraph,
                    quote=quote,
                )
                for location, paragraph, quote in places
            )
        by_code[rec.code] = rec
    for row in catalogue["recommendations"]:
        by_code[row["code"]].related.set([by_code[c] for c in row.get("related") or []])
    return result


# --- Reminders -----------------------------------------------------------------------------------

# A claim older than this is taken to belong to a worker that died between claiming and marking
# the result, and may be claimed again. It must exceed the reminder tasks' hard time limit, so
# that a live sender is never overtaken.
REMINDER_CLAIM_STALE_AFTER = datetime.timedelta(minutes=10)


def reminder_message_id(*, kind: str, period: str, recipient_id: int) -> str:
    """The fixed Message-ID of one delivery: a duplicate from a crash window is recognisable."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] or "tracker.invalid"
    return f"<reminder.{kind}.{period}.{recipient_id}@{domain}>"


def reminder_delivery_claim(
    *,
    recipient: User | int,
    period: str,
    kind: str,
    subject: str = "",
    item_count: int = 0,
    now: datetime.datetime | None = None,
) -> ReminderDelivery | None:
    """Claim the right to send ``kind`` to ``recipient`` for the ISO week ``period``.

    Rules: one delivery row per (recipient, period, kind), created on first use already claimed
    (the unique constraint lets one insert win); an existing row is claimed by one conditional
    UPDATE (pending or failed → sending, or a sending claim older than
    ``REMINDER_CLAIM_STALE_AFTER``), so two workers racing get one winner, on PostgreSQL and on
    SQLite alike. Returns the claimed row, or ``None`` when it is sent already or another worker
    holds it. Side effects: ``attempts`` + 1, ``claimed_at``, subject and item count recorded.
    Must not run inside a longer transaction: the claim has to be visible before the send.
    """
    now = now or timezone.now()
    recipient_id = recipient if isinstance(recipient, int) else recipient.pk
    this_delivery = ReminderDelivery.objects.filter(recipient_id=recipient_id, period=period, kind=kind)
    delivery = this_delivery.first()
    if delivery is None:
        # The first claim creates the row already claimed: one write instead of an insert, an
        # update and a read back. A worker that inserts second gets the IntegrityError and
        # contends below, where the row's state decides.
        delivery = ReminderDelivery(
            recipient_id=recipient_id,
            period=period,
            kind=kind,
            state=ReminderDelivery.State.SENDING,
            attempts=1,
            claimed_at=now,
            subject=subject[:255],
            item_count=item_count,
            message_id=reminder_message_id(kind=kind, period=period, recipient_id=recipient_id),
            created_at=now,
        )
        # The recipient is not looked up again: the foreign key constraint checks it.
        delivery.full_clean(exclude=["recipient"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                delivery.save(force_insert=True)
            return delivery
        except IntegrityError:
            delivery = this_delivery.first()
            if delivery is None:
                raise  # no other worker's row: the recipient does not exist
    claimable = Q(state__in=[ReminderDelivery.State.PENDING, ReminderDelivery.State.FAILED]) | Q(
        state=ReminderDelivery.State.SENDING, claimed_at__lt=now - REMINDER_CLAIM_STALE_AFTER
    )
    claimed = (
        ReminderDelivery.objects.filter(claimable, pk=delivery.pk).update(
            state=ReminderDelivery.State.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            subject=subject[:255],
            item_count=item_count,
        )
        == 1
    )
    if not claimed:
        return None
    delivery.refresh_from_db()
    return delivery


def reminder_delivery_mark_sent(
    *, delivery: ReminderDelivery | int, now: datetime.datetime | None = None
) -> bool:
    """Record that the claimed delivery went out: sending → sent, error cleared.

    Returns ``False`` (and changes nothing) if the row is no longer in ``sending``.
    """
    pk = delivery if isinstance(delivery, int) else delivery.pk
    return (
        ReminderDelivery.objects.filter(pk=pk, state=ReminderDelivery.State.SENDING).update(
            state=ReminderDelivery.State.SENT, sent_at=now or timezone.now(), last_error=""
        )
        == 1
    )


def reminder_delivery_mark_failed(*, delivery: ReminderDelivery | int, error: str) -> bool:
    """Record that sending the claimed delivery failed: sending → failed with the error text.

    A failed delivery can be claimed again by a retry. Returns ``False`` (and changes nothing) if
    the row is no longer in ``sending``.
    """
    pk = delivery if isinstance(delivery, int) else delivery.pk
    return (
        ReminderDelivery.objects.filter(pk=pk, state=ReminderDelivery.State.SENDING).update(
            state=ReminderDelivery.State.FAILED, last_error=error[:4000] or "?"
        )
        == 1
    )


def check_in_problem(
    *, delivery: ReminderDelivery, recommendation: Recommendation, actor: User
) -> DomainError | None:
    """Why ``actor`` may not check in ``recommendation`` through a link of ``delivery``, if so.

    A read with no side effect: the check-in page asks it before showing the confirmation, and
    ``check_in_redeem`` asks it again under the row lock.
    """
    if (
        delivery.kind != ReminderDelivery.Kind.DIGEST
        or delivery.recipient_id != actor.pk
        or not actor.is_active
    ):
        return NotPermitted(_("Liên kết này không dành cho tài khoản của bạn."))
    if recommendation.owner_id != actor.pk or not roles.can_edit_recommendation(actor, recommendation):
        return NotPermitted(
            _("Bạn không còn là người phụ trách kiến nghị %(code)s nên không thể xác nhận tiến độ.")
            % {"code": recommendation.code}
        )
    if recommendation.status not in OPEN_STATUSES:
        return CheckInRefused(
            _("Kiến nghị %(code)s đã đóng (%(status)s); không cần xác nhận tiến độ nữa.")
            % {"code": recommendation.code, "status": recommendation.get_status_display()},
            code="check_in_closed",
        )
    if CheckInRedemption.objects.filter(delivery=delivery, recommendation=recommendation).exists():
        return CheckInRefused(
            _("Liên kết xác nhận tiến độ cho %(code)s đã được dùng; mỗi liên kết chỉ dùng được một lần.")
            % {"code": recommendation.code},
            code="check_in_used",
        )
    return None


@transaction.atomic
def check_in_redeem(
    *, delivery: ReminderDelivery | int, recommendation: Recommendation | int, actor: User
) -> HistoryEntry:
    """Use a digest's one-click link: the owner confirms the item is on track, once per link.

    Rules: ``check_in_problem`` under the recommendation's row lock (the link's recipient, still
    the owner, item open, link not used). Side effects: through ``recommendation_check_in``, a
    ``check_in`` history row by the owner and ``last_activity_at`` reset, nothing else; a
    ``CheckInRedemption`` row whose unique constraint makes a second use fail even in a race.
    A refusal raises and records nothing.
    """
    locked = _lock(recommendation)
    delivery_row = ReminderDelivery.objects.get(pk=delivery if isinstance(delivery, int) else delivery.pk)
    problem = check_in_problem(delivery=delivery_row, recommendation=locked, actor=actor)
    if problem is not None:
        raise problem
    entry = recommendation_check_in(recommendation=locked, actor=actor)
    try:
        with transaction.atomic():
            CheckInRedemption.objects.create(
                delivery=delivery_row, recommendation=locked, history_entry=entry
            )
    except IntegrityError as error:
        raise CheckInRefused(
            _("Liên kết xác nhận tiến độ cho %(code)s đã được dùng; mỗi liên kết chỉ dùng được một lần.")
            % {"code": locked.code},
            code="check_in_used",
        ) from error
    return entry


# --- A person's own preferences -----------------------------------------------------------------

# What a person sets for themself on the "Tùy chọn của tôi" page. The rest of an account (name,
# organization, roles, access) stays an administrator's, in the user admin.
OWN_PREFERENCE_FIELDS = ("preferred_language", "receives_weekly_digest")


@transaction.atomic
def user_preferences_update(
    *, user: User, preferred_language: str, receives_weekly_digest: bool
) -> list[str]:
    """Set ``user``'s own interface and email language and whether they get the weekly digest.

    Rules: only ``OWN_PREFERENCE_FIELDS`` change; the language must be one of ``settings.LANGUAGES``
    (the model field's own validation: a refusal is a ``ValidationError`` keyed by the field).
    The caller passes the signed-in person: an administrator changes someone else's preferences in
    the user admin, not here. Side effects, in one transaction: the changed fields saved, and a
    ``LogEntry`` (CHANGE, by the person themself) naming them, so that the account's history in
    the admin shows who changed what; ``user`` then carries the saved values. Nothing is written
    when nothing changes. Returns the names of the changed fields; a refusal changes nothing.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    values: dict[str, Any] = {
        "preferred_language": preferred_language,
        "receives_weekly_digest": receives_weekly_digest,
    }
    before = {name: getattr(locked, name) for name in OWN_PREFERENCE_FIELDS}
    for name, value in values.items():
        setattr(locked, name, value)
    others = [f.name for f in User._meta.concrete_fields if f.name not in OWN_PREFERENCE_FIELDS]
    locked.clean_fields(exclude=others)  # and leaves the cleaned values on ``locked``
    changed = [name for name in OWN_PREFERENCE_FIELDS if getattr(locked, name) != before[name]]
    if not changed:
        return []
    locked.save(update_fields=changed)
    with translation.override(None):
        # Stored as msgids, as Django's admin stores its change messages: the history page
        # translates them for whoever reads it.
        verbose_names = {f.name: f.verbose_name for f in User._meta.concrete_fields}
        labels = [str(verbose_names[name]) for name in changed]
    LogEntry.objects.log_actions(
        user_id=locked.pk,
        queryset=[locked],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": labels}}],
        single_object=True,
    )
    for name in changed:
        setattr(user, name, getattr(locked, name))
    return changed
