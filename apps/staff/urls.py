from django.urls import path

from apps.staff import views

app_name = "staff"
urlpatterns = [
    path("staff/", views.overview, name="overview"),
    path("staff/verification/", views.verification_queue, name="verification-queue"),
    path("staff/verification/<int:pk>/approve/", views.verification_approve, name="verification-approve"),
    path("staff/verification/<int:pk>/reject/", views.verification_reject, name="verification-reject"),
    path("staff/apps/", views.app_list, name="app-list"),
    path("staff/apps/<int:pk>/", views.app_detail, name="app-detail"),
    path("staff/apps/<int:pk>/suspend/", views.app_suspend, name="app-suspend"),
    path("staff/apps/<int:pk>/reinstate/", views.app_reinstate, name="app-reinstate"),
    path("staff/people/", views.person_list, name="person-list"),
    path("staff/people/<int:pk>/", views.person_detail, name="person-detail"),
    path("staff/people/<int:pk>/lock/", views.person_lock, name="person-lock"),
    path("staff/people/<int:pk>/unlock/", views.person_unlock, name="person-unlock"),
    path("staff/people/<int:pk>/sign-out/", views.person_sign_out, name="person-sign-out"),
    path("staff/people/<int:pk>/reset-second-factor/", views.person_reset_mfa, name="person-reset-mfa"),
]
