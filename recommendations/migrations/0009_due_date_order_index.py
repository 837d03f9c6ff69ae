"""An index in the overdue report's order (due date, then code), which the recommendations list
sorted by due date shares.

Without it, the report's first page sorted every overdue item: 0.3 s of a 1 s answer at the
benchmark's 1,000,000 items (96,000 of them overdue); with it, the page is read in order from the
index in under 1 ms. About 2 s to build on that database.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0008_admin_list_order_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["due_date", "code"], name="rec_due_code_idx"),
        ),
    ]
