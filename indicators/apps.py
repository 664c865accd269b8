from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = "Indicators and results"

    def ready(self):
        from oversight import audit, dataversion

        from . import models

        # What the API's cached lists show of indicator data (oversight.dataversion); bulk writers bump themselves.
        dataversion.bump_on_change(models.Indicator, models.ImportBatch, models.CurrentResult)
        # Deleted in bulk only by imports, demo data and the recompute's pruning, which bump themselves.
        dataversion.bump_on_change(models.Observation, models.ZScore, deletes=False)
        audit.register(models.SpcRebase, key="rebase", organisation_path="organisation_id")
        audit.register(models.AsAtRequest, key="as_at_request", confidential=False)
        audit.register_import_batch_model(models.ImportBatch)
