"""The trusts an ICB's programme episode covers (issue 15: an ICB in the programme with its trusts linked).

Since 2021 an integrated care board can itself be placed in the programme (NOF4 / RSP), supported by a
System Improvement Director (an ImprovementDirectorAssignment of role `system_improvement_director`
on the ICB). Which of its trusts the system programme covers is recorded here, one row per trust, by
oversight staff through trusts.system_programme. Imported by trusts.models, so Django finds it.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class SystemProgrammeLink(models.Model):
    """One trust covered by an ICB's episode in a regime: the system programme reaches this trust."""

    episode = models.ForeignKey("trusts.RegimeEpisode", on_delete=models.CASCADE, related_name="system_links")
    trust = models.ForeignKey("trusts.Organisation", on_delete=models.PROTECT, related_name="system_links")
    outside_icb = models.BooleanField(
        default=False, help_text="Linked deliberately although the trust sits in another ICB (or none)."
    )
    linked_on = models.DateField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        app_label = "trusts"
        ordering = ["episode", "trust__name"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "trust"], name="system_link_one_per_episode_and_trust")
        ]

    def __str__(self) -> str:
        return f"{self.trust.ods_code} in the programme of {self.episode}"
