from django.contrib import admin

from apps.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created", "kind", "user", "ip_address")
    list_filter = ("kind",)
    raw_id_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False
