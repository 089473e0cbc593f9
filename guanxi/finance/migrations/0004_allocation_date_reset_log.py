import datetime

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_historicalattachment_historicalcustomfield_and_more"),
        ("finance", "0003_initial"),
        ("sales", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="allocation",
            options={
                "ordering": ("id",),
                "verbose_name": "allocation",
                "verbose_name_plural": "allocations",
            },
        ),
        migrations.AddField(
            model_name="allocation",
            name="purchase_order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="allocations",
                to="sales.purchaseorder",
            ),
        ),
        migrations.AddField(
            model_name="allocation",
            name="date",
            field=models.DateField(default=datetime.date(2026, 1, 1), verbose_name="allocated on"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="allocation",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="finance_allocation_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("order__isnull", True),
                        ("purchase_order__isnull", True),
                        ("stock_document__isnull", False),
                    ),
                    models.Q(
                        ("order__isnull", False),
                        ("purchase_order__isnull", True),
                        ("stock_document__isnull", True),
                    ),
                    models.Q(
                        ("order__isnull", True),
                        ("purchase_order__isnull", False),
                        ("stock_document__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="finance_allocation_one_target",
            ),
        ),
        migrations.CreateModel(
            name="DataResetLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("sales_stock", "Clear sales and stock data")],
                        default="sales_stock",
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="done at")),
                ("counts", models.JSONField(default=dict, verbose_name="deleted rows")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="done by",
                    ),
                ),
                (
                    "org",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "data reset",
                "verbose_name_plural": "data resets",
                "ordering": ("-created_at", "-id"),
            },
        ),
    ]
