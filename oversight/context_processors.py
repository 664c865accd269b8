"""Template context every page needs: the licence line and when results were last computed."""

from indicators.selectors import latest_successful_run


def site(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"latest_run": latest_successful_run()}
