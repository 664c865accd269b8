from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models


@admin.register(models.Subscription)
class SubscriptionAdmin(SimpleHistoryAdmin):
    list_display = ["user", "target", "organisation", "region", "indicator", "delivery", "created"]
    list_filter = ["target", "delivery"]


@admin.register(models.Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "title", "confidential", "staff_only"]
    list_filter = ["kind", "confidential", "staff_only"]
    search_fields = ["key", "title"]


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "created", "read_at", "delivery", "emailed_at"]
    raw_id_fields = ["event"]


@admin.register(models.OutlierCase)
class OutlierCaseAdmin(SimpleHistoryAdmin):
    list_display = ["organisation", "indicator", "period", "signal", "status", "assigned_to", "opened_at", "closed_at"]
    list_filter = ["status", "signal"]
    raw_id_fields = ["organisation", "indicator"]
