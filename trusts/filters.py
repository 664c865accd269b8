"""FilterSets for organisations and regime episodes: one definition drives the HTML pages and the API.

They filter at the model level only. The one request-specific thing, which regimes a user may
pick, comes through django-filter's `request` kwarg; the rows themselves are narrowed by
`oversight.permissions.visible_episodes` before the FilterSet sees them.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q

from oversight.permissions import can_see_confidential, episode_route_q

from .constants import REGION_CHOICES, EpisodeRoute, OrganisationKind, Sector
from .models import Organisation, Regime, RegimeEpisode


def regimes_for(request):
    """The regimes a user may filter by: confidential ones only with confidential access."""
    regimes = Regime.objects.order_by("valid_from", "code")
    if request is None or not can_see_confidential(getattr(request, "user", None)):
        regimes = regimes.filter(confidential=False)
    return regimes


ALL_SECTORS = "all"
SECTOR_CHOICES = [*Sector.choices, (ALL_SECTORS, "All organisations")]


def in_sector(queryset, sector: str, prefix: str = ""):
    """Organisations of a sector; NHS trusts include rows not yet classified (blank), `all` everything."""
    if sector == ALL_SECTORS:
        return queryset
    if sector == Sector.NHS_TRUST:
        return queryset.filter(Q(**{f"{prefix}sector": sector}) | Q(**{f"{prefix}sector": ""}))
    return queryset.filter(**{f"{prefix}sector": sector})


class OrganisationFilterSet(django_filters.FilterSet):
    """Organisations by name or ODS code, sector (NHS trusts unless asked), region, kind and current regime."""

    sector = django_filters.ChoiceFilter(
        choices=SECTOR_CHOICES,
        method="filter_sector",
        empty_label=None,
        initial=Sector.NHS_TRUST,
        label="Sector",
        help_text="NHS trusts unless another sector (or all) is chosen.",
    )
    q = django_filters.CharFilter(method="filter_text", label="Name or ODS code")
    region = django_filters.ChoiceFilter(choices=REGION_CHOICES, empty_label="Any region")
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, empty_label="Any kind")
    regime = django_filters.ModelChoiceFilter(
        queryset=regimes_for,
        field_name="episodes__regime",
        to_field_name="code",
        method="filter_regime",
        label="Now in regime",
        empty_label="Any or none",
    )

    class Meta:
        model = Organisation
        fields = ["sector", "q", "region", "kind", "regime"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("sector"):
            data = data.copy()
            data["sector"] = Sector.NHS_TRUST
        super().__init__(data, *args, **kwargs)

    def filter_sector(self, queryset, name, value):
        return in_sector(queryset, value or Sector.NHS_TRUST)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(ods_code__iexact=value)
            | Q(ods_code__istartswith=value)
            | Q(name__icontains=value)
            | Q(name_source__icontains=value)
        )

    def filter_regime(self, queryset, name, value):
        # Exists, not a join: a trust with two open episodes must still be one row.
        open_in_regime = RegimeEpisode.objects.filter(
            organisation=OuterRef("pk"), regime=value, exited__isnull=True, exit_unknown=False
        )
        return queryset.filter(Exists(open_in_regime))


class EpisodeFilterSet(django_filters.FilterSet):
    """Regime episodes by region and kind of their organisation, regime, route, state and entry date."""

    region = django_filters.ChoiceFilter(
        field_name="organisation__region", choices=REGION_CHOICES, empty_label="Any region"
    )
    kind = django_filters.ChoiceFilter(
        field_name="organisation__kind", choices=OrganisationKind.choices, empty_label="Any kind"
    )
    regime = django_filters.ModelChoiceFilter(
        queryset=regimes_for, field_name="regime", to_field_name="code", empty_label="Any regime"
    )
    route = django_filters.ChoiceFilter(choices=EpisodeRoute.choices, empty_label="Any route", method="filter_route")
    open = django_filters.BooleanFilter(method="filter_open", label="Still open")
    entered_after = django_filters.DateFilter(field_name="entered", lookup_expr="gte", label="Entered on or after")
    entered_before = django_filters.DateFilter(field_name="entered", lookup_expr="lte", label="Entered on or before")
    organisation = django_filters.CharFilter(
        field_name="organisation__ods_code", lookup_expr="iexact", label="ODS code"
    )
    synthetic = django_filters.BooleanFilter()

    class Meta:
        model = RegimeEpisode
        fields = ["region", "kind", "regime", "route", "open", "entered_after", "entered_before", "organisation"]

    def filter_route(self, queryset, name, value):
        # The route as the user reads it (oversight.permissions.redact_episode), so a filter tells nothing more.
        return queryset.filter(episode_route_q(getattr(self.request, "user", None), value))

    def filter_open(self, queryset, name, value):
        # Open means no exit yet; an episode whose exit is not recorded (Keogh 2013) is not open.
        if value is None:
            return queryset
        is_open = Q(exited__isnull=True, exit_unknown=False)
        return queryset.filter(is_open) if value else queryset.exclude(is_open)
