"""API tokens, the audit context and users' history in the admin.

A token's key is shown once, in the message after it is created; the admin never shows it again.
Audit records are read only: they can be looked at, never added, changed or deleted.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
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


class ServiceOnlyAdmin:
    """A record that changes only through the services (rights, four eyes, versions, audit): shown, never edited.

    Entries, exits, criteria, stocktakes, notes, funding, segments and observations are decisions or
    evidence; the admin shows them and their history and points to the pages and API that change them.
    Deleting one is refused everywhere, so provenance is never lost.
    """

    service_hint = (
        "Records are read only here: change them through the pages (/records/…) or the API (/api/v1/…), "
        "which check rights, four eyes and versions and keep the audit trail."
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}  # not even "delete selected"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": self.service_hint})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(
            request, object_id, form_url, {**(extra_context or {}), "subtitle": self.service_hint}
        )


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

    Deactivate an account rather than delete it. Nobody grants more than they hold
    (oversight.permissions.grantable_*): a non-superuser cannot make a superuser, cannot give a
    permission or a group whose permissions they lack, and cannot change a superuser's account.
    """

    def has_change_permission(self, request, obj=None):
        if obj is not None and not permissions.can_change_account(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "user_permissions":
            kwargs["queryset"] = permissions.grantable_permissions(request.user)
        elif db_field.name == "groups":
            kwargs["queryset"] = permissions.grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The form cannot offer more than the granter holds; this holds even for a hand-made POST.
        if obj.is_superuser and not request.user.is_superuser:
            raise PermissionDenied("Only a superuser can make a superuser.")
        super().save_model(request, obj, form, change)
