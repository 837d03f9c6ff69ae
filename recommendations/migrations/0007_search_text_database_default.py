"""A database default for the ``search_text`` columns that 0006 added.

Django's AddField fills existing rows with the default and then drops it from the column, so a
server still running the code from before 0006 (it never names the column) failed every insert of
evidence or history between the migration and its own restart. With the default in the database
those inserts get "" as their folded text, as a row with nothing to search does; the services fill
it for every row they write. On PostgreSQL this only changes the table's definition (no rewrite).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_search_text_evidence_history"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evidence",
            name="search_text",
            field=models.TextField(db_default="", default="", editable=False),
        ),
        migrations.AlterField(
            model_name="historyentry",
            name="search_text",
            field=models.TextField(db_default="", default="", editable=False),
        ),
    ]
