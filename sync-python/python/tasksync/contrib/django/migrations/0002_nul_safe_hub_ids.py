"""Hub ids became NUL-safe (``tasksync.hub_id``): before, an identity whose source or external
id contains a NUL could share its id with another identity, which then could never be created.

This moves each such task from its old id to its NUL-safe one, together with what names it: its
sync jobs' ``task_id`` (a job's own id stays: it is the idempotency key a provider may have seen)
and the sync history (items' ``target_id``, ``task`` audit entries). Every identity without a NUL
hashes exactly as before, so its id and every reference to it stay valid untouched. The store
only ever holds the ids the core derives, so a NUL identity whose id is not its NUL-safe one
holds the old id. If the NUL-safe id is taken, the task keeps its old id (a sync matches tasks
by identity, never by id, so it still syncs).

On PostgreSQL there is nothing to do: its text cannot hold a NUL, so no stored identity has one.
"""

from django.db import migrations


def rekey_nul_identities(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        return
    import tasksync

    db = connection.alias
    tasks = apps.get_model("tasksync", "HubTask").objects.using(db)
    jobs = apps.get_model("tasksync", "SyncJob").objects.using(db)
    items = apps.get_model("tasksync", "SyncHistoryItem").objects.using(db)
    audit = apps.get_model("tasksync", "AuditLog").objects.using(db)
    rows = tasks.values_list("id", "source", "external_id").iterator()
    moves = [
        (old, tasksync.hub_id(source, external_id))
        for old, source, external_id in rows
        if "\0" in source or "\0" in external_id
    ]
    for old, new in moves:
        if old == new or tasks.filter(id=new).exists():
            continue
        tasks.filter(id=old).update(id=new)
        jobs.filter(task_id=old).update(task_id=new)
        for item in items.filter(data__contains=old):
            if item.data.get("target_id") == old:
                item.data["target_id"] = new
                item.save(update_fields=["data"])
        for entry in audit.filter(entity_type="task", entity_id=old):
            entry.entity_id = new
            entry.data["entity_id"] = new
            entry.save(update_fields=["entity_id", "data"])


class Migration(migrations.Migration):

    dependencies = [
        ("tasksync", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(rekey_nul_identities, migrations.RunPython.noop),
    ]
