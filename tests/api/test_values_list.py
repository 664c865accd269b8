"""The values-list base renders what the declared ModelSerializer renders; no viewset keeps a column map."""

import pytest
from rest_framework import viewsets

from indicators.api import views as indicator_views
from oversight.api.fastlist import ValuesListMixin, columns, render_rows
from trusts.api import views as trust_views

VIEWSETS = [indicator_views.ObservationViewSet, indicator_views.ZScoreViewSet, trust_views.SegmentViewSet]


def test_no_list_viewset_defines_fast_columns():
    for module in (indicator_views, trust_views):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, viewsets.GenericViewSet):
                assert not hasattr(value, "fast_columns"), value.__name__


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_values_rows_equal_model_serializer(viewset, world):
    assert issubclass(viewset, ValuesListMixin)
    view = viewset()
    view.request = None
    view.format_kwarg = None
    queryset = view.get_queryset()
    serializer = viewset.serializer_class(context={})
    cols = columns(serializer)
    paths = [path for _, path, _ in cols]
    fast = render_rows(cols, queryset.values_list(*paths)[:50])
    assert fast, "the world fixture must give this list rows, or the comparison proves nothing"
    # Independent: DRF's own ModelSerializer over model instances, through the base class's rendering.
    from rest_framework.serializers import ModelSerializer

    slow = [dict(ModelSerializer.to_representation(serializer, row)) for row in queryset[:50]]
    assert fast == slow
