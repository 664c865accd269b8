"""Template context every page needs: the licence line and when results were last computed."""

from indicators.selectors import latest_successful_run
from oversight import permissions


def site(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    user = request.user
    return {
        "latest_run": latest_successful_run(),
        # What the navigation offers: the views check the same rights themselves.
        "can_view_audit": permissions.can_view_audit(user),
        "can_view_api_docs": permissions.can_view_api_docs(user),
        "can_manage_own_tokens": permissions.can_manage_own_tokens(user),
    }
