"""/api/v1/subscriptions/ (your own: create, list, delete), /api/v1/notifications/ (yours, mark read), cases."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, status
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from oversight import permissions
from oversight.api.views import GenericViewSet

from .. import services
from ..models import Notification, OutlierCase, Subscription
from . import serializers


def _require_write(request):
    if not permissions.scope_allows_write(request.user):
        raise PermissionDenied("This token cannot change anything (scope is not write).")


class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, GenericViewSet
):
    queryset = Subscription.objects.select_related("organisation", "indicator")
    serializer_class = serializers.SubscriptionSerializer
    ordering_fields = ["created"]

    def create(self, request, *args, **kwargs):
        _require_write(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_create(user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(subscription).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        subscription = self.get_object()  # another user's subscription answers 404, as one that does not exist
        _require_write(request)
        services.subscription_delete(user=request.user, subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Notification.objects.select_related("event")
    serializer_class = serializers.NotificationSerializer
    filterset_fields = {"read_at": ["isnull"], "event__kind": ["exact"]}
    ordering_fields = ["created"]

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        _require_write(request)
        services.mark_read(request.user, [notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=serializers.MarkReadSerializer,
        responses=inline_serializer("NotificationsMarked", {"marked": drf_serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read", serializer_class=serializers.MarkReadSerializer)
    def mark_read(self, request):
        _require_write(request)
        serializer = serializers.MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        count = services.mark_read(request.user, ids)
        return Response({"marked": count})


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet):
    queryset = OutlierCase.objects.select_related("organisation", "indicator")
    serializer_class = serializers.OutlierCaseSerializer
    filterset_fields = ["status", "organisation", "indicator", "signal"]
    ordering_fields = ["opened_at", "closed_at"]

    def create(self, request, *args, **kwargs):
        if not permissions.can_edit_some_trust_records(request.user):
            raise PermissionDenied("Only oversight staff or a trust's improvement director can open a case.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = services.case_open(
            actor=request.user,
            organisation=data["organisation"],
            indicator=data["indicator"],
            period=data["period"],
            signal=data["signal"],
            assigned_to=data.get("assigned_to"),
        )
        return Response(self.get_serializer(case).data, status=status.HTTP_201_CREATED)

    def _step(self, request, function, **extra):
        case = self.get_object()
        _require_write(request)
        step = serializers.CaseStepSerializer(data=request.data)
        step.is_valid(raise_exception=True)
        case = function(actor=request.user, case=case, **{extra["field"]: step.validated_data["text"]})
        return Response(serializers.OutlierCaseSerializer(case).data)

    @action(detail=True, methods=["post"], serializer_class=serializers.CaseStepSerializer)
    def respond(self, request, pk=None):
        return self._step(request, services.case_record_response, field="response")

    @action(detail=True, methods=["post"], serializer_class=serializers.CaseStepSerializer)
    def close(self, request, pk=None):
        return self._step(request, services.case_close, field="reason")
