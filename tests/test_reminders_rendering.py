"""The digest is built cheaply (rows rendered in Python, links signed with a key derived once, only
the columns it shows read) without changing what it says: user text escaped in HTML and verbatim
in plain text, links that Django's signing accepts, a fixed number of queries."""

import time

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recommendations import notifications
from recommendations.notifications import DIGEST, Outcome
from recommendations.workflow import Status
from tests.factories import RecommendationFactory, owner_user
from tests.reminders_support import PERIOD, make_demo

pytestmark = pytest.mark.django_db

SITE = "https://tracker.example.gov.vn"
DAY = timezone.timedelta(days=1)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.CHECK_IN_LINK_MAX_AGE_DAYS = 14


def test_titles_are_escaped_in_the_html_and_verbatim_in_the_text(mailoutbox):
    demo = make_demo(today=timezone.localdate())
    vietnamese = """<script>alert("x")</script> & 'trích dẫn'"""
    english = '<img src=x onerror="alert(1)">'
    demo.items["A-02"].title = vietnamese
    demo.items["A-02"].save(update_fields=["title"])
    demo.items["B-01"].title_en = english
    demo.items["B-01"].save(update_fields=["title_en"])

    notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)
    notifications.deliver(kind=DIGEST, recipient_id=demo.john.pk, period=PERIOD)

    lan, john = mailoutbox
    [(lan_html, _mimetype)] = lan.alternatives
    [(john_html, _mimetype)] = john.alternatives
    assert (
        "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;trích dẫn&#x27;</td>" in lan_html
    )
    assert "<script" not in lan_html
    assert f"* A-02 — {vietnamese}\n" in lan.body
    assert "<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</td>" in john_html
    assert "<img" not in john_html
    assert f"* B-01 — {english}\n" in john.body


def test_check_in_tokens_are_what_signing_dumps_makes_and_need_our_key(monkeypatch, settings):
    now = int(time.time())
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(now))
    signer = notifications.CheckInLinkSigner()

    tokens = [
        signer.token(delivery_id=d, recommendation_id=r, user_id=u) for d, r, u in [(1, 2, 3), (7, 99999, 12)]
    ]

    assert tokens == [
        signing.dumps({"d": 1, "r": 2, "u": 3}, salt=notifications.CHECK_IN_SALT),
        signing.dumps({"d": 7, "r": 99999, "u": 12}, salt=notifications.CHECK_IN_SALT),
    ]
    assert notifications.read_check_in_token(tokens[1]) == notifications.CheckInLink(7, 99999, 12)
    settings.SECRET_KEY = "another-secret-key-" * 3
    with pytest.raises(notifications.CheckInLinkError) as refused:
        notifications.read_check_in_token(tokens[1])
    assert refused.value.code == "invalid"


def test_check_in_url_is_the_reversed_url_of_its_token():
    token = notifications.check_in_token(delivery_id=5, recommendation_id=6, user_id=7)
    before, after = notifications.check_in_url_parts()

    assert before + token + after == SITE + reverse("recommendations:check_in", kwargs={"token": token})


def test_a_digest_takes_as_many_queries_for_thirty_items_as_for_one(mailoutbox):
    today = timezone.localdate()
    one, thirty = owner_user(email="one@example.org"), owner_user(email="thirty@example.org")
    RecommendationFactory(owner=one, owner_organization=one.organization, status=Status.ACCEPTED)
    for n in range(30):
        RecommendationFactory(
            owner=thirty,
            owner_organization=thirty.organization,
            status=Status.IN_PROGRESS,
            due_date=today + (n - 10) * DAY if n % 3 else None,  # overdue, due soon, later, none
        )

    counts = []
    for owner in (one, thirty):
        with CaptureQueriesContext(connection) as queries:
            result = notifications.deliver(kind=DIGEST, recipient_id=owner.pk, period=PERIOD)
        assert result.outcome == Outcome.SENT
        counts.append(len(queries))
        [items_query] = [q["sql"] for q in queries if 'FROM "recommendations_recommendation"' in q["sql"]]
        # Only what the digest shows: not the long quote, nor a join to the owner or organization.
        assert '"quote"' not in items_query and "JOIN" not in items_query

    assert counts[0] == counts[1]
    assert len(mailoutbox) == 2


def test_escalation_titles_and_owner_names_are_escaped_in_the_html_and_verbatim_in_the_text(mailoutbox):
    demo = make_demo(today=timezone.localdate())
    title = 'Quá hạn <i>lâu</i> & "gấp"'
    demo.items["A-01"].title = title
    demo.items["A-01"].save(update_fields=["title"])
    demo.lan.last_name = "<b>Nguyễn</b>"
    demo.lan.save(update_fields=["last_name"])

    result = notifications.deliver(kind="escalation", recipient_id=demo.focal.pk, period=PERIOD)

    assert result.outcome == Outcome.SENT
    [email] = mailoutbox
    [(html, _mimetype)] = email.alternatives
    assert "<td>Quá hạn &lt;i&gt;lâu&lt;/i&gt; &amp; &quot;gấp&quot;</td>" in html
    assert "<td>&lt;b&gt;Nguyễn&lt;/b&gt; Lan</td>" in html
    assert "<i>" not in html and "<b>" not in html
    assert f"* A-01 — {title}\n" in email.body
    assert "| Người phụ trách: <b>Nguyễn</b> Lan\n" in email.body
