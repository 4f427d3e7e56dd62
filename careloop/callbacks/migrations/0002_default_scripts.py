"""One default call script per purpose (reversible: removes scripts never edited)."""

from django.db import migrations


def create(apps, schema_editor):
    from careloop.callbacks.defaults import ensure_default_scripts

    ensure_default_scripts(
        apps.get_model("callbacks", "CallScript"), apps.get_model("callbacks", "CallScriptVersion")
    )


def remove(apps, schema_editor):
    apps.get_model("callbacks", "CallScript").objects.filter(version=1, updated_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
