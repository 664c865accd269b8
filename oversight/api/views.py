"""API views that belong to no app (the ping used as the benchmark's baseline) and the viewsets' base classes."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from oversight import permissions


class PingView(APIView):
    """A constant answer behind the same authentication and throttling as every endpoint."""

    @extend_schema(responses=inline_serializer("Ping", {"ok": serializers.BooleanField()}))
    def get(self, request):
        return Response({"ok": True})


class RestrictedViewSetMixin:
    """Every API viewset's rows pass through oversight.permissions.visible_to before any filter or lookup.

    DRF reads both lists and single records (`get_object`, every custom action) through
    `filter_queryset(get_queryset())`, so narrowing here covers every path, whatever a viewset's
    own `get_queryset` does: a row the caller may not see is absent from lists, counts and CSV, and
    its detail answers 404 exactly as a row that does not exist.
    """

    def filter_queryset(self, queryset):
        return super().filter_queryset(permissions.visible_to(self.request.user, queryset))


class ReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The base of the API's read-only viewsets."""


class GenericViewSet(RestrictedViewSetMixin, viewsets.GenericViewSet):
    """The base of the API's viewsets that compose their own mixins."""
