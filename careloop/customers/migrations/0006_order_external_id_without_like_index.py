"""Order.external_id unique through a UniqueConstraint instead of unique=True: same unique
index (the imports' ON CONFLICT target), without PostgreSQL's varchar_pattern_ops `_like` twin,
which no query uses and which cost every imported order one more index entry."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_interaction_scored_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="external_id",
            field=models.CharField(max_length=64, verbose_name="订单号"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.UniqueConstraint(
                fields=("external_id",), name="order_external_id_unique"
            ),
        ),
    ]
