from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "From signal to action"

    def ready(self):
        from oversight import audit

        from . import models, signals  # noqa: F401 — signals connects the decision and import receivers

        audit.register(models.OutlierCase, key="case", organisation_path="organisation_id")
        audit.register(models.Subscription, key="subscription")
        audit.register(models.ChartAnnotation, key="annotation", organisation_path="organisation_id")
