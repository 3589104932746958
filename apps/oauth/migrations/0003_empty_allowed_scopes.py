"""An empty `allowed_scopes` used to mean every scope; it now means none.

Apps saved with an empty list (only possible outside the developer console) keep the scopes
they could use, except the sensitive `admin` and `introspection`, which staff grant explicitly.
"""

from django.db import migrations

KEPT = ["openid", "profile", "email", "read", "read_profile", "write", "write_profile"]


def keep_ordinary_scopes(apps, schema_editor):
    Application = apps.get_model("oauth", "Application")
    for application in Application.objects.only("pk", "allowed_scopes").iterator():
        if not application.allowed_scopes:
            application.allowed_scopes = KEPT
            application.save(update_fields=["allowed_scopes"])


class Migration(migrations.Migration):
    dependencies = [("oauth", "0002_token_family")]
    operations = [migrations.RunPython(keep_ordinary_scopes, migrations.RunPython.noop)]
