from django.db import migrations, models
from django.db.models import Count


def count_inspected_steps(apps, schema_editor):
    """Workshops inspected before the count existed start from their jobs' recorded outcomes."""
    Job = apps.get_model("marketplace", "Job")
    Workshop = apps.get_model("marketplace", "Workshop")
    counted = (
        Job.objects.exclude(inspection="")
        .order_by()
        .values_list("workshop_id")
        .annotate(n=Count("pk"))
    )
    for workshop_id, n in counted:
        Workshop.objects.filter(pk=workshop_id).update(inspection_count=n)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0020_confidential_designs"),
    ]

    operations = [
        migrations.AddField(
            model_name="workshop",
            name="inspection_count",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Inspected steps (passed, reworked or rejected) the rating counts.",
            ),
        ),
        migrations.RunPython(count_inspected_steps, migrations.RunPython.noop),
    ]
