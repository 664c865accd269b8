from rest_framework import serializers

from indicators.models import Indicator
from trusts.models import Organisation

from ..models import ALL_EVENT_KINDS, Event, Notification, OutlierCase, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    indicator = serializers.PrimaryKeyRelatedField(queryset=Indicator.objects.all(), required=False, allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=ALL_EVENT_KINDS), allow_empty=False)

    class Meta:
        model = Subscription
        fields = ["id", "target", "organisation", "region", "indicator", "events", "delivery", "created"]
        read_only_fields = ["id", "created"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "kind", "title", "detail", "organisation", "indicator", "created"]


class NotificationSerializer(serializers.ModelSerializer):
    event = EventSerializer(read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "created", "read", "read_at", "delivery", "emailed_at"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    # Ids within a 64-bit key: a larger number is refused by the field (400), never sent to the database.
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False)


class OutlierCaseSerializer(serializers.ModelSerializer):
    days_open = serializers.IntegerField(read_only=True)
    days_to_close = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OutlierCase
        fields = [
            "id",
            "organisation",
            "indicator",
            "period",
            "signal",
            "value",
            "status",
            "opened_by",
            "opened_at",
            "assigned_to",
            "response",
            "responded_at",
            "closed_at",
            "close_reason",
            "days_open",
            "days_to_close",
        ]
        read_only_fields = [
            "value",
            "status",
            "opened_by",
            "opened_at",
            "response",
            "responded_at",
            "closed_at",
            "close_reason",
        ]


class CaseStepSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=False, trim_whitespace=True)
