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
        # A transition and a communication belong to an episode: as confidential as it is.
        audit.register(
            models.Transition, key="transition", organisation_path="episode__organisation_id", confidential="episode"
        )
        audit.register(
            models.Communication,
            key="communication",
            organisation_path="episode__organisation_id",
            confidential="episode",
        )
