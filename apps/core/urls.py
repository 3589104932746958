from django.urls import path

from apps.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz/", views.healthz, name="healthz"),
    # No trailing slash: the path every Prometheus scrape config assumes.
    path("metrics", views.metrics, name="metrics"),
]
