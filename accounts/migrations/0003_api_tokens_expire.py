"""API tokens made before tokens expired get the expiry a new token has."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def give_expiry(apps, schema_editor):
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    AuthToken.objects.filter(expiry=None).update(expiry=expiry)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_notifications"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(give_expiry, migrations.RunPython.noop)]
