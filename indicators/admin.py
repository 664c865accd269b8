"""Indicator catalogue, observations and provenance in the admin; computed results are read only."""

from django.contrib import admin

from oversight.admin import ServiceOnlyAdmin

from . import models


@admin.register(models.Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "cadence", "polarity", "synthetic"]
    list_filter = ["kind", "cadence", "synthetic"]


@admin.register(models.Observation)
class ObservationAdmin(ServiceOnlyAdmin, admin.ModelAdmin):
    list_display = ["organisation", "indicator", "period", "numerator", "denominator", "value"]
    list_filter = ["indicator"]
    search_fields = ["organisation__ods_code"]
    raw_id_fields = ["organisation", "batch"]
    list_select_related = ["organisation", "indicator"]


@admin.register(models.ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["file_name", "format", "status", "started", "rows_read", "rows_created", "rows_updated"]
    list_filter = ["format", "status", "synthetic"]

    def has_change_permission(self, request, obj=None):
        return False  # provenance is never edited


@admin.register(models.ComputationRun)
class ComputationRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "started", "finished", "method_version", "triggered_by"]

    def has_change_permission(self, request, obj=None):
        return False
