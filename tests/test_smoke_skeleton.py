import pytest

from recommendations import services
from recommendations.workflow import Status
from tests.factories import RecommendationFactory, owner_user

pytestmark = pytest.mark.django_db


def test_owner_can_accept_own_organizations_recommendation():
    rec = RecommendationFactory()
    user = owner_user(rec.owner_organization)
    updated = services.recommendation_transition(recommendation=rec, actor=user, to_status=Status.ACCEPTED)
    assert updated.status == Status.ACCEPTED
    assert updated.version == 2
    assert list(rec.history.values_list("from_status", "to_status")) == [("proposed", "accepted")]
