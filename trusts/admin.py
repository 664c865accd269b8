"""Every model in the admin, with history (simple_history) so admin edits are audited too.

Episode records (episodes and their entry proposals, criteria, stocktakes, funding, notes) and
segments are read only here (ServiceOnlyAdmin): they change through the services behind the pages
and the API, which hold four eyes, rights and versions.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from oversight.admin import ServiceOnlyAdmin

from . import models


@admin.register(models.Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["ods_code", "name", "sector", "kind", "region", "foundation_trust", "verified"]
    list_filter = ["sector", "kind", "region", "verified", "foundation_trust"]
    search_fields = ["ods_code", "name", "name_source"]
    raw_id_fields = ["parent_icb", "successor"]


@admin.register(models.Regime)
class RegimeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "valid_from", "valid_to", "exit_target_months", "confidential"]
    list_filter = ["family", "confidential"]


@admin.register(models.FrameworkVersion)
class FrameworkVersionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "effective_from", "effective_to", "boundary_rule"]


class ExitCriterionInline(ServiceOnlyAdmin, admin.TabularInline):
    model = models.ExitCriterion
    extra = 0


class SupportFundingInline(ServiceOnlyAdmin, admin.TabularInline):
    model = models.SupportFunding
    extra = 0


@admin.register(models.RegimeEpisode)
class RegimeEpisodeAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["organisation", "regime", "entered", "exited", "route"]
    list_filter = ["regime", "route"]
    search_fields = ["organisation__ods_code", "organisation__name"]
    raw_id_fields = ["organisation", "buddy_trust"]
    inlines = [ExitCriterionInline, SupportFundingInline]


@admin.register(models.EntryProposal)
class EntryProposalAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["organisation", "regime", "entered", "status", "proposed_by", "decided_by"]
    list_filter = ["status", "regime"]


@admin.register(models.SegmentAssignment)
class SegmentAssignmentAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["organisation", "segment", "effective_from", "effective_to", "published", "synthetic"]
    list_filter = ["segment", "published", "synthetic"]
    search_fields = ["organisation__ods_code", "organisation__name"]
    raw_id_fields = ["organisation"]


@admin.register(models.ImprovementDirectorAssignment)
class ImprovementDirectorAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organisation", "role", "date_from", "date_to"]
    list_filter = ["role"]
    raw_id_fields = ["organisation"]


@admin.register(models.DiagnosticStocktake)
class DiagnosticStocktakeAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["episode", "completed_on"]


@admin.register(models.ExitCriterion)
class ExitCriterionAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["episode", "theme", "status", "approved_at"]
    list_filter = ["theme", "status"]


@admin.register(models.SupportFunding)
class SupportFundingAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["episode", "year", "category", "budget", "spent"]


@admin.register(models.EpisodeNote)
class EpisodeNoteAdmin(ServiceOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["episode", "author", "created"]


@admin.register(models.QualityRating)
class QualityRatingAdmin(admin.ModelAdmin):
    list_display = ["organisation", "rated_on", "rating", "synthetic"]
