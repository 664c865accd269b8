"""Indicator pages, regime analytics and early warning (the upload pages are ingest's)."""

from django.urls import path

from . import framework_views, spc_rebases, views

urlpatterns = [
    path("indicators/", views.indicator_list, name="indicator-list"),
    path("indicators/<slug:code>/", views.indicator_detail, name="indicator-detail"),
    path("analytics/", views.regime_analytics, name="regime-analytics"),
    path("early-warning/", views.early_warning, name="early-warning"),
    path("records/spc-rebase/<str:ods_code>/<slug:code>/", spc_rebases.spc_rebase, name="spc-rebase"),
    path("segments/reconciliation/", framework_views.segment_reconciliation, name="segment-reconciliation"),
    path("analytics/exit-likelihood/", framework_views.exit_likelihood, name="exit-likelihood"),
    path("segments/league-table/", framework_views.segment_league_table, name="segment-league-table"),
]
