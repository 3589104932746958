from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/profile/", views.profile, name="profile"),
    path("settings/profile/validate/", views.profile_validate, name="profile-validate"),
    path("settings/security/", views.security, name="security"),
    path("settings/security/sessions/<int:pk>/sign-out/", views.end_session, name="end-session"),
    path("settings/security/sessions/sign-out-others/", views.end_other_sessions, name="end-other-sessions"),
    path("settings/delete-account/", views.delete_account, name="delete-account"),
]
