"""The database cache's table (settings.DATABASE_CACHE_TABLE), made by `migrate` wherever it runs.

It is the shared cache of sign-in lockouts and API throttles when no Redis is configured; made here
rather than by a separate `createcachetable` step, so no deployment can forget it.
"""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.DATABASE_CACHE_TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.DATABASE_CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("oversight", "0002_tokens_audit_user_history")]

    operations = [migrations.RunPython(create, drop)]
