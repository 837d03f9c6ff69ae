"""The API's model serializers build their fields from the model once per class, and each
instance still gets fields of its own (bound to it, never shared across requests)."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from recommendations.api.serializers import RecommendationDetailSerializer, ThemeSerializer
from recommendations.models import Theme

pytestmark = pytest.mark.django_db


def test_fields_are_built_from_the_model_once_per_class(monkeypatch):
    RecommendationDetailSerializer().fields  # noqa: B018  (built, whatever earlier tests did)
    built: list[str] = []
    original = serializers.ModelSerializer.build_field

    def counting_build_field(self, field_name, *args, **kwargs):
        built.append(field_name)
        return original(self, field_name, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting_build_field)
    first, second = RecommendationDetailSerializer(), RecommendationDetailSerializer()
    assert set(first.fields) == set(second.fields) >= {"code", "status", "owner", "citations"}
    assert built == []


def test_each_instance_has_its_own_bound_fields():
    first, second = RecommendationDetailSerializer(), RecommendationDetailSerializer()
    for name in ("code", "owner", "citations", "timeliness"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second


def test_copied_fields_behave_as_built_ones():
    theme = Theme.objects.create(slug="kinh-te-so", name="Kinh tế số", name_en="Digital economy")
    expected = {"slug": "kinh-te-so", "name": "Kinh tế số", "name_en": "Digital economy"}
    assert ThemeSerializer(theme).data == expected
    # The validators built from the model (unique, max_length) still run on the copies.
    refused = ThemeSerializer(data={"slug": "kinh-te-so", "name": "y" * 129})
    assert not refused.is_valid()
    assert {name: [e.code for e in errors] for name, errors in refused.errors.items()} == {
        "slug": ["unique"],
        "name": ["max_length"],
    }
