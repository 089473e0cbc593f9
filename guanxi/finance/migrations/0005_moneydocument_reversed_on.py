from django.db import migrations, models


def fill_reversed_on(apps, schema_editor):
    MoneyDocument = apps.get_model("finance", "MoneyDocument")
    for reversal in MoneyDocument._base_manager.filter(reverses__isnull=False).only(
        "reverses_id", "date"
    ):
        MoneyDocument._base_manager.filter(pk=reversal.reverses_id).update(
            reversed_on=reversal.date
        )


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0004_allocation_date_reset_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmoneydocument",
            name="reversed_on",
            field=models.DateField(blank=True, null=True, verbose_name="reversed on"),
        ),
        migrations.AddField(
            model_name="moneydocument",
            name="reversed_on",
            field=models.DateField(blank=True, null=True, verbose_name="reversed on"),
        ),
        migrations.RunPython(fill_reversed_on, migrations.RunPython.noop),
    ]
