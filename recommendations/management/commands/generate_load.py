"""Fill the database with a realistic, deterministic load for benchmarks: ``generate_load``.

The rows are written in bulk, not through ``services`` one by one (that would take hours for a
million items), so this command is the one place outside the services that writes domain rows.
It writes only its own rows and keeps them consistent with the rules the services enforce:

- each item's history is a valid workflow chain: a ``created`` row (to ``proposed``), then one
  ``status`` row per transition of ``workflow.TRANSITIONS`` (with a comment where the transition
  requires one), ending at the item's current status; open items may also have ``check_in`` rows;
  ``version`` is 1 + the number of transitions, as the services would have left it;
- implemented and verified items have evidence (notes or links, never withdrawn) submitted before
  they were marked implemented, ``completed_at`` (the time of that transition), ``implemented_by``
  (their owner) and progress 100; verified items were verified by someone else (``load-admin``);
- owners are members of the ``owner`` group and belong to the organization that owns their items;
- ``search_text`` (of items, history and evidence) is computed with the functions of ``search``
  exactly as ``services`` does.

Mix: 30% proposed, 25% in progress, 15% implemented, 20% verified, 10% rejected — exact in every
block of 20 consecutive items, shuffled within the block. Due dates lie between 30 days ago and 90
days ahead, a sixth of them in the past (so a sixth of the open items are overdue). Each item has
two to five history rows and one to three evidence rows.

On PostgreSQL the rows go in with ``COPY`` (a million items in a few minutes); elsewhere with
``bulk_create`` in batches. Everything runs in one transaction: a failed run leaves nothing.

What is generated is marked by its source document, not by its code: the generator's own source
document (key ``LOAD``, file name ``generate_load``, created only here) holds exactly the items it
wrote, coded ``LOAD-`` and seven digits. ``--replace`` deletes those items (with their history and
evidence, in raw SQL for speed) and nothing else: an administrator may create real items coded
``LOAD-…`` or ``load-…`` elsewhere, and they are never touched. It refuses, deleting nothing, when
the ``LOAD`` source document is not the generator's or holds an item with any other code, and
when a real item already has one of the codes it is about to write.
"""

from __future__ import annotations

import datetime
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.functions import Length
from django.utils import timezone

from recommendations import roles
from recommendations.models import (
    CheckInRedemption,
    Citation,
    Evidence,
    HistoryEntry,
    Organization,
    Recommendation,
    SourceDocument,
    User,
)
from recommendations.search import evidence_search_text, history_search_text, normalize_for_search
from recommendations.workflow import Status, find_transition

CODE_PREFIX = "LOAD-"
CODE_DIGITS = 7
# A generated code, exactly (case-sensitive; both Python's re and PostgreSQL know ``\A`` and ``\Z``).
GENERATED_CODE_REGEX = rf"\A{CODE_PREFIX}[0-9]{{{CODE_DIGITS}}}\Z"
GENERATED_CODE_LENGTH = len(CODE_PREFIX) + CODE_DIGITS
SOURCE_KEY = "LOAD"
# What tells the generator's own source document from one an administrator keyed ``LOAD``.
SOURCE_FILE_NAME = "generate_load"
ORG_CODE = "LOAD-ORG-{:03d}"
OWNER_USERNAME = "load-owner-{:04d}"
ADMIN_USERNAME = "load-admin"
READER_USERNAME = "load-reader"

# 20 slots: every block of 20 consecutive items has exactly this mix.
STATUS_BLOCK: tuple[Status, ...] = (
    (Status.PROPOSED,) * 6
    + (Status.IN_PROGRESS,) * 5
    + (Status.IMPLEMENTED,) * 3
    + (Status.VERIFIED,) * 4
    + (Status.REJECTED,) * 2
)
DUE_PAST_DAYS = 30
DUE_AHEAD_DAYS = 90
OVERDUE_SHARE = 1 / 6

CHAINS: dict[Status, tuple[tuple[Status, ...], ...]] = {
    # Possible paths from ``proposed`` to each final status (the first element is ``proposed``).
    Status.PROPOSED: ((Status.PROPOSED,),),
    Status.IN_PROGRESS: (
        (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS),
        (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS, Status.BLOCKED, Status.IN_PROGRESS),
    ),
    Status.IMPLEMENTED: ((Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED),),
    Status.VERIFIED: (
        (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED, Status.VERIFIED),
    ),
    Status.REJECTED: (
        (Status.PROPOSED, Status.REJECTED),
        (Status.PROPOSED, Status.ACCEPTED, Status.REJECTED),
    ),
}
OPEN_FINAL = frozenset({Status.PROPOSED, Status.IN_PROGRESS})

VERBS = (
    "Xây dựng",
    "Hoàn thiện",
    "Đẩy mạnh",
    "Triển khai",
    "Nghiên cứu",
    "Thúc đẩy",
    "Đánh giá",
    "Số hóa",
)
TOPICS = (
    ("cơ sở dữ liệu đối ngoại dùng chung", "a shared foreign-affairs database"),
    ("hợp tác quốc tế về chuyển đổi số", "international cooperation on digital transformation"),
    ("đào tạo cán bộ ngoại giao số", "training for digital diplomats"),
    ("an ninh mạng trong trao đổi thông tin", "cybersecurity in information exchange"),
    ("thông tin đối ngoại trên nền tảng số", "external information on digital platforms"),
    ("hạ tầng dữ liệu quốc gia", "national data infrastructure"),
    ("quản trị Internet toàn cầu", "global Internet governance"),
    ("thương mại điện tử xuyên biên giới", "cross-border e-commerce"),
    ("trí tuệ nhân tạo trong hoạch định chính sách", "artificial intelligence in policy making"),
    ("công dân số và dịch vụ lãnh sự trực tuyến", "digital citizens and online consular services"),
)
QUOTES = (
    "Cần {verb} {topic} để nâng cao hiệu quả công tác đối ngoại trong thời kỳ chuyển đổi số.",
    "Đề nghị các bộ, ngành phối hợp {verb} {topic}, bảo đảm tiến độ và chất lượng.",
    "Kiến nghị ưu tiên nguồn lực để {verb} {topic} trong giai đoạn tới.",
)
EVIDENCE_NOTES = (
    "Đã ban hành kế hoạch triển khai.",
    "Biên bản họp liên ngành đã được gửi các đơn vị.",
    "Báo cáo tiến độ quý gửi Văn phòng.",
    "Dự thảo văn bản đã lấy ý kiến các bộ, ngành.",
)
COMMENTS = {
    Status.REJECTED: "Không phù hợp với chức năng, nhiệm vụ của đơn vị.",
    Status.BLOCKED: "Chờ ý kiến thống nhất của các bộ, ngành liên quan.",
}
CHECK_IN_COMMENT = "Đúng tiến độ, không có thay đổi."
PRIORITIES = (
    (Recommendation.Priority.HIGH,) * 2
    + (Recommendation.Priority.MEDIUM,) * 5
    + (Recommendation.Priority.LOW,) * 3
)


def generated_code(number: int) -> str:
    return f"{CODE_PREFIX}{number:0{CODE_DIGITS}d}"


@dataclass(slots=True)
class ItemPlan:
    """Everything about one generated item, decided before anything is written."""

    values: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Cast:
    """The rows the items refer to: organizations, owners and the people acting on items."""

    source_id: int
    owner_ids: Sequence[int]
    owner_org_ids: Sequence[int]
    admin_id: int


class LoadPlanner:
    """Deterministic plans: the same seed (and the same ``now``) gives the same items."""

    def __init__(self, *, seed: int, cast: Cast, now: datetime.datetime) -> None:
        self.seed = seed
        self.cast = cast
        self.now = now
        self.today = timezone.localdate(now)
        self._block_index = -1
        self._block: list[Status] = []

    def _status(self, index: int) -> Status:
        block_index = index // len(STATUS_BLOCK)
        if block_index != self._block_index:
            self._block = list(STATUS_BLOCK)
            random.Random(f"{self.seed}:block:{block_index}").shuffle(self._block)  # noqa: S311
            self._block_index = block_index
        return self._block[index % len(STATUS_BLOCK)]

    def item(self, index: int) -> ItemPlan:
        # One generator per item: a batch or a writer never changes what an item looks like.
        rng = random.Random(f"{self.seed}:item:{index}")  # noqa: S311 - reproducible data, not secrets
        owner_slot = index % len(self.cast.owner_ids)
        owner_id = self.cast.owner_ids[owner_slot]
        final = self._status(index)
        chain = rng.choice(CHAINS[final])

        code = generated_code(index + 1)
        verb = rng.choice(VERBS)
        topic, topic_en = rng.choice(TOPICS)
        title = f"{verb} {topic} (đợt {index % 97 + 1})"
        title_en = f"{verb} — {topic_en} (round {index % 97 + 1})"
        quote = rng.choice(QUOTES).format(verb=verb.lower(), topic=topic)
        if rng.random() < OVERDUE_SHARE:
            due_offset = rng.randint(-DUE_PAST_DAYS, -1)
        else:
            due_offset = rng.randint(0, DUE_AHEAD_DAYS)
        created_at = self.now - datetime.timedelta(seconds=rng.randint(20 * 86400, 400 * 86400))

        steps = len(chain) - 1
        fillers = 0
        if final in OPEN_FINAL:
            fillers = max(0, rng.randint(2, 5) - len(chain))
        slots = ["s"] * steps + ["c"] * fillers
        rng.shuffle(slots)
        span = (self.now - created_at).total_seconds() - 60
        times = sorted(created_at + datetime.timedelta(seconds=rng.uniform(1, span)) for _ in slots)

        history: list[dict[str, Any]] = [
            {
                "kind": HistoryEntry.Kind.CREATED,
                "from_status": "",
                "to_status": Status.PROPOSED,
                "actor_id": None,
                "comment": "",
                "search_text": history_search_text(""),
                "created_at": created_at,
            }
        ]
        position = 0
        implemented_at: datetime.datetime | None = None
        for slot, at in zip(slots, times, strict=True):
            if slot == "c":
                history.append(
                    {
                        "kind": HistoryEntry.Kind.CHECK_IN,
                        "from_status": "",
                        "to_status": "",
                        "actor_id": owner_id,
                        "comment": CHECK_IN_COMMENT,
                        "search_text": history_search_text(CHECK_IN_COMMENT),
                        "created_at": at,
                    }
                )
                continue
            source, target = chain[position], chain[position + 1]
            position += 1
            transition = find_transition(source, target)
            assert transition is not None, (source, target)  # noqa: S101 - CHAINS is static data
            actor_id = self.cast.admin_id if target in (Status.VERIFIED, Status.REJECTED) else owner_id
            comment = COMMENTS.get(target, "") if transition.requires_comment else ""
            if target == Status.IMPLEMENTED:
                implemented_at = at
            history.append(
                {
                    "kind": HistoryEntry.Kind.STATUS,
                    "from_status": source,
                    "to_status": target,
                    "actor_id": actor_id,
                    "comment": comment,
                    "search_text": history_search_text(comment),
                    "created_at": at,
                }
            )

        evidence: list[dict[str, Any]] = []
        evidence_until = implemented_at or self.now
        evidence_span = max(1.0, (evidence_until - created_at).total_seconds() - 1)
        for number in range(rng.randint(1, 3)):
            submitted_at = created_at + datetime.timedelta(seconds=rng.uniform(0.5, evidence_span))
            is_link = rng.random() < 0.4
            note = "" if is_link else rng.choice(EVIDENCE_NOTES)
            url = f"https://example.org/load/{code.lower()}/{number + 1}" if is_link else ""
            evidence.append(
                {
                    "kind": Evidence.Kind.LINK if is_link else Evidence.Kind.NOTE,
                    "note": note,
                    "url": url,
                    # No file: the original file name is EVIDENCE_CONSTANTS' "".
                    "search_text": evidence_search_text(note=note, original_filename="", url=url),
                    "submitted_by_id": owner_id,
                    "submitted_at": submitted_at,
                }
            )

        done = final in (Status.IMPLEMENTED, Status.VERIFIED)
        if done:
            progress = 100
        elif final == Status.IN_PROGRESS:
            progress = rng.randrange(5, 100, 5)
        else:
            progress = 0
        last_activity_at: datetime.datetime = max(
            [row["created_at"] for row in history] + [row["submitted_at"] for row in evidence]
        )
        values = {
            "code": code,
            "title": title,
            "title_en": title_en,
            "quote": quote,
            "source_document_id": self.cast.source_id,
            "source_location": f"đoạn {index % 40 + 1}",
            "source_paragraph": index % 40 + 1,
            "proposer_person": "",
            "proposer_organization_id": None,
            "horizon": None,
            "priority": rng.choice(PRIORITIES),
            "owner_organization_id": self.cast.owner_org_ids[owner_slot],
            "owner_id": owner_id,
            "due_date": self.today + datetime.timedelta(days=due_offset),
            "status": final,
            "progress": progress,
            "completed_at": implemented_at if done else None,
            "implemented_by_id": owner_id if done else None,
            "decision_note": "",
            "search_text": normalize_for_search(" ".join([code, title, title_en, quote])),
            "version": 1 + steps,
            "last_activity_at": last_activity_at,
            "created_at": created_at,
        }
        return ItemPlan(values=values, history=history, evidence=evidence)


# --- Writers -------------------------------------------------------------------------------------

REC_FIELDS = (
    "code",
    "title",
    "title_en",
    "quote",
    "source_document_id",
    "source_location",
    "source_paragraph",
    "proposer_person",
    "proposer_organization_id",
    "horizon",
    "priority",
    "owner_organization_id",
    "owner_id",
    "due_date",
    "status",
    "progress",
    "completed_at",
    "implemented_by_id",
    "decision_note",
    "search_text",
    "version",
    "last_activity_at",
    "created_at",
)
HISTORY_FIELDS = ("kind", "from_status", "to_status", "actor_id", "comment", "search_text", "created_at")
EVIDENCE_FIELDS = ("kind", "note", "url", "search_text", "submitted_by_id", "submitted_at")
# Columns with no database default that the plans leave to the model's defaults.
HISTORY_CONSTANTS = {"changes": "{}"}
EVIDENCE_CONSTANTS = {
    "file": "",
    "original_filename": "",
    "content_type": "",
    "size": None,
    "withdrawn_at": None,
    "withdrawn_by_id": None,
    "withdrawal_reason": "",
}


def _column(model: type[models.Model], attname: str) -> str:
    for model_field in model._meta.concrete_fields:
        if model_field.attname == attname:
            return str(model_field.column)
    raise LookupError(f"{model.__name__} has no field {attname}")


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def write_with_copy(plans: Sequence[ItemPlan]) -> None:
    """PostgreSQL: reserve ids from the sequence, then ``COPY`` the three tables."""
    rec_table = Recommendation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [rec_table, len(plans)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper

        def copy(model: type[models.Model], attnames: Sequence[str], rows: Iterator[Sequence[Any]]) -> None:
            columns = ", ".join(_quoted(_column(model, name)) for name in attnames)
            statement = f"COPY {_quoted(model._meta.db_table)} ({columns}) FROM STDIN"
            with raw.copy(statement) as stream:
                for row in rows:
                    stream.write_row(row)

        copy(
            Recommendation,
            ("id", *REC_FIELDS),
            ((pk, *(plan.values[name] for name in REC_FIELDS)) for pk, plan in zip(ids, plans, strict=True)),
        )
        history_constants = tuple(HISTORY_CONSTANTS.values())
        copy(
            HistoryEntry,
            ("recommendation_id", *HISTORY_FIELDS, *HISTORY_CONSTANTS),
            (
                (pk, *(row[name] for name in HISTORY_FIELDS), *history_constants)
                for pk, plan in zip(ids, plans, strict=True)
                for row in plan.history
            ),
        )
        evidence_constants = tuple(EVIDENCE_CONSTANTS.values())
        copy(
            Evidence,
            ("recommendation_id", *EVIDENCE_FIELDS, *EVIDENCE_CONSTANTS),
            (
                (pk, *(row[name] for name in EVIDENCE_FIELDS), *evidence_constants)
                for pk, plan in zip(ids, plans, strict=True)
                for row in plan.evidence
            ),
        )


def write_with_bulk_create(plans: Sequence[ItemPlan]) -> None:
    """Any database: ``bulk_create`` (which returns the new ids on PostgreSQL and SQLite)."""
    recommendations = Recommendation.objects.bulk_create(
        [Recommendation(**plan.values) for plan in plans], batch_size=1000
    )
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(recommendation_id=rec.pk, changes={}, **row)
            for rec, plan in zip(recommendations, plans, strict=True)
            for row in plan.history
        ],
        batch_size=2000,
    )
    Evidence.objects.bulk_create(
        [
            Evidence(recommendation_id=rec.pk, **row)
            for rec, plan in zip(recommendations, plans, strict=True)
            for row in plan.evidence
        ],
        batch_size=2000,
    )


# --- The cast ------------------------------------------------------------------------------------


def ensure_cast(*, owners: int, organizations: int) -> Cast:
    """Create (or reuse) the source document, organizations and people the items refer to."""
    source, _created = SourceDocument.objects.get_or_create(
        key=SOURCE_KEY,
        defaults={
            "file_name": SOURCE_FILE_NAME,
            "title": "Dữ liệu tải thử (generate_load), không phải tài liệu thật",
            "language": "vi",
        },
    )
    orgs = []
    for number in range(1, organizations + 1):
        org, _created = Organization.objects.get_or_create(
            code=ORG_CODE.format(number),
            defaults={
                "name": f"Đơn vị tải thử {number:03d}",
                "name_en": f"Load-test unit {number:03d}",
                "kind": Organization.Kind.MINISTRY,
            },
        )
        orgs.append(org)
    owner_group = Group.objects.get(name=roles.OWNER)
    owner_ids: list[int] = []
    owner_org_ids: list[int] = []
    for number in range(1, owners + 1):
        org = orgs[(number - 1) % organizations]
        user, created = User.objects.get_or_create(
            username=OWNER_USERNAME.format(number),
            defaults={
                "email": f"{OWNER_USERNAME.format(number)}@example.org",
                "first_name": "Chủ trì",
                "last_name": f"{number:04d}",
                "organization": org,
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        elif user.organization_id != org.pk:
            raise CommandError(
                f"{user.username} already exists in another organization; run with the same "
                "--organizations as before, or on an empty database."
            )
        user.groups.add(owner_group)
        owner_ids.append(user.pk)
        owner_org_ids.append(org.pk)
        if org.focal_person_id is None:
            # The first owner of each organization receives its escalation reports.
            org.focal_person = user
            org.save(update_fields=["focal_person"])
    admin = _ensure_person(ADMIN_USERNAME, roles.ADMINISTRATOR, "Quản trị tải thử")
    _ensure_person(READER_USERNAME, roles.READER, "Người đọc tải thử")
    return Cast(source_id=source.pk, owner_ids=owner_ids, owner_org_ids=owner_org_ids, admin_id=admin.pk)


def _ensure_person(username: str, role: str, name: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@example.org",
            "first_name": name,
            "is_staff": True,
            # They act on items but receive no digest: they own nothing.
            "receives_weekly_digest": False,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    return user


def generator_source() -> SourceDocument | None:
    """The generator's own source document, locked, or None if it has not run yet.

    Locked ``FOR UPDATE`` (on PostgreSQL): no item can be attached to it by someone else between
    the check of its items and their deletion.
    """
    source = SourceDocument.objects.select_for_update().filter(key=SOURCE_KEY).first()
    if source is not None and source.file_name != SOURCE_FILE_NAME:
        raise CommandError(
            f"The source document {SOURCE_KEY} was not created by generate_load (its file is "
            f"{source.file_name!r}, not {SOURCE_FILE_NAME!r}); refusing to use it or delete its items."
        )
    return source


def foreign_items(source: SourceDocument, limit: int = 20) -> list[str]:
    """Codes of the items of the generator's source document that it did not write (up to limit+1)."""
    return list(
        Recommendation.objects.filter(source_document=source)
        .annotate(code_length=Length("code"))
        .exclude(code__regex=GENERATED_CODE_REGEX, code_length=GENERATED_CODE_LENGTH)
        .order_by("code")
        .values_list("code", flat=True)[: limit + 1]
    )


def conflicting_items(items: int, limit: int = 20) -> list[str]:
    """Codes of other items that already have one of the codes about to be generated (up to limit+1).

    Called after the earlier generated items are gone, so every ``LOAD-`` item left is someone
    else's (few rows; ``startswith`` is only a prefilter, case-insensitive on SQLite).
    """
    pattern = re.compile(GENERATED_CODE_REGEX)
    found: list[str] = []
    for code in Recommendation.objects.filter(code__startswith=CODE_PREFIX).values_list("code", flat=True):
        if pattern.match(code) and 1 <= int(code.removeprefix(CODE_PREFIX)) <= items:
            found.append(code)
    return sorted(found)[: limit + 1]


def _listed(codes: Sequence[str], limit: int = 20) -> str:
    more = " and more" if len(codes) > limit else ""
    return ", ".join(codes[:limit]) + more


def delete_generated_items(source: SourceDocument) -> int:
    """Remove the items of the generator's source document with their history and evidence (people
    and units stay). Raw SQL, for speed; the caller has checked with ``foreign_items`` that the
    source document holds nothing else, and the statements are scoped to it and to the generated
    code prefix (compared case-sensitively) all the same."""
    rec_table = _quoted(Recommendation._meta.db_table)
    code = _quoted(_column(Recommendation, "code"))
    source_column = _quoted(_column(Recommendation, "source_document_id"))
    # ``substr(…) =`` and not ``LIKE``: LIKE ignores case on SQLite (``load-plan`` would match).
    scope = f"{source_column} = %s AND substr({code}, 1, {len(CODE_PREFIX)}) = %s"
    params: list[int | str] = [source.pk, CODE_PREFIX]
    generated = f"SELECT id FROM {rec_table} WHERE {scope}"  # noqa: S608 - table and column names only
    with connection.cursor() as cursor:
        for model, column in (
            (CheckInRedemption, "recommendation_id"),
            (HistoryEntry, "recommendation_id"),
            (Evidence, "recommendation_id"),
            (Citation, "recommendation_id"),
            (Recommendation.themes.through, "recommendation_id"),
            (Recommendation.addressed_to.through, "recommendation_id"),
            (Recommendation.related.through, "from_recommendation_id"),
            (Recommendation.related.through, "to_recommendation_id"),
        ):
            cursor.execute(
                f"DELETE FROM {_quoted(model._meta.db_table)} "  # noqa: S608 - table names only
                f"WHERE {_quoted(column)} IN ({generated})",
                params,
            )
        cursor.execute(f"DELETE FROM {rec_table} WHERE {scope}", params)  # noqa: S608
        return int(cursor.rowcount)


# --- The command ---------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Generate N deterministic LOAD- recommendations with history and evidence, in bulk, for "
        "benchmarks (COPY on PostgreSQL, bulk_create elsewhere)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--items", type=int, default=20_000)
        parser.add_argument("--owners", type=int, default=50)
        parser.add_argument("--organizations", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument(
            "--method",
            choices=("auto", "copy", "bulk"),
            default="auto",
            help="auto: COPY on PostgreSQL, bulk_create elsewhere.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the items generate_load wrote before (those of its LOAD source document) first "
            "instead of refusing. Other items, even coded LOAD-, are never deleted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        items: int = options["items"]
        owners: int = options["owners"]
        organizations: int = options["organizations"]
        batch_size: int = max(1, options["batch_size"])
        if items < 0 or owners < 1 or organizations < 1:
            raise CommandError("--items must be >= 0, --owners and --organizations >= 1.")
        if items > 9_999_999:
            raise CommandError("--items is limited to 9,999,999 (seven-digit codes).")
        method = options["method"]
        if method == "auto":
            method = "copy" if connection.vendor == "postgresql" else "bulk"
        if method == "copy" and connection.vendor != "postgresql":
            raise CommandError("--method copy needs PostgreSQL.")
        write: Callable[[Sequence[ItemPlan]], None] = (
            write_with_copy if method == "copy" else write_with_bulk_create
        )

        started = time.monotonic()
        with transaction.atomic():
            source = generator_source()
            if source is not None and Recommendation.objects.filter(source_document=source).exists():
                if not options["replace"]:
                    raise CommandError(
                        "Generated LOAD- items already exist; run with --replace to regenerate them."
                    )
                foreign = foreign_items(source)
                if foreign:
                    raise CommandError(
                        f"The source document {SOURCE_KEY} of generate_load holds items it did not "
                        f"write: {_listed(foreign)}. Move them to another source document; "
                        "nothing was deleted."
                    )
                removed = delete_generated_items(source)
                self.stdout.write(f"Deleted {removed} earlier generated LOAD- items.")
            conflicts = conflicting_items(items)
            if conflicts:
                raise CommandError(
                    f"Items not written by generate_load already have codes it would write: "
                    f"{_listed(conflicts)}. Nothing was changed."
                )
            if connection.vendor == "postgresql":
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: left deferred, the
                # checks of millions of rows pile up in a queue and all run at COMMIT, after the
                # progress has said 100%. Checked row by row instead, they cost the same and the
                # progress tells the truth.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cast = ensure_cast(owners=owners, organizations=organizations)
            planner = LoadPlanner(seed=options["seed"], cast=cast, now=timezone.now())
            self.stdout.write(
                f"Generating {items} items for {owners} owners in {organizations} organizations "
                f"(seed {options['seed']}, {method})…"
            )
            for start in range(0, items, batch_size):
                stop = min(items, start + batch_size)
                write([planner.item(index) for index in range(start, stop)])
                elapsed = time.monotonic() - started
                self.stdout.write(
                    f"  {stop:>9}/{items} items ({100 * stop / items:5.1f}%), "
                    f"{elapsed:6.1f} s, {stop / max(elapsed, 1e-9):8.0f} items/s"
                )
                self.stdout.flush()
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses from an empty table; VACUUM also sets the
            # visibility map so that counts can use index-only scans, as autovacuum would later.
            # (VACUUM cannot run inside a transaction, e.g. in a test: ANALYZE only, then.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in (Recommendation, HistoryEntry, Evidence):
                    cursor.execute(f"{command} {_quoted(model._meta.db_table)}")
        self.stdout.write(
            self.style.SUCCESS(f"Generated {items} items in {time.monotonic() - started:.1f} s.")
        )
