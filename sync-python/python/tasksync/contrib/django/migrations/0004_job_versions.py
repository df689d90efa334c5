# Jobs are storage only: each row carries its version (writes are compare-and-swapped on it),
# its lease number (results are fenced by it) and the task version of its intent, and a
# (task, target) has at most one pending job.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasksync', '0003_job_budget_optional'),
    ]

    operations = [
        migrations.AddField(
            model_name='syncjob',
            name='version',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='syncjob',
            name='lease',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='syncjob',
            name='task_version',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name='syncjob',
            constraint=models.UniqueConstraint(
                condition=models.Q(('state', 'pending')),
                fields=('task_id', 'target'),
                name='tasksync_job_one_pending',
            ),
        ),
    ]
