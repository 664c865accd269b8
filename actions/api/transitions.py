"""/api/v1/transitions/ and /api/v1/communications/: read only, filterable by the trust's ODS code and status.

Rows pass through oversight.permissions.visible_to (the viewsets' base class): a transition and a
communication are records of an episode, so a CP episode's are seen only with confidential access
(or by the trust's ID), and a `read` token, which sees published data only, sees none.
"""

import django_filters
from rest_framework import serializers

from oversight.api.views import ReadOnlyViewSet
from trusts.api.filters import IntegerFilter, StaticFilterSet

from ..models import (
    Audience,
    CheckInOutcome,
    Communication,
    CommunicationKind,
    Handover,
    Transition,
    TransitionStatus,
)


class ScheduleStepSerializer(serializers.Serializer):
    starts = serializers.DateField()
    ends = serializers.DateField()
    support = serializers.CharField()


class CheckInSerializer(serializers.Serializer):
    held = serializers.DateField()
    outcome = serializers.ChoiceField(choices=CheckInOutcome.choices)
    note = serializers.CharField(allow_blank=True)
    by = serializers.CharField(help_text="Who recorded the check-in.")


class TransitionSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="episode.organisation.ods_code", read_only=True)
    organisation_name = serializers.CharField(source="episode.organisation.name", read_only=True)
    regime = serializers.CharField(source="episode.regime.code", read_only=True)
    schedule = ScheduleStepSerializer(many=True, read_only=True, help_text="The tapering of national support.")
    check_ins = CheckInSerializer(many=True, read_only=True)

    class Meta:
        model = Transition
        fields = [
            "id",
            "episode",
            "organisation",
            "organisation_name",
            "regime",
            "starts",
            "ends",
            "status",
            "handover_to",
            "handover_note",
            "schedule",
            "check_ins",
            "re_entry",
        ]


class CommunicationSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="episode.organisation.ods_code", read_only=True)
    regime = serializers.CharField(source="episode.regime.code", read_only=True)
    status = serializers.SerializerMethodField(help_text="planned until it has gone out, then sent.")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Communication
        fields = [
            "id",
            "episode",
            "organisation",
            "regime",
            "kind",
            "audience",
            "planned",
            "sent",
            "status",
            "note",
            "recorded_by",
        ]

    def get_status(self, communication) -> str:
        return COMMUNICATION_SENT if communication.sent else COMMUNICATION_PLANNED


COMMUNICATION_PLANNED, COMMUNICATION_SENT = "planned", "sent"


class _EpisodeRecordFilterSet(StaticFilterSet):
    episode = IntegerFilter(field_name="episode_id")
    organisation = django_filters.CharFilter(
        field_name="episode__organisation__ods_code", lookup_expr="iexact", label="The trust's ODS code"
    )
    regime = django_filters.CharFilter(field_name="episode__regime__code", lookup_expr="iexact")


class TransitionFilterSet(_EpisodeRecordFilterSet):
    status = django_filters.ChoiceFilter(choices=TransitionStatus.choices)
    handover_to = django_filters.ChoiceFilter(choices=Handover.choices)

    class Meta:
        model = Transition
        fields = ["episode", "organisation", "regime", "status", "handover_to"]


class CommunicationFilterSet(_EpisodeRecordFilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(COMMUNICATION_PLANNED, "Planned, not yet sent"), (COMMUNICATION_SENT, "Sent")],
        method="filter_status",
    )
    kind = django_filters.ChoiceFilter(choices=CommunicationKind.choices)
    audience = django_filters.ChoiceFilter(choices=Audience.choices)

    class Meta:
        model = Communication
        fields = ["episode", "organisation", "regime", "status", "kind", "audience"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(sent__isnull=value == COMMUNICATION_PLANNED)


class TransitionViewSet(ReadOnlyViewSet):
    """Transitions after exit: the tapering schedule, the handover and the check-ins."""

    queryset = Transition.objects.select_related("episode__organisation", "episode__regime").order_by("-starts", "pk")
    serializer_class = TransitionSerializer
    filterset_class = TransitionFilterSet
    ordering_fields = ["starts", "ends"]


class CommunicationViewSet(ReadOnlyViewSet):
    """Communications planned with entry and exit decisions, and when they went out."""

    queryset = Communication.objects.select_related("episode__organisation", "episode__regime", "recorded_by").order_by(
        "planned", "pk"
    )
    serializer_class = CommunicationSerializer
    filterset_class = CommunicationFilterSet
    ordering_fields = ["planned", "sent"]
