from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="prefix",
            # Every key issued so far has the old prefix; new keys name theirs.
            field=models.CharField(
                default="gh_pat_", editable=False, help_text="The key's format, by its prefix.", max_length=16
            ),
            preserve_default=False,
        ),
    ]
