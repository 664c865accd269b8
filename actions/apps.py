from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "From signal to action"

    def ready(self):
        from . import signals  # noqa: F401 — connects the decision and import receivers
