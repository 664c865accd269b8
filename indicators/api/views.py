"""API views for the indicator catalogue, observations and the stored results (all read only)."""

from collections import defaultdict

from django.db.models import BooleanField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins
from rest_framework.response import Response

from oversight import dataversion
from oversight.api.fastlist import ValuesListMixin
from oversight.api.listcache import CachedListMixin
from oversight.api.pagination import IdCursorPagination
from oversight.api.views import GenericViewSet, ReadOnlyViewSet

from .. import exports
from ..models import (
    Alert,
    ComputationRun,
    CurrentResult,
    Indicator,
    Observation,
    PooledEffect,
    SpcSummary,
    TrajectoryFit,
    ZScore,
)
from . import filters, serializers


class IndicatorViewSet(ReadOnlyViewSet):
    """The indicator catalogue, by code."""

    queryset = Indicator.objects.order_by("code")
    serializer_class = serializers.IndicatorSerializer
    filterset_class = filters.IndicatorFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9_-]+"
    ordering_fields = ["code", "name"]


class ObservationViewSet(CachedListMixin, ValuesListMixin, ReadOnlyViewSet):
    """Observed values, one per trust, indicator and period, with their import batch.

    Paged by cursor in id order (`?cursor=` from `next`): a client can page through every
    observation without the server counting or skipping them.
    """

    serializer_class = serializers.ObservationSerializer
    filterset_class = filters.ObservationFilterSet
    pagination_class = IdCursorPagination
    filter_backends = [DjangoFilterBackend]  # the cursor fixes the order (id)

    def get_queryset(self):
        return (
            Observation.objects.select_related("organisation", "indicator")
            .annotate(is_synthetic=Exists(_synthetic_batches().filter(pk=OuterRef("batch_id"))))
            .order_by("id")
        )


def _synthetic_batches():
    from ..models import ImportBatch

    return ImportBatch.objects.filter(synthetic=True)


def served_runs(request=None) -> Q:
    """The rows of the run each indicator's pointer serves (what `ZScore.objects` reads), as equalities.

    The manager's correlated EXISTS on the pointer table leaves the planner no run to look up, so a
    page filtered by indicator would read the rows of every run kept (the served one and the one it
    replaced) before finding its first row. Reading the few pointers first turns the condition into
    `run_id = … AND indicator_id IN (…)`, which the (run, indicator, id) index answers a page at a time.
    """
    indicators_of_run = defaultdict(list)
    pointers = dataversion.memo(
        "served-pointers",
        request,
        lambda: list(CurrentResult.objects.filter(indicator__isnull=False).values_list("run_id", "indicator_id")),
    )
    for run_id, indicator_id in pointers:
        indicators_of_run[run_id].append(indicator_id)
    served = Q(pk__in=[])  # no pointer yet: nothing is served
    for run_id, indicator_ids in indicators_of_run.items():
        served |= Q(run_id=run_id, indicator_id__in=indicator_ids)
    return served


class ZScoreViewSet(CachedListMixin, ValuesListMixin, ReadOnlyViewSet):
    """Each trust-period's z-score against the national value, unadjusted and overdispersion-adjusted.

    Only the served run's rows; paged by cursor in id order, as observations are.
    """

    serializer_class = serializers.ZScoreSerializer
    filterset_class = filters.ZScoreFilterSet
    pagination_class = IdCursorPagination
    filter_backends = [DjangoFilterBackend]  # the cursor fixes the order (id)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not the pointers (no database)
            return ZScore.all_runs.none()
        # The one observation a z-score was computed from (the unique key), looked up per row. Written as
        # EXISTS(… batch.synthetic), PostgreSQL hashed every synthetic observation (160k at national
        # scale, ~0.5 s) for a page of 100 rows.
        source_is_synthetic = (
            Observation.objects.filter(
                organisation_id=OuterRef("organisation_id"),
                indicator_id=OuterRef("indicator_id"),
                period=OuterRef("period"),
            )
            .order_by()
            .values("batch__synthetic")[:1]
        )
        return (
            ZScore.all_runs.filter(served_runs(self.request))
            .select_related("organisation", "indicator")
            .annotate(is_synthetic=Coalesce(Subquery(source_is_synthetic), Value(False), output_field=BooleanField()))
            .order_by("id")
        )


class TrajectoryViewSet(ReadOnlyViewSet):
    """Interrupted-time-series fits per trust and regime spell (spells through CP need confidential access)."""

    serializer_class = serializers.TrajectorySerializer
    filterset_class = filters.TrajectoryFilterSet
    ordering_fields = ["spell_entered", "organisation__ods_code", "indicator__code"]

    def get_queryset(self):
        return TrajectoryFit.objects.select_related("organisation", "indicator").order_by("indicator_id", "pk")


class PooledEffectViewSet(ReadOnlyViewSet):
    """Effects pooled across trusts (Table 23): aggregates, naming no trust; CP groups need confidential access."""

    queryset = PooledEffect.objects.select_related("indicator").order_by(
        "indicator__code", "regime_group", "quantity", "confidential"
    )
    serializer_class = serializers.PooledEffectSerializer
    filterset_class = filters.PooledEffectFilterSet
    ordering_fields = ["indicator__code", "regime_group", "quantity"]


class SpcPointViewSet(mixins.ListModelMixin, GenericViewSet):
    """Every charted SPC point, one row per trust and period, with its chart's limits and MDC icons.

    The same rows as `manage.py export_spc`; filter by organisation, indicator, region and
    period_from/period_to.
    """

    model = SpcSummary  # the rows are points of these charts (oversight.permissions.VISIBILITY_RULES)
    queryset = SpcSummary.objects.select_related("organisation", "indicator").order_by(
        "indicator__code", "organisation__ods_code"
    )
    serializer_class = serializers.SpcPointSerializer
    filterset_class = filters.SpcFilterSet
    ordering_fields = []

    def list(self, request, *args, **kwargs):
        charts = self.filter_queryset(self.get_queryset())
        bounds = self.filterset_class(request.query_params, queryset=charts)
        bounds.is_valid()  # invalid dates were refused by filter_queryset already (400)
        points = list(
            exports.spc_point_rows(
                charts,
                period_from=bounds.form.cleaned_data.get("period_from"),
                period_to=bounds.form.cleaned_data.get("period_to"),
            )
        )
        page = self.paginate_queryset(points)
        return self.get_paginated_response(page) if page is not None else Response(points)


class AlertViewSet(ReadOnlyViewSet):
    """Early-warning signals: a trust's CUSUM crossed its threshold in a period."""

    queryset = Alert.objects.select_related("organisation", "indicator").order_by("-period", "pk")
    serializer_class = serializers.AlertSerializer
    filterset_class = filters.AlertFilterSet
    ordering_fields = ["period", "statistic", "organisation__ods_code"]


class ComputationRunViewSet(ReadOnlyViewSet):
    """Recompute runs: when, which method version, what they wrote."""

    queryset = ComputationRun.objects.order_by("-started")
    serializer_class = serializers.ComputationRunSerializer
    filterset_class = filters.RunFilterSet
    ordering_fields = ["started", "finished"]
