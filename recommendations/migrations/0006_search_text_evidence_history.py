"""Diacritic-insensitive admin search for evidence and history: a stored, folded ``search_text``
(as recommendations have had since 0001), filled here for the rows that exist, and on PostgreSQL a
trigram index on it, as 0003 made for recommendations.

The backfill reads and writes a batch of rows at a time, in primary-key order, so that a database
with millions of rows is never held in memory at once. Rows whose folded text is "" (most history
rows have no comment) already hold the column's default and are not written.
"""

from django.db import migrations, models

from recommendations.search import evidence_search_text, history_search_text

BATCH = 2000

TRIGRAM_INDEXES = (
    ("evidence_search_trgm_idx", "recommendations_evidence"),
    ("hist_search_trgm_idx", "recommendations_historyentry"),
)


def _backfill(model, fields, fold):
    last_pk = 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "search_text", *fields)[:BATCH]
        )
        if not rows:
            return
        last_pk = rows[-1][0]
        changed = []
        for pk, current, *values in rows:
            folded = fold(*values)
            if current == "" and folded != "":
                changed.append(model(pk=pk, search_text=folded))
        model.objects.bulk_update(changed, ["search_text"], batch_size=BATCH)


def backfill_search_text(apps, schema_editor):
    """Set ``search_text`` where it is still empty, as the services compute it for new rows."""
    _backfill(
        apps.get_model("recommendations", "Evidence"),
        ("note", "original_filename", "url"),
        lambda note, original_filename, url: evidence_search_text(
            note=note, original_filename=original_filename, url=url
        ),
    )
    _backfill(apps.get_model("recommendations", "HistoryEntry"), ("comment",), history_search_text)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _table in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0005_source_status_index")]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="historyentry",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(backfill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
