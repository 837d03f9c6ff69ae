"""PostgreSQL prepares the statements that every request repeats (settings: server-side binding
with psycopg's ``prepare_threshold``), so that it no longer parses and plans them each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from recommendations import services
from recommendations.workflow import Status
from tests.factories import RecommendationFactory, owner_user

ROOT = Path(__file__).resolve().parent.parent


def database_options(**environment: str) -> dict[str, object]:
    script = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARED_STATEMENTS"}
    env.update(DJANGO_SETTINGS_MODULE="tracker.settings", **environment)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_postgresql_connections_send_parameters_apart_so_that_statements_can_be_prepared():
    url = "postgres://tracker@db.example:5432/tracker"
    assert database_options(DATABASE_URL=url) == {"server_side_binding": True, "prepare_threshold": 5}
    # Behind a pooler that cannot keep them: Django's default, parameters in the SQL text.
    assert database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false") == {}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_transitions_statements_are_prepared_once_they_repeat():
    items = [RecommendationFactory(status=Status.IN_PROGRESS) for _ in range(3)]
    actors = [owner_user(item.owner_organization) for item in items]
    for _round in range(2):
        for item, actor in zip(items, actors, strict=True):
            for target, comment in ((Status.BLOCKED, "Chờ ý kiến."), (Status.IN_PROGRESS, "")):
                services.recommendation_transition(
                    recommendation=item.code, actor=actor, to_status=target, comment=comment
                )
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # 12 transitions: their locked read, update and history insert, each prepared once.
    assert sum("FOR UPDATE" in s and "recommendations_recommendation" in s for s in prepared) == 1
    assert sum(s.startswith('UPDATE "recommendations_recommendation"') for s in prepared) == 1
    assert sum(s.startswith('INSERT INTO "recommendations_historyentry"') for s in prepared) == 1
