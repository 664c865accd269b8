"""API tokens, the audit context and users' history in the admin.

A token's key is shown once, in the message after it is created; the admin never shows it again.
Audit records are read only: they can be looked at, never added, changed or deleted.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import permissions
from .models import ApiToken, AuditContext


class UserManagementAdmin(admin.ModelAdmin):
    """Accounts and tokens are managed by oversight staff (oversight.permissions), whatever their model
    permissions say; nothing here is deleted, so the audit trail keeps every account and token."""

    def has_module_permission(self, request):
        return permissions.can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_manage_users(request.user)

    def has_add_permission(self, request):
        return permissions.can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.can_manage_users(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(UserManagementAdmin, SimpleHistoryAdmin):
    list_display = ["prefix", "user", "name", "scope", "created", "last_used_at", "revoked_at", "expires_at"]
    list_filter = ["scope"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["prefix", "created", "last_used_at", "revoked_at"]
    fields = ["user", "name", "scope", "expires_at", "prefix", "created", "last_used_at", "revoked_at"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = ApiToken.new_key()
            obj.set_key(key)
            super().save_model(request, obj, form, change)
            messages.warning(
                request,
                f"The token for {obj.user} is {key} — copy it now: it is stored hashed and will not be shown again.",
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        now = timezone.now()
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = now
            token._change_reason = "Revoked in the admin"
            token.save(update_fields=["revoked_at"])
            count += 1
        self.message_user(request, f"{count} token{'s' if count != 1 else ''} revoked.")


@admin.register(AuditContext)
class AuditContextAdmin(ReadOnlyAdmin):
    list_display = ["recorded", "history_model", "history_id", "channel", "request_id"]
    list_filter = ["channel", "history_model"]
    search_fields = ["request_id", "reason"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserManagementAdmin, SimpleHistoryAdmin, UserAdmin):
    """The standard user admin, with the account's history (roles given, activation) one click away.

    Deactivate an account rather than delete it."""
