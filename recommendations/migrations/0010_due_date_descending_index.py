"""On PostgreSQL, an index in the list's order by due date, latest first: ``due_date DESC NULLS
LAST, code``.

Items without a due date come last in both directions and ties are broken by the code ascending
(``StableOrderingFilter``), so a backward scan of ``rec_due_code_idx`` (which gives ``NULLS FIRST``
and the codes descending) cannot serve ``?ordering=-due_date``: every item was sorted for each
page, 0.3 s at the benchmark's 1,000,000 items. SQLite cannot create an index with ``NULLS
LAST``; its tables are small, so it goes without.
"""

from django.db import migrations

NAME = "rec_due_desc_code_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON recommendations_recommendation "
            "(due_date DESC NULLS LAST, code)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0009_due_date_order_index")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
