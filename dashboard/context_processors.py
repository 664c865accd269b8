"""Template context every page needs: the licence line, when results were last computed, and whether
anything on the page may be synthetic (the banner in base.html)."""

from django.utils.functional import SimpleLazyObject

from indicators.selectors import latest_successful_run
from oversight import permissions


def synthetic_data_held() -> bool:
    """True when the database holds synthetic demo data: one query.

    Every synthetic record arrives with a synthetic ImportBatch: the demo generator always records
    one, and an import marked synthetic is its own batch; the trust records the generator writes
    alongside (episodes, segments, ratings) go with it and are removed with it.
    """
    from indicators.models import ImportBatch

    return ImportBatch.objects.filter(synthetic=True).exists()


def site(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    user = request.user
    # A view that knows its page shows nothing synthetic may put shows_synthetic=False in its own
    # context, which wins over this default; the flag is read (one query) only when shown.
    return {
        "latest_run": latest_successful_run(),
        "shows_synthetic": SimpleLazyObject(synthetic_data_held),
        # What the navigation offers: the views check the same rights themselves.
        "can_view_audit": permissions.can_view_audit(user),
        "can_view_api_docs": permissions.can_view_api_docs(user),
        "can_manage_own_tokens": permissions.can_manage_own_tokens(user),
    }
