"""Factories for test data: every test builds exactly the rows it needs."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth.models import Group

from recommendations import roles
from recommendations.models import Organization, Recommendation, SourceDocument, Theme, User
from recommendations.search import normalize_for_search


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.Sequence(lambda n: f"Tổ chức {n}")
    kind = Organization.Kind.MINISTRY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    organization = factory.SubFactory(OrganizationFactory)
    is_staff = True
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def owner_user(organization: Organization | None = None, **kwargs: object) -> User:
    if organization is not None:
        kwargs["organization"] = organization
    return UserFactory(role=roles.OWNER, **kwargs)


def reader_user(**kwargs: object) -> User:
    return UserFactory(role=roles.READER, **kwargs)


def admin_user(**kwargs: object) -> User:
    return UserFactory(role=roles.ADMINISTRATOR, **kwargs)


class SourceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"{n:03d}")
    file_name = factory.LazyAttribute(lambda d: f"{d.key}_test.txt")
    title = factory.Sequence(lambda n: f"Tài liệu {n}")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Chủ đề {n}")


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    code = factory.Sequence(lambda n: f"TST-{n:02d}")
    title = factory.Sequence(lambda n: f"Kiến nghị thử nghiệm {n}")
    quote = "Đẩy mạnh ngoại giao số."
    source_document = factory.SubFactory(SourceDocumentFactory)
    owner_organization = factory.SubFactory(OrganizationFactory)
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))
    search_text = factory.LazyAttribute(lambda r: normalize_for_search(f"{r.code} {r.title} {r.quote}"))
