"""One default call script per purpose (reversible: removes scripts never edited)."""

from django.db import migrations


def create(apps, schema_editor):
    from careloop.callbacks.defaults import DEFAULT_SCRIPTS

    CallScript = apps.get_model("callbacks", "CallScript")
    CallScriptVersion = apps.get_model("callbacks", "CallScriptVersion")
    fields = ("opening", "questions", "on_refusal", "on_angry", "closing", "suggestions")
    for purpose, text in DEFAULT_SCRIPTS.items():
        values = {f: text.get(f, "") for f in fields}
        script, made = CallScript.objects.get_or_create(
            purpose=purpose, value_class="", defaults=values
        )
        if made:
            CallScriptVersion.objects.create(script=script, version=1, snapshot=values)


def remove(apps, schema_editor):
    apps.get_model("callbacks", "CallScript").objects.filter(version=1, updated_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
