"""The weekly reminder emails: each owner's digest and each focal person's escalation.

Who gets what (reads), how it looks (Django templates, in the recipient's language) and how one
email goes out exactly once. ``deliver`` is the single path that the Celery tasks and the
``send_reminders`` command both take; every write it makes goes through ``services``:

1. skip at once when the recipient opted out or this week's email is already sent;
2. select the items; an empty selection sends nothing and records nothing;
3. claim the delivery row (unique per recipient, ISO week and kind) with a conditional UPDATE;
   a claim that another worker holds, or a sent row, means this call sends nothing;
4. render and send with the delivery's fixed Message-ID, then mark it sent — or failed, with the
   error text, and re-raise so that the task retries; a retry claims the failed row again.

A worker that dies between sending and marking leaves the row ``sending``; after
``services.REMINDER_CLAIM_STALE_AFTER`` a retry claims it again and may send a second copy, which
carries the same Message-ID. That window is the only way an email can go out twice.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import html
import logging
import re
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import services
from .models import Recommendation, ReminderDelivery, User
from .workflow import OPEN_STATUSES, Status

logger = logging.getLogger(__name__)

DIGEST = ReminderDelivery.Kind.DIGEST
ESCALATION = ReminderDelivery.Kind.ESCALATION
KINDS = (DIGEST, ESCALATION)

# Errors worth retrying: the SMTP server refused or was unreachable, or the network failed.
# (``smtplib.SMTPException`` is an ``OSError``; both are named for the reader.)
TRANSIENT_SEND_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)

CHECK_IN_SALT = "recommendations.check-in-link"
_PERIOD = re.compile(r"(\d{4})-W(\d{2})")


# --- Periods -------------------------------------------------------------------------------------


def iso_period(day: datetime.date | None = None) -> str:
    """The ISO week of ``day`` (today in the site's time zone by default), as ``YYYY-Www``."""
    year, week, _weekday = (day or timezone.localdate()).isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(text: str) -> str:
    """``YYYY-Www`` checked to be a real ISO week; raises ``ValueError`` otherwise."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W07")
    year, week = int(match[1]), int(match[2])
    try:
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError as error:  # week 0, week 53 of a 52-week year, …
        raise ValueError(f"{text!r} is not an ISO week: {error}") from error
    return f"{year}-W{week:02d}"


# --- Dates as people read them -------------------------------------------------------------------
# The emails show dates in the recipient's language, not in ISO: Vietnamese day first and
# zero-padded (31/12/2026), English with the month's abbreviation (31 Dec 2026). The English
# months are a fixed table rather than ``strftime("%b")``, which follows the process's C locale,
# or Django's translated abbreviations, which are lower case ("dec") or in AP style ("Dec.").

_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _vietnamese_date(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _english_date(day: datetime.date) -> str:
    return f"{day.day} {_ENGLISH_MONTHS[day.month - 1]} {day.year}"


def date_formatter(language: str) -> Callable[[datetime.date], str]:
    """How dates read in ``language``, decided once per email rather than for each row."""
    return _english_date if language == "en" else _vietnamese_date


def week_label(period: str, language: str) -> str:
    """The ISO week ``period`` (``YYYY-Www``) as it follows "Tuần"/"Week" in the emails: its
    number and its Monday to Sunday, the year written once unless the week spans two
    ("48 (23/11–29/11/2026)", "1 (29/12/2025–04/01/2026)"; in English "48 (23 Nov – 29 Nov 2026)").

    Only for people to read: the delivery row, the Message-ID and the commands keep ``period``.
    Raises ``ValueError`` as ``parse_period`` does."""
    year, week = (int(part) for part in parse_period(period).split("-W"))
    monday = datetime.date.fromisocalendar(year, week, 1)
    sunday = monday + datetime.timedelta(days=6)
    if language == "en":
        start = f"{monday.day} {_ENGLISH_MONTHS[monday.month - 1]}"
        start += f" {monday.year}" if monday.year != sunday.year else ""
        return f"{week} ({start} – {_english_date(sunday)})"
    start = f"{monday.day:02d}/{monday.month:02d}"
    start += f"/{monday.year}" if monday.year != sunday.year else ""
    return f"{week} ({start}–{_vietnamese_date(sunday)})"


# --- Who gets what -------------------------------------------------------------------------------

DIGEST_GROUPS = ("overdue", "due_soon", "stale", "other")
ESCALATION_ITEM_FIELDS = (
    "code",
    "title",
    "title_en",
    "status",
    "due_date",
    "last_activity_at",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner_organization__name",
)


class DigestItem(NamedTuple):
    """An open item as the digest shows it, read as a plain row: an owner may have hundreds, and
    building a model instance for each cost more than the query."""

    pk: int
    code: str
    title: str
    title_en: str
    status: str
    due_date: datetime.date | None
    group: str  # one of DIGEST_GROUPS


def digest_recipient_ids() -> list[int]:
    """Active people with an address who want the digest and own at least one open item of
    their organization (someone moved to another organization can no longer update the old
    one's items: those are the focal person's to reassign)."""
    return list(
        User.objects.filter(
            is_active=True,
            receives_weekly_digest=True,
            owned_recommendations__status__in=OPEN_STATUSES,
            owned_recommendations__owner_organization=F("organization"),
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def escalation_recipient_ids() -> list[int]:
    """Active people with an address who are the focal person of at least one organization.

    The digest preference does not apply: escalation is part of the focal person's role; to stop
    it, another person is made the focal person.
    """
    return list(
        User.objects.filter(is_active=True, focal_for_organizations__isnull=False)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def recipient_ids(kind: str) -> list[int]:
    return digest_recipient_ids() if kind == DIGEST else escalation_recipient_ids()


def digest_groups(
    owner: User | int, *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> dict[str, list[DigestItem]]:
    """The owner's open items, each in the first group it fits, in one query.

    overdue (due date passed) / due_soon (due within ``REMINDER_DUE_SOON_DAYS``) / stale (no
    activity for ``REMINDER_STALE_DAYS``) / other; each group by due date, then code.
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    due_soon_until = today + datetime.timedelta(days=settings.REMINDER_DUE_SOON_DAYS)
    stale_before = now - datetime.timedelta(days=settings.REMINDER_STALE_DAYS)
    groups: dict[str, list[DigestItem]] = {key: [] for key in DIGEST_GROUPS}
    # Only the owner's organization's items: after a move to another organization, the old one's
    # items are no longer theirs to update.
    organization_id: Any = (
        owner.organization_id
        if isinstance(owner, User)
        else Subquery(User.objects.filter(pk=owner).values("organization_id"))
    )
    # Only the columns the digest shows, not the long texts (quote, search text); the owner is
    # the recipient and the digest names no organization. The group is decided in SQL: reading
    # each row's last activity to decide it here cost more than the rest of the row (a
    # timestamp with time zone is parsed in Python, about 5 µs, hundreds of times per digest).
    # A missing due date fails both date tests, as NULL comparisons do.
    group = Case(
        When(due_date__lt=today, then=Value("overdue")),
        When(due_date__lte=due_soon_until, then=Value("due_soon")),
        When(last_activity_at__lt=stale_before, then=Value("stale")),
        default=Value("other"),
        output_field=CharField(),
    )
    rows = (
        Recommendation.objects.filter(
            owner=owner, status__in=OPEN_STATUSES, owner_organization_id=organization_id
        )
        .annotate(digest_group=group)
        .order_by(F("due_date").asc(nulls_last=True), "code")
        .values_list("pk", "code", "title", "title_en", "status", "due_date", "digest_group")
    )
    for item in map(DigestItem._make, rows):
        groups[item.group].append(item)
    return groups


def escalation_items(
    focal_person: User | int, *, period: str, today: datetime.date | None = None
) -> list[Recommendation]:
    """Open items of the organizations ``focal_person`` is focal person for that need escalating.

    An item qualifies when it is overdue by more than ``ESCALATION_OVERDUE_DAYS`` days, or when its
    owner has been sent at least ``ESCALATION_MISSED_DIGESTS`` digests (of weeks before ``period``)
    since the item's last update or check-in. Each item carries ``missed_digests``; ordered by
    organization, due date and code, in one query.
    """
    today = today or timezone.localdate()
    overdue_before = today - datetime.timedelta(days=settings.ESCALATION_OVERDUE_DAYS)
    digests_since_activity = (
        ReminderDelivery.objects.filter(
            recipient=OuterRef("owner"),
            kind=DIGEST,
            state=ReminderDelivery.State.SENT,
            period__lt=period,
            sent_at__gt=OuterRef("last_activity_at"),
        )
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return list(
        Recommendation.objects.filter(owner_organization__focal_person=focal_person, status__in=OPEN_STATUSES)
        .annotate(
            missed_digests=Coalesce(Subquery(digests_since_activity, output_field=IntegerField()), Value(0))
        )
        .filter(Q(due_date__lt=overdue_before) | Q(missed_digests__gte=settings.ESCALATION_MISSED_DIGESTS))
        .select_related("owner_organization", "owner")
        # What the escalation shows, not the long texts (quote, search text) of each row.
        .only(*ESCALATION_ITEM_FIELDS)
        .order_by("owner_organization__name", F("due_date").asc(nulls_last=True), "code")
    )


# --- Check-in links ------------------------------------------------------------------------------


class CheckInLinkError(Exception):
    """A check-in link that is not ours (tampered, truncated) or too old."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckInLink:
    delivery_id: int
    recommendation_id: int
    user_id: int


class CheckInLinkSigner:
    """Signs the check-in links of one email exactly as ``signing.dumps(payload,
    salt=CHECK_IN_SALT)`` would at that moment, so that ``read_check_in_token`` verifies them with
    plain ``signing.loads``.

    Why not ``signing.dumps`` per link: a digest has hundreds of items, and each call builds a
    signer, derives the HMAC key from ``SECRET_KEY`` again and reads the clock. Here the key is
    derived and the time read once per email, and each link costs one HMAC-SHA256 of its payload
    and that timestamp: the same MAC under the same key as before, so links stay unforgeable,
    expire after ``CHECK_IN_LINK_MAX_AGE_DAYS`` as before (all links of an email together), and
    stay single-use (``services.check_in_redeem`` records each use).
    """

    def __init__(self) -> None:
        signer = signing.TimestampSigner(salt=CHECK_IN_SALT)
        self._separator = signer.sep
        self._timestamp = signer.timestamp()
        # ``Signer.signature(value)`` is ``salted_hmac(salt + "signer", value, key)``; an HMAC that
        # has been fed nothing, copied for each link and fed its value, gives the same digest.
        self._empty_mac = salted_hmac(
            f"{CHECK_IN_SALT}signer", b"", secret=signer.key, algorithm=signer.algorithm
        )

    def token(self, *, delivery_id: int, recommendation_id: int, user_id: int) -> str:
        """A signed, timestamped token naming the digest it came in, the item and the owner."""
        # The compact JSON that ``signing.JSONSerializer`` writes for these three integers.
        json_payload = f'{{"d":{int(delivery_id)},"r":{int(recommendation_id)},"u":{int(user_id)}}}'
        payload = signing.b64_encode(json_payload.encode()).decode()
        value = f"{payload}{self._separator}{self._timestamp}"
        mac = self._empty_mac.copy()
        mac.update(value.encode())
        return f"{value}{self._separator}{signing.b64_encode(mac.digest()).decode()}"


def check_in_token(*, delivery_id: int, recommendation_id: int, user_id: int) -> str:
    """A signed, timestamped token naming the digest it came in, the item and the owner."""
    return CheckInLinkSigner().token(
        delivery_id=delivery_id, recommendation_id=recommendation_id, user_id=user_id
    )


def read_check_in_token(token: str) -> CheckInLink:
    """The link's contents; ``CheckInLinkError("expired" | "invalid")`` when it cannot be used."""
    max_age = datetime.timedelta(days=settings.CHECK_IN_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=CHECK_IN_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise CheckInLinkError("expired") from error
    except signing.BadSignature as error:
        raise CheckInLinkError("invalid") from error
    try:
        return CheckInLink(
            delivery_id=int(payload["d"]), recommendation_id=int(payload["r"]), user_id=int(payload["u"])
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckInLinkError("invalid") from error


def check_in_url_parts() -> tuple[str, str]:
    """The absolute check-in URL around its token, as (before, after): ``reverse`` once per email
    rather than once per item, where it cost more than signing the link. Tokens are made of
    characters that ``reverse`` leaves as they are (base64url and ``:``)."""
    placeholder = "TOKEN"
    path = reverse("recommendations:check_in", kwargs={"token": placeholder})
    before, _placeholder, after = path.partition(placeholder)
    return settings.SITE_URL + before, after


def check_in_url(*, delivery_id: int, recommendation_id: int, user_id: int) -> str:
    before, after = check_in_url_parts()
    token = check_in_token(delivery_id=delivery_id, recommendation_id=recommendation_id, user_id=user_id)
    return f"{before}{token}{after}"


def admin_change_url(recommendation: Recommendation | DigestItem) -> str:
    return f"{settings.SITE_URL}/admin/recommendations/recommendation/{recommendation.pk}/change/"


def my_preferences_url() -> str:
    """Where the recipient sets their own language and whether they get the digest."""
    return settings.SITE_URL + reverse("my_preferences")


# --- Rendering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailItem:
    code: str
    title: str
    status: str
    due_date: datetime.date | None
    admin_url: str
    check_in_url: str = ""
    # ``due_date`` as the recipient reads it (see ``date_formatter``); empty when there is none.
    due_date_text: str = ""
    owner_name: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmailGroup:
    title: str
    items: list[EmailItem]
    # The item rows, already rendered (see ``email_rows_html``).
    rows_html: SafeString = field(default_factory=SafeString)
    rows_text: str = ""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass
class Content:
    """What one recipient's email says, before it is rendered in their language."""

    kind: str
    recipient: User
    period: str
    # Digest: ``DigestItem`` rows by group; escalation: recommendations by organization.
    groups: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return sum(len(items) for items in self.groups.values())


def recipient_language(recipient: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return recipient.preferred_language if recipient.preferred_language in codes else settings.LANGUAGE_CODE


def title_in(recommendation: Recommendation | DigestItem, language: str) -> str:
    """The item's title in ``language``: the English one where there is one."""
    return recommendation.title_en if language == "en" and recommendation.title_en else recommendation.title


def _digest_group_title(key: str) -> str:
    if key == "overdue":
        return _("Quá hạn")
    if key == "due_soon":
        return _("Đến hạn trong %(days)s ngày tới") % {"days": settings.REMINDER_DUE_SOON_DAYS}
    if key == "stale":
        return _("Chưa cập nhật trong %(days)s ngày") % {"days": settings.REMINDER_STALE_DAYS}
    return _("Các kiến nghị khác đang mở")


def _escalation_reasons(item: Recommendation, today: datetime.date) -> tuple[str, ...]:
    reasons = []
    if item.due_date is not None and (today - item.due_date).days > settings.ESCALATION_OVERDUE_DAYS:
        reasons.append(_("quá hạn %(days)s ngày") % {"days": (today - item.due_date).days})
    missed = getattr(item, "missed_digests", 0)
    if missed >= settings.ESCALATION_MISSED_DIGESTS:
        reasons.append(
            _("%(count)s thư nhắc hằng tuần đã gửi mà không có cập nhật hay xác nhận tiến độ")
            % {"count": missed}
        )
    return tuple(reasons)


def _subject(content: Content, week: str) -> str:
    """``week`` is ``week_label``'s text, which the templates show as ``period`` (see ``render``)."""
    template = f"recommendations/email/{content.kind}_subject.txt"
    text = render_to_string(template, {"period": week, "item_count": content.item_count})
    return " ".join(text.split())


def subject_for(content: Content) -> str:
    language = recipient_language(content.recipient)
    with translation.override(language):
        return _subject(content, week_label(content.period, language))


# The item rows of both emails are rendered by the two functions below rather than in their
# templates, which keep the page around them. A digest or an escalation lists hundreds of items,
# and the template engine's per-variable cost (a dozen lookups per row, in two formats) made these
# rows the largest part of an email's CPU time: for a digest of 230 items about 15 ms through
# templates against 3 ms here; an escalation's rows took 60 of its 105 ms. Every value of the HTML
# goes through ``html.escape`` (titles and names are user text): what Django's ``escape`` and the
# templates' autoescaping call, without the wrapper that checks each argument for a lazy string
# (a thousand calls per email, 5 ms).

_ROW_HTML_START = '<tr style="border-top: 1px solid #ddd; vertical-align: top;">'


def email_rows_html(kind: str, items: Iterable[EmailItem]) -> SafeString:
    """The table rows of ``items`` in the active language: a digest's end with the item's
    check-in link, an escalation's with its owner and the reasons it is escalated."""
    no_due_date = html.escape(_("chưa có"))
    check_in_label = html.escape(_("Xác nhận đúng tiến độ"))
    rows = []
    for item in items:
        # A formatted date is digits, "/", spaces and an English month: nothing to escape.
        due_date = item.due_date_text or no_due_date
        if kind == DIGEST:
            check_in_url = html.escape(item.check_in_url)
            check_in = f'<a href="{check_in_url}">{check_in_label}</a>' if check_in_url else ""
            last_cells = f"<td>{check_in}</td>"
        else:
            owner, reasons = html.escape(item.owner_name or "—"), html.escape("; ".join(item.reasons))
            last_cells = f"<td>{owner}</td><td>{reasons}</td>"
        # Three lines a row, the title (the only long value) on its own: every line of an email
        # costs the sender and each relay a step, and a line over 998 bytes would make the whole
        # part quoted-printable.
        rows.append(
            f"{_ROW_HTML_START}"
            f'<td><a href="{html.escape(item.admin_url)}">{html.escape(item.code)}</a></td>\n'
            f"<td>{html.escape(item.title)}</td>\n"
            f"<td>{html.escape(item.status)}</td><td>{due_date}</td>{last_cells}</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


def email_rows_text(kind: str, items: Iterable[EmailItem]) -> str:
    """The plain-text entries of ``items`` in the active language; each starts with an empty
    line."""
    status_label = _("Trạng thái")
    due_date_label = _("Hạn hoàn thành")
    no_due_date = _("chưa có")
    admin_label = _("Xem và cập nhật")
    check_in_label = _("Xác nhận đúng tiến độ, không có thay đổi")
    owner_label = _("Người phụ trách")
    reasons_label = _("Lý do")
    entries = []
    for item in items:
        due_date = item.due_date_text or no_due_date
        if kind == DIGEST:
            entries.append(
                f"\n* {item.code} — {item.title}\n"
                f"  {status_label}: {item.status} | {due_date_label}: {due_date}\n"
                f"  {admin_label}: {item.admin_url}\n"
                f"  {check_in_label}: {item.check_in_url}\n"
            )
        else:
            entries.append(
                f"\n* {item.code} — {item.title}\n"
                f"  {status_label}: {item.status} | {due_date_label}: {due_date}"
                f" | {owner_label}: {item.owner_name or '—'}\n"
                f"  {reasons_label}: {'; '.join(item.reasons)}\n"
                f"  {admin_label}: {item.admin_url}\n"
            )
    return "".join(entries)


def _check_in_url_maker(
    content: Content, delivery_id: int | None
) -> Callable[[Recommendation | DigestItem], str]:
    """The check-in URL of each item of this email; only a digest sent as a delivery has them."""
    if content.kind != DIGEST or delivery_id is None:
        return lambda _recommendation: ""
    signer = CheckInLinkSigner()
    before, after = check_in_url_parts()
    user_id = content.recipient.pk

    def check_in_url_of(recommendation: Recommendation | DigestItem) -> str:
        token = signer.token(delivery_id=delivery_id, recommendation_id=recommendation.pk, user_id=user_id)
        return f"{before}{token}{after}"

    return check_in_url_of


def render(content: Content, *, delivery_id: int | None, today: datetime.date | None = None) -> RenderedEmail:
    """Subject, plain text and HTML in the recipient's language (Vietnamese unless they chose
    English). Digest items carry a check-in link when ``delivery_id`` is given."""
    today = today or timezone.localdate()
    language = recipient_language(content.recipient)
    with translation.override(language):
        # Each label translated once: ``get_status_display()`` per item looks it up in the
        # catalogue every time, a large share of a digest's cost.
        status_labels = {status: str(label) for status, label in Status.choices}
        check_in_url_of = _check_in_url_maker(content, delivery_id)
        date_text = date_formatter(language)
        groups: list[EmailGroup] = []
        for key, recommendations in content.groups.items():
            if not recommendations:
                continue
            items = [
                EmailItem(
                    code=rec.code,
                    title=title_in(rec, language),
                    status=status_labels.get(rec.status, rec.status),
                    due_date=rec.due_date,
                    due_date_text=date_text(rec.due_date) if rec.due_date else "",
                    admin_url=admin_change_url(rec),
                    check_in_url=check_in_url_of(rec),
                    # Only the escalation shows the owner; the digest's query does not load it.
                    owner_name=str(rec.owner) if content.kind == ESCALATION and rec.owner_id else "",
                    reasons=_escalation_reasons(rec, today) if content.kind == ESCALATION else (),
                )
                for rec in recommendations
            ]
            groups.append(
                EmailGroup(
                    title=_digest_group_title(key) if content.kind == DIGEST else key,
                    items=items,
                    rows_html=email_rows_html(content.kind, items),
                    rows_text=email_rows_text(content.kind, items),
                )
            )
        # The templates' msgids say "Tuần %(period)s" / "Week %(period)s": ``period`` is given the
        # week as people read it, not the ISO key ``content.period``.
        week = week_label(content.period, language)
        context: dict[str, Any] = {
            "recipient_name": str(content.recipient),
            "period": week,
            "item_count": content.item_count,
            "groups": groups,
            "language": language,
            "site_url": settings.SITE_URL,
            "preferences_url": my_preferences_url(),
            "check_in_days": settings.CHECK_IN_LINK_MAX_AGE_DAYS,
            "overdue_days": settings.ESCALATION_OVERDUE_DAYS,
            "missed_digests": settings.ESCALATION_MISSED_DIGESTS,
        }
        base = f"recommendations/email/{content.kind}"
        return RenderedEmail(
            subject=_subject(content, week),
            text=render_to_string(f"{base}.txt", context),
            html=render_to_string(f"{base}.html", context),
        )


def build_content(*, kind: str, recipient: User, period: str) -> Content:
    if kind == DIGEST:
        return Content(kind=kind, recipient=recipient, period=period, groups=digest_groups(recipient))
    by_organization: dict[str, list[Recommendation]] = {}
    english = recipient_language(recipient) == "en"
    for item in escalation_items(recipient, period=period):
        organization = item.owner_organization
        name = organization.name_en if english and organization.name_en else organization.name
        by_organization.setdefault(name, []).append(item)
    return Content(kind=kind, recipient=recipient, period=period, groups=by_organization)


def email_message(rendered: RenderedEmail, *, to: str, message_id: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": message_id,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


class _ReusedSMTPSession:
    """One mail connection kept open from one email to the next, for a Celery worker process
    (``tasks`` turns it on when the process starts). Opening one per email cost the greeting,
    EHLO and QUIT: three of an email's seven round trips to the relay, which answers them one
    connection at a time.

    A failed send closes the connection, so the next email (or the task's retry) starts on a new
    one. A connection the relay closed while idle is found out at the next send, before anything
    of that email was accepted: that email is sent once more on a new connection.
    """

    def __init__(self) -> None:
        self.enabled = False
        self.connection: Any = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if not self.enabled:
            message.send()
            return
        reused = self.connection is not None
        try:
            self._send_on_open_connection(message)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self._send_on_open_connection(message)

    def _send_on_open_connection(self, message: EmailMultiAlternatives) -> None:
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        message.connection = self.connection
        try:
            message.send()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


smtp_session = _ReusedSMTPSession()


# --- Delivering ----------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    SENT = "sent"
    WOULD_SEND = "would_send"  # dry run
    ALREADY_SENT = "already_sent"
    IN_FLIGHT = "in_flight"  # another worker holds the claim
    NOTHING_TO_SEND = "nothing_to_send"
    NOT_SUBSCRIBED = "not_subscribed"  # unknown, inactive, no address, or opted out of the digest
    FAILED = "failed"  # only in ``deliver_all``'s summary; ``deliver`` raises instead


@dataclass(frozen=True)
class DeliveryResult:
    kind: str
    recipient_id: int
    period: str
    outcome: Outcome
    address: str = ""
    language: str = ""
    subject: str = ""
    item_count: int = 0
    delivery_id: int | None = None
    error: str = ""


def deliver(*, kind: str, recipient_id: int, period: str, dry_run: bool = False) -> DeliveryResult:
    """Send this week's ``kind`` email to one person, at most once (see the module docstring).

    Raises what sending raised (after recording the delivery as failed); ``TRANSIENT_SEND_ERRORS``
    are worth a retry. With ``dry_run`` nothing is claimed, sent or recorded.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    recipient = User.objects.filter(pk=recipient_id).first()
    result = DeliveryResult(kind, recipient_id, period, Outcome.NOT_SUBSCRIBED)
    if (
        recipient is None
        or not recipient.is_active
        or not recipient.email
        or (kind == DIGEST and not recipient.receives_weekly_digest)
    ):
        return result
    result = replace(result, address=recipient.email, language=recipient_language(recipient))
    existing = ReminderDelivery.objects.filter(recipient=recipient, period=period, kind=kind).first()
    if existing is not None and existing.state == ReminderDelivery.State.SENT:
        return replace(result, outcome=Outcome.ALREADY_SENT, delivery_id=existing.pk)
    content = build_content(kind=kind, recipient=recipient, period=period)
    if content.item_count == 0:
        return replace(result, outcome=Outcome.NOTHING_TO_SEND)
    result = replace(result, subject=subject_for(content), item_count=content.item_count)
    if dry_run:
        return replace(result, outcome=Outcome.WOULD_SEND)

    delivery = services.reminder_delivery_claim(
        recipient=recipient, period=period, kind=kind, subject=result.subject, item_count=result.item_count
    )
    if delivery is None:
        state = (
            ReminderDelivery.objects.filter(recipient=recipient, period=period, kind=kind)
            .values_list("state", flat=True)
            .first()
        )
        sent = state == ReminderDelivery.State.SENT
        return replace(result, outcome=Outcome.ALREADY_SENT if sent else Outcome.IN_FLIGHT)
    try:
        rendered = render(content, delivery_id=delivery.pk)
        smtp_session.send(email_message(rendered, to=recipient.email, message_id=delivery.message_id))
    except Exception as error:
        services.reminder_delivery_mark_failed(delivery=delivery, error=f"{type(error).__name__}: {error}")
        logger.warning(
            "reminder %s %s to user %s failed (attempt %s): %s",
            kind,
            period,
            recipient_id,
            delivery.attempts,
            error,
        )
        raise
    if not services.reminder_delivery_mark_sent(delivery=delivery):
        logger.warning("reminder delivery %s was sent but no longer in 'sending'", delivery.pk)
    return replace(result, outcome=Outcome.SENT, delivery_id=delivery.pk)


def deliver_all(
    *,
    period: str,
    dry_run: bool = False,
    kinds: Iterable[str] = KINDS,
    on_result: Callable[[DeliveryResult], None] | None = None,
) -> list[DeliveryResult]:
    """Run ``deliver`` for every candidate now, in this process (the ``send_reminders`` command).

    A failure for one recipient is recorded (on the delivery row and as a ``FAILED`` result) and
    the others still go out.
    """
    results = []
    for kind in kinds:
        for recipient_id in recipient_ids(kind):
            try:
                result = deliver(kind=kind, recipient_id=recipient_id, period=period, dry_run=dry_run)
            except Exception as error:
                result = DeliveryResult(
                    kind, recipient_id, period, Outcome.FAILED, error=f"{type(error).__name__}: {error}"
                )
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
