from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    verbose_name = "OAuth"

    def ready(self) -> None:
        from apps.accounts.deletion import register_deletion_step
        from apps.oauth import checks, consent, deletion  # noqa: F401 - checks and a consent receiver
        from apps.oauth.tokencache import track_tokens

        register_deletion_step("oauth", impact=deletion.deletion_impact, delete=deletion.delete_user_data)
        track_tokens()
