from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = "Indicators and results"

    def ready(self):
        from oversight import audit

        from . import models

        audit.register(models.SpcRebase, key="rebase", organisation_path="organisation_id")
        audit.register(models.AsAtRequest, key="as_at_request", confidential=False)
        audit.register_import_batch_model(models.ImportBatch)
