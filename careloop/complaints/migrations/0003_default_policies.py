"""Default SLA policies (DESIGN §3: first response A 2 h, B 24 h, C 48 h) and departments."""

from decimal import Decimal

from django.db import migrations

POLICIES = [  # severity, first response h, resolution h
    ("A", Decimal("2"), Decimal("24")),
    ("B", Decimal("24"), Decimal("72")),
    ("C", Decimal("48"), Decimal("120")),
]
DEPARTMENTS = ["技术部", "售后部", "物流", "质检部"]


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    Department = apps.get_model("complaints", "Department")
    for severity, first, resolution in POLICIES:
        SlaPolicy.objects.get_or_create(
            severity=severity,
            category="",
            tier="",
            defaults={"first_response_hours": first, "resolution_hours": resolution},
        )
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)


def backwards(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    Department = apps.get_model("complaints", "Department")
    SlaPolicy.objects.filter(category="", tier="", severity__in=["A", "B", "C"]).delete()
    Department.objects.filter(name__in=DEPARTMENTS, head__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_workflow")]
    operations = [migrations.RunPython(forwards, backwards)]
