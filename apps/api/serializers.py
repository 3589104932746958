"""Output shapes of the API (and the documented input of the profile update).

Validation of profile input is ProfileForm's, through `update_profile`; the input serializer
here only describes it for the schema. No serializer ever carries a token or key value.
"""

from typing import ClassVar

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Profile, User


class BuiltOnceModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that builds its fields from the model once per class, not per instance.

    DRF introspects every model field's options each time a ModelSerializer is made: on
    `/api/me/` that was a third of the request. Read-only shapes never change, so each instance
    gets a copy of the first build, as `Serializer` does with declared fields. A shallow copy:
    binding sets only the copy's own attributes (name, parent, source), and a nested
    serializer's copy builds its own fields in turn; DRF's deep copy re-runs every field's
    `__init__`, which cost more than the rest of the serializer.
    """

    _built: ClassVar[dict[type, dict]] = {}

    def get_fields(self) -> dict:
        built = self._built.get(type(self))
        if built is None:
            built = self._built[type(self)] = super().get_fields()
        return {name: _shallow_copy(field) for name, field in built.items()}


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """`copy.copy(field)`, without the generic protocol (`__reduce_ex__`, copyreg) that made
    the copies a third of `/api/me/`'s serializer: the same new object with the same attributes."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class ProfileSerializer(BuiltOnceModelSerializer):
    # A URL or "" (no website): OpenAPI's `format: uri` would call the empty string invalid.
    website = serializers.CharField(read_only=True, help_text="The user's website, or an empty string.")
    avatar = serializers.SerializerMethodField(help_text="Absolute URL of the profile picture, or null.")

    class Meta:
        model = Profile
        fields = ["display_name", "bio", "website", "language", "avatar", "updated"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar(self, profile: Profile) -> str | None:
        if not profile.avatar:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(profile.avatar.url) if request else profile.avatar.url


class ProfileUpdateSerializer(serializers.Serializer):
    """Documents PUT/PATCH /api/profile/; the profile page's form validates it."""

    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text="The language of the pages for this person; empty to follow the browser.",
    )
    avatar = serializers.ImageField(
        required=False,
        allow_null=True,
        help_text="A PNG, JPEG or WebP upload (multipart), or null to remove it.",
    )


class UserSerializer(BuiltOnceModelSerializer):
    display_name = serializers.CharField(read_only=True)
    profile = ProfileSerializer(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "date_joined",
            "profile",
        ]
        read_only_fields = fields


class ApplicationRefSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    name = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null on a resource server.")
    username = serializers.CharField()


class TokenInfoSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["access_token", "api_key"])
    scope = serializers.CharField(help_text="Space-separated scopes.")
    scopes = serializers.ListField(child=serializers.CharField())
    expires = serializers.DateTimeField(
        allow_null=True, help_text="Null if it never expires, or on a resource server (not known there)."
    )
    expires_in = serializers.IntegerField(
        allow_null=True, help_text="Seconds left, or null as for `expires`."
    )
    application = ApplicationRefSerializer(allow_null=True)
    user = UserRefSerializer(allow_null=True)


class GrantSerializer(serializers.Serializer):
    """The tokens one application holds for the user, counted, never shown."""

    application = ApplicationRefSerializer()
    scopes = serializers.ListField(child=serializers.CharField())
    access_tokens = serializers.IntegerField()
    refresh_tokens = serializers.IntegerField()
    first_issued = serializers.DateTimeField()
    expires = serializers.DateTimeField(allow_null=True, help_text="When the newest access token expires.")


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many applications lost their access.")


class ConnectedAppSerializer(serializers.Serializer):
    application = ApplicationRefSerializer()
    scopes = serializers.ListField(child=serializers.CharField())
    granted = serializers.DateTimeField()
    last_used = serializers.DateTimeField(allow_null=True)
    expires = serializers.DateTimeField(allow_null=True)


class RefreshRequestSerializer(serializers.Serializer):
    """RFC 6749 §6; client authentication as at /o/token/ (HTTP Basic or these fields)."""

    refresh_token = serializers.CharField()
    grant_type = serializers.ChoiceField(choices=["refresh_token"], required=False)
    client_id = serializers.CharField(required=False)
    client_secret = serializers.CharField(required=False)
    scope = serializers.CharField(required=False, help_text="Optionally narrower than the original grant.")


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    refresh_token = serializers.CharField()
    scope = serializers.CharField()
    id_token = serializers.CharField(required=False)


class TokenEndpointErrorSerializer(serializers.Serializer):
    """RFC 6749 §5.2, as /o/token/ answers."""

    error = serializers.CharField()
    error_description = serializers.CharField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(
        help_text="A stable code: invalid_token, insufficient_scope, rate_limited, …"
    )
    error_description = serializers.CharField()
    scope = serializers.CharField(required=False, help_text="With insufficient_scope: the scopes needed.")
    fields = serializers.DictField(required=False, help_text="With invalid_request: errors per field.")
    retry_after = serializers.IntegerField(required=False, help_text="With rate_limited: seconds to wait.")
