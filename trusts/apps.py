from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    verbose_name = "Trusts and regimes"

    def ready(self):
        from django.db.models import Q

        from oversight import audit, dataversion, permissions

        from . import models

        # What the API's cached lists show of trusts: their segments and names (oversight.dataversion).
        dataversion.bump_on_change(models.Organisation, models.SegmentAssignment, models.FrameworkVersion)
        audit.register(models.Organisation, key="organisation", organisation_path="id", confidential=False)
        # A CP episode is on the confidential watch list; its route, reason and notes are redacted for others.
        audit.register(
            models.RegimeEpisode,
            key="episode",
            organisation_path="organisation_id",
            confidential=Q(regime__confidential=True),
            redact=permissions.redacted_episode_value,
        )
        audit.register(
            models.SegmentAssignment,
            key="segment",
            organisation_path="organisation_id",
            confidential=Q(published=False),
        )
        audit.register(
            models.ImprovementDirectorAssignment,
            key="assignment",
            organisation_path="organisation_id",
            confidential=False,
        )
        # A trust linked to an ICB's programme episode is as confidential as that episode.
        audit.register(
            models.SystemProgrammeLink,
            key="system_link",
            organisation_path="episode__organisation_id",
            confidential="episode",
        )
        # An episode's records are as confidential as the episode they belong to.
        for key, model in (
            ("stocktake", models.DiagnosticStocktake),
            ("criterion", models.ExitCriterion),
            ("funding", models.SupportFunding),
            ("note", models.EpisodeNote),
        ):
            audit.register(model, key=key, organisation_path="episode__organisation_id", confidential="episode")
