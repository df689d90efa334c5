# A job's attempt budget is optional: without one, the worker's backoff budget applies.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasksync', '0002_nul_safe_hub_ids'),
    ]

    operations = [
        migrations.AlterField(
            model_name='syncjob',
            name='max_attempts',
            field=models.IntegerField(blank=True, null=True),
        ),
    ]
