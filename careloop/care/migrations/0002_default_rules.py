"""One default care rule per purpose (DESIGN.md §3); reversible (removes rules never edited)."""

from django.db import migrations


def create(apps, schema_editor):
    from careloop.care.defaults import ensure_default_rules

    ensure_default_rules(apps.get_model("care", "CareRule"), apps.get_model("care", "CareRuleVersion"))


def remove(apps, schema_editor):
    apps.get_model("care", "CareRule").objects.filter(version=1, updated_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
