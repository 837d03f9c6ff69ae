"""On PostgreSQL, a trigram index makes the diacritic-insensitive search use an index."""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS rec_search_trgm_idx ON recommendations_recommendation "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS rec_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0002_role_groups")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
