from django.urls import path

from apps.social import api, views

app_name = "identities"
urlpatterns = [
    path("settings/sign-in-methods/", views.sign_in_methods, name="sign-in-methods"),
    path("settings/sign-in-methods/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path("sign-in/confirm-email/", views.confirm_email, name="confirm-email"),
    path("api/auth/social/<str:provider>/", api.SocialTokenExchangeView.as_view(), name="token-exchange"),
]
