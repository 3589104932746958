"""Indexes for what `cleartokens` and `cleartokenfamilies` delete by.

DOT's clear_expired() filters access tokens, ID tokens and codes on `expires` and refresh tokens
on `revoked`; DOT 3.4 indexes none of them (codes live in oauth.Grant, indexed in 0005), so each batch would scan the whole table. On
PostgreSQL the indexes are built CONCURRENTLY, so a big token table keeps taking writes.
"""

from django.conf import settings
from django.db import migrations, models

DOT_INDEXES = [
    (settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, "expires", "gatehouse_accesstoken_expires"),
    (settings.OAUTH2_PROVIDER_ID_TOKEN_MODEL, "expires", "gatehouse_idtoken_expires"),
    (settings.OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL, "revoked", "gatehouse_refreshtoken_revoked"),
]


def _online(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


class AddIndexOnline(migrations.AddIndex):
    """AddIndex, built CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, **_online(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **_online(schema_editor))


def add_dot_indexes(apps, schema_editor):
    for model, field, name in DOT_INDEXES:
        index = models.Index(fields=[field], name=name)
        schema_editor.add_index(apps.get_model(model), index, **_online(schema_editor))


def remove_dot_indexes(apps, schema_editor):
    for model, field, name in DOT_INDEXES:
        index = models.Index(fields=[field], name=name)
        schema_editor.remove_index(apps.get_model(model), index, **_online(schema_editor))


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("oauth", "0003_empty_allowed_scopes"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [
        AddIndexOnline(
            model_name="tokenfamily",
            index=models.Index(fields=["expires"], name="oauth_tokenfamily_expires"),
        ),
        AddIndexOnline(
            model_name="tokenfamily",
            index=models.Index(
                condition=models.Q(family__isnull=True), fields=["created"], name="oauth_tokenfamily_unspent"
            ),
        ),
        migrations.RunPython(add_dot_indexes, remove_dot_indexes),
    ]
