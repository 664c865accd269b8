from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "Oversight"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        from . import audit, models

        audit.connect_signals()
        user = get_user_model()
        pre_save.connect(models.skip_login_only_saves, sender=user, dispatch_uid="oversight-user-login-history")
        # Connected after simple_history's own post_save, so it runs after the history decision.
        post_save.connect(
            models.restore_history_after_save, sender=user, dispatch_uid="oversight-user-login-history-restore"
        )
        audit.register(user, key="user")  # the user model's history is registered in oversight.models
        audit.register(models.ApiToken, key="token")
