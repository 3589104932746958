from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    verbose_name = "OAuth"

    def ready(self) -> None:
        from apps.accounts.deletion import register_deletion_step
        from apps.accounts.sessions import register_sign_out_hook
        from apps.oauth import backchannel, checks, consent, deletion  # noqa: F401 - checks and a consent receiver
        from apps.oauth.secrets import track_clients
        from apps.oauth.tokencache import track_tokens

        # Back-channel logout: before the oauth step, while tokens still say which apps were used.
        register_deletion_step("backchannel_logout", delete=backchannel.account_deleted)
        register_deletion_step("oauth", impact=deletion.deletion_impact, delete=deletion.delete_user_data)
        register_sign_out_hook("backchannel_logout", backchannel.session_signed_out)
        track_tokens()
        track_clients()
