from django.urls import path

from apps.audit import views

app_name = "audit"
urlpatterns = [
    path("settings/security/log/", views.security_log, name="security-log"),
]
