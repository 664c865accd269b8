"""API FilterSets for indicators, observations and the computed results."""

import django_filters

from oversight import dataversion
from trusts.api.filters import StaticFilterSet
from trusts.models import Organisation

from ..constants import Cadence, EffectQuantity, IndicatorKind, RegimeGroup, RunStatus
from ..models import Alert, ComputationRun, Indicator, Observation, PooledEffect, SpcSummary, TrajectoryFit, ZScore


class IndicatorFilterSet(StaticFilterSet):
    kind = django_filters.ChoiceFilter(choices=IndicatorKind.choices)
    cadence = django_filters.ChoiceFilter(choices=Cadence.choices)
    synthetic = django_filters.BooleanFilter()

    class Meta:
        model = Indicator
        fields = ["kind", "cadence", "synthetic"]


class _OrganisationPeriodFilterSet(StaticFilterSet):
    """Filters shared by per-trust, per-period rows."""

    organisation = django_filters.CharFilter(method="filter_organisation")
    indicator = django_filters.CharFilter(method="filter_indicator")
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte")
    region = django_filters.CharFilter(field_name="organisation__region")

    # Codes are resolved to ids first, so the long tables are filtered on their own indexed columns
    # (and ordered by the (indicator, period) index) instead of through a join.
    def filter_organisation(self, queryset, name, value):
        ids = Organisation.objects.filter(ods_code__iexact=value).values_list("pk", flat=True)
        return queryset.filter(organisation_id__in=list(ids))

    def filter_indicator(self, queryset, name, value):
        ids = dataversion.memo("indicator-ids", self.request, lambda: dict(Indicator.objects.values_list("code", "pk")))
        return queryset.filter(indicator_id__in=[ids[value]] if value in ids else [])


class ObservationFilterSet(_OrganisationPeriodFilterSet):
    synthetic = django_filters.BooleanFilter(field_name="batch__synthetic")

    class Meta:
        model = Observation
        fields = ["organisation", "indicator", "period_from", "period_to", "region", "synthetic"]


class ZScoreFilterSet(_OrganisationPeriodFilterSet):
    class Meta:
        model = ZScore
        fields = ["organisation", "indicator", "period_from", "period_to", "region"]


class AlertFilterSet(_OrganisationPeriodFilterSet):
    kind = django_filters.CharFilter()

    class Meta:
        model = Alert
        fields = ["organisation", "indicator", "period_from", "period_to", "region", "kind"]


class TrajectoryFilterSet(StaticFilterSet):
    organisation = django_filters.CharFilter(field_name="organisation__ods_code", lookup_expr="iexact")
    indicator = django_filters.CharFilter(field_name="indicator__code")
    regime_group = django_filters.ChoiceFilter(choices=RegimeGroup.choices)

    class Meta:
        model = TrajectoryFit
        fields = ["organisation", "indicator", "regime_group"]


class PooledEffectFilterSet(StaticFilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code")
    regime_group = django_filters.ChoiceFilter(choices=RegimeGroup.choices)
    quantity = django_filters.ChoiceFilter(choices=EffectQuantity.choices)

    class Meta:
        model = PooledEffect
        fields = ["indicator", "regime_group", "quantity"]


class SpcFilterSet(StaticFilterSet):
    """Charts by trust, indicator and region; period_from/period_to choose the points (the view applies them)."""

    organisation = django_filters.CharFilter(field_name="organisation__ods_code", lookup_expr="iexact")
    indicator = django_filters.CharFilter(field_name="indicator__code")
    region = django_filters.CharFilter(field_name="organisation__region")
    period_from = django_filters.DateFilter(method="filter_nothing")
    period_to = django_filters.DateFilter(method="filter_nothing")

    class Meta:
        model = SpcSummary
        fields = ["organisation", "indicator", "region", "period_from", "period_to"]

    def filter_nothing(self, queryset, name, value):
        return queryset  # points are inside each chart's JSON: the view filters them


class RunFilterSet(StaticFilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    as_at = django_filters.ChoiceFilter(
        choices=[("true", "As-at runs only"), ("false", "Ordinary runs only")],
        method="filter_as_at",
        help_text="true: as-at runs only; false: ordinary runs only.",
    )

    class Meta:
        model = ComputationRun
        fields = ["status", "as_at"]

    def filter_as_at(self, queryset, name, value):
        return queryset.filter(as_at__isnull=value != "true")
