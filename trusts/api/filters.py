"""API FilterSets for the records trusts/filters.py does not cover (segments, episode records)."""

import django_filters
from django.db.models import Q

from ..constants import REGION_CHOICES, CriterionDataStatus, CriterionStatus, CriterionTheme, FundingCategory
from ..models import (
    DiagnosticStocktake,
    EpisodeNote,
    ExitCriterion,
    SegmentAssignment,
    SegmentCategory,
    SupportFunding,
)

# Numbers the database can compare: a larger one would overflow its integer columns.
DATABASE_INT_MAX = 2**31 - 1


def IntegerFilter(**kwargs) -> django_filters.NumberFilter:  # noqa: N802 — reads as the filter class it makes
    """A whole-number filter bounded to what the database can hold (an id, a year, a segment)."""
    return django_filters.NumberFilter(min_value=0, max_value=DATABASE_INT_MAX, **kwargs)


class StaticFilterSet(django_filters.FilterSet):
    """A FilterSet whose filters never depend on the request, so its form class is built once.

    django-filter builds a new form class on every request; on the busiest lists that is a
    measurable share of the time. Forms copy their fields per instance, so sharing the class is safe.
    """

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._static_form_class = form_class
        return form_class


class SegmentFilterSet(StaticFilterSet):
    """Segment assignments: `as_of` gives each organisation's segment on a date."""

    as_of = django_filters.DateFilter(method="filter_as_of", label="In force on (YYYY-MM-DD)")
    region = django_filters.ChoiceFilter(field_name="organisation__region", choices=REGION_CHOICES)
    segment = IntegerFilter()
    organisation = django_filters.CharFilter(field_name="organisation__ods_code", lookup_expr="iexact")
    published = django_filters.BooleanFilter()
    synthetic = django_filters.BooleanFilter()
    framework = django_filters.CharFilter(field_name="framework__code", lookup_expr="iexact", label="Framework edition")
    category = django_filters.ChoiceFilter(choices=SegmentCategory.choices)

    class Meta:
        model = SegmentAssignment
        fields = ["as_of", "region", "segment", "organisation", "published", "synthetic", "framework", "category"]

    def filter_as_of(self, queryset, name, value):
        # In force on the date, under the framework edition in force on it: a 2021/22 segment left
        # open-ended is not served beside a trust's 2025/26 one (a segment of no edition always passes).
        in_force = Q(framework__effective_from__lte=value) & (
            Q(framework__effective_to__isnull=True) | Q(framework__effective_to__gte=value)
        )
        return queryset.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=value),
            Q(framework__isnull=True) | in_force,
            effective_from__lte=value,
        )


class _EpisodeRecordFilterSet(StaticFilterSet):
    episode = IntegerFilter(field_name="episode_id")
    organisation = django_filters.CharFilter(field_name="episode__organisation__ods_code", lookup_expr="iexact")


class StocktakeFilterSet(_EpisodeRecordFilterSet):
    class Meta:
        model = DiagnosticStocktake
        fields = ["episode", "organisation"]


class CriterionFilterSet(_EpisodeRecordFilterSet):
    theme = django_filters.ChoiceFilter(choices=CriterionTheme.choices)
    status = django_filters.ChoiceFilter(choices=CriterionStatus.choices)
    data_status = django_filters.ChoiceFilter(choices=CriterionDataStatus.choices)

    class Meta:
        model = ExitCriterion
        fields = ["episode", "organisation", "theme", "status", "data_status"]


class FundingFilterSet(_EpisodeRecordFilterSet):
    year = IntegerFilter()
    category = django_filters.ChoiceFilter(choices=FundingCategory.choices)

    class Meta:
        model = SupportFunding
        fields = ["episode", "organisation", "year", "category"]


class NoteFilterSet(_EpisodeRecordFilterSet):
    class Meta:
        model = EpisodeNote
        fields = ["episode", "organisation"]
