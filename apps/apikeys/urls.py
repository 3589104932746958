from django.urls import path

from apps.apikeys import views

app_name = "apikeys"
urlpatterns = [
    path("settings/api-keys/", views.key_list, name="key-list"),
    path("settings/api-keys/new/", views.create_key, name="key-create"),
    path("settings/api-keys/<int:pk>/revoke/", views.revoke_key, name="key-revoke"),
]
