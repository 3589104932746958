from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin

from apps.oauth.models import STAFF_OWNED_FIELDS, Application, ClientSecret, Consent

# DOT registers the swapped model with its own admin; replace it with one that shows our fields.
admin.site.unregister(Application)


@admin.register(Application)
class GatehouseApplicationAdmin(ApplicationAdmin):
    list_display = (
        "name",
        "client_id",
        "user",
        "client_type",
        "verification",
        "suspended",
        "skip_authorization",
        "is_resource_server",
    )
    list_filter = ("client_type", "verification", "suspended", "skip_authorization", "is_resource_server")
    # Verification and suspension change through the staff console, which audits and emails.
    readonly_fields = (*ApplicationAdmin.readonly_fields, *STAFF_OWNED_FIELDS)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "application", "scope", "remember", "created", "last_used")
    raw_id_fields = ("user", "application")


@admin.register(ClientSecret)
class ClientSecretAdmin(admin.ModelAdmin):
    list_display = ("application", "last_four", "created", "last_used")
    readonly_fields = ("secret_hash", "last_four")
