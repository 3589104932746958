from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.apikeys.models import APIKey
from apps.apikeys.services import revoke_api_key


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Read-only, searchable by the id part: a leaked `gatehouse_<id>_…` is one search away."""

    list_display = ("name", "user", "masked", "scope", "created", "last_used", "expires")
    search_fields = ("key_id", "name", "user__email")
    fields = ("user", "name", "key_id", "scope", "created", "last_used", "expires")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are shown once to their owner, so only the owner creates them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: it is audited

    @admin.action(description=_("Revoke selected API keys"), permissions=["view"])
    def revoke(self, request, queryset) -> None:
        keys = list(queryset.select_related("user"))
        for api_key in keys:
            revoke_api_key(api_key=api_key, request=request)
        self.message_user(
            request,
            ngettext("Revoked %(count)d API key.", "Revoked %(count)d API keys.", len(keys))
            % {"count": len(keys)},
        )
