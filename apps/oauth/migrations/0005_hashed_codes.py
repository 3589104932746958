"""Authorization codes and device codes move to tables that keep only their SHA-256.

DOT's own tables, which held them in plaintext, are emptied: codes live minutes, so one in
flight during the upgrade is asked for again; none stays at rest readable.
"""

import apps.oauth.models
import django.db.models.deletion
import oauth2_provider.models
from django.conf import settings
from django.db import migrations, models


PLAINTEXT_TABLES = ("oauth2_provider_grant", "oauth2_provider_devicegrant")


def empty_plaintext_tables(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for table in PLAINTEXT_TABLES:
        if table in existing:
            schema_editor.execute(f"DELETE FROM {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):

    dependencies = [
        ('oauth', '0004_cleanup_indexes'),
        ('oauth2_provider', '0022_refreshtoken_token_family_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeviceGrant',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('user_code', models.CharField(max_length=100, verbose_name='user code')),
                ('scope', models.TextField(blank=True, verbose_name='scope')),
                ('interval', models.IntegerField(default=5, verbose_name='interval')),
                ('expires', models.DateTimeField(verbose_name='expires')),
                ('status', models.CharField(blank=True, choices=[('authorized', 'Authorized'), ('authorization-pending', 'Authorization pending'), ('expired', 'Expired'), ('denied', 'Denied')], default='authorization-pending', max_length=64, verbose_name='status')),
                ('client_id', models.CharField(db_index=True, max_length=100, verbose_name='client ID')),
                ('last_checked', models.DateTimeField(auto_now=True, verbose_name='last checked')),
                ('device_code', apps.oauth.models.DigestField(max_length=64, verbose_name='device code (SHA-256)')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='%(app_label)s_%(class)s', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'abstract': False,
                'constraints': [models.UniqueConstraint(fields=('device_code',), name='oauth_devicegrant_unique_device_code')],
            },
        ),
        migrations.CreateModel(
            name='Grant',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('expires', models.DateTimeField(verbose_name='expires')),
                ('redirect_uri', models.TextField(verbose_name='redirect URI')),
                ('scope', models.TextField(blank=True, verbose_name='scope')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('code_challenge', models.CharField(blank=True, default='', max_length=128, verbose_name='code challenge')),
                ('code_challenge_method', models.CharField(blank=True, choices=[('plain', 'plain'), ('S256', 'S256')], default='', max_length=10, verbose_name='code challenge method')),
                ('nonce', models.CharField(blank=True, default='', max_length=255, verbose_name='nonce')),
                ('claims', models.TextField(blank=True, verbose_name='claims')),
                ('resource', oauth2_provider.models.ResourceJSONField(blank=True, default=list, verbose_name='resource')),
                ('code', apps.oauth.models.DigestField(max_length=64, unique=True, verbose_name='code (SHA-256)')),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL, verbose_name='application')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(app_label)s_%(class)s', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'abstract': False,
                'indexes': [models.Index(fields=['expires'], name='oauth_grant_expires')],
            },
        ),
        migrations.RunPython(empty_plaintext_tables, migrations.RunPython.noop),
    ]
