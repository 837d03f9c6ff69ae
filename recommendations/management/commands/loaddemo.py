import datetime
import secrets
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from recommendations import roles, services
from recommendations.catalogue import read_catalogue
from recommendations.models import Evidence, Organization, Recommendation, User
from recommendations.workflow import Status

# (username, full name, organization code, role, focal person of the organization)
DEMO_PEOPLE = (
    ("lan.nguyen", ("Lan", "Nguyễn Thị"), "MOFA", roles.OWNER, True),
    ("minh.tran", ("Minh", "Trần Văn"), "MOFA", roles.OWNER, False),
    ("huong.le", ("Hương", "Lê Thu"), "MOFA", roles.OWNER, False),
    ("quang.pham", ("Quang", "Phạm Đức"), "MIC", roles.OWNER, True),
    ("thao.vu", ("Thảo", "Vũ Phương"), "MIC", roles.OWNER, False),
    ("tuan.ngo", ("Tuấn", "Ngô Anh"), "MOST", roles.OWNER, True),
    ("an.do", ("An", "Đỗ Bình"), "SCOV", roles.OWNER, True),
    ("khanh.bui", ("Khánh", "Bùi Gia"), "VN_MISSIONS", roles.OWNER, True),
    ("phuong.dang", ("Phương", "Đặng Minh"), "MOFA", roles.READER, False),
)

# A spread of progress through the workflow, applied to items in code order.
STATUS_PLAN = (
    (),
    (Status.ACCEPTED,),
    (Status.ACCEPTED, Status.IN_PROGRESS),
    (Status.ACCEPTED, Status.IN_PROGRESS),
    (Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED),
    (Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED, Status.VERIFIED),
    (Status.ACCEPTED, Status.BLOCKED),
)


class Command(BaseCommand):
    help = (
        "Load the catalogue plus demo users (@example.org) who own items with a spread of due "
        "dates (some overdue) and statuses, so that a newcomer sees a realistic tracker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(username=DEMO_PEOPLE[0][0]).exists():
            self.stdout.write("Demo data is loaded already; nothing changed.")
            return
        services.catalogue_load(read_catalogue())
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            people = self._create_people(password)
            self._assign_and_progress(people)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(people)} users, all with this password (shown once): {password}\n"
                + "\n".join(f"  {p.username:<12} {p.email:<28} {p.organization}" for p in people)
            )
        )

    def _create_people(self, password: str) -> list[User]:
        people = []
        for username, (first, last), org_code, role, focal in DEMO_PEOPLE:
            organization = Organization.objects.filter(code=org_code).first()
            if organization is None:
                raise CommandError(f"The catalogue has no organization {org_code}.")
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=password,
                first_name=first,
                last_name=last,
                organization=organization,
                is_staff=True,
            )
            user.groups.add(Group.objects.get(name=role))
            if focal:
                organization.focal_person = user
                organization.save(update_fields=["focal_person"])
            people.append(user)
        return people

    def _assign_and_progress(self, people: list[User]) -> None:
        owners_by_org: dict[int | None, list[User]] = {}
        for person in people:
            if roles.OWNER in person.groups.values_list("name", flat=True):
                owners_by_org.setdefault(person.organization_id, []).append(person)
        today = timezone.localdate()
        # Only items nobody has taken up yet: on a tracker already in use, an item someone moved on
        # (or closed) keeps its state, and its due date may no longer change.
        items = Recommendation.objects.filter(owner__isnull=True, status=Status.PROPOSED).order_by("code")
        for index, rec in enumerate(items):
            candidates = owners_by_org.get(rec.owner_organization_id)
            if not candidates:
                continue
            owner = candidates[index % len(candidates)]
            # From 45 days overdue to 120 days ahead, deterministic per position.
            due = today + datetime.timedelta(days=(index * 37) % 165 - 45)
            services.recommendation_update(
                recommendation=rec, actor=owner, changes={"owner": owner, "due_date": due}
            )
            verifier = next((p for p in candidates if p != owner), None)
            for target in STATUS_PLAN[index % len(STATUS_PLAN)]:
                if target == Status.IMPLEMENTED:
                    services.evidence_add(
                        recommendation=rec,
                        actor=owner,
                        kind=Evidence.Kind.NOTE,
                        note="Đã hoàn thành; báo cáo kết quả gửi kèm (dữ liệu minh hoạ).",
                    )
                if target == Status.VERIFIED and verifier is None:
                    break
                comment = (
                    "Chờ ý kiến phối hợp của các bộ, ngành (dữ liệu minh hoạ)."
                    if target == Status.BLOCKED
                    else ""
                )
                services.recommendation_transition(
                    recommendation=rec,
                    actor=verifier if target == Status.VERIFIED and verifier else owner,
                    to_status=target,
                    comment=comment,
                )
                if target == Status.IN_PROGRESS:
                    services.recommendation_update(
                        recommendation=rec, actor=owner, changes={"progress": (index * 23) % 90 + 5}
                    )
