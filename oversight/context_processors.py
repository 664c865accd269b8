"""Template context every page needs: the licence line, when results were last computed, and whether
anything on the page may be synthetic (the banner in base.html)."""

from django.utils.functional import SimpleLazyObject

from indicators.selectors import latest_successful_run


def synthetic_data_held() -> bool:
    """True when the database holds any synthetic demo record (observations, episodes, segments, ratings)."""
    from indicators.models import ImportBatch
    from trusts.models import QualityRating, RegimeEpisode, SegmentAssignment

    return (
        ImportBatch.objects.filter(synthetic=True).exists()
        or RegimeEpisode.objects.filter(synthetic=True).exists()
        or SegmentAssignment.objects.filter(synthetic=True).exists()
        or QualityRating.objects.filter(synthetic=True).exists()
    )


def site(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    # A view that knows its page shows nothing synthetic may put shows_synthetic=False in its own
    # context, which wins over this default; the flag is read (one query or four) only when shown.
    return {
        "latest_run": latest_successful_run(),
        "shows_synthetic": SimpleLazyObject(synthetic_data_held),
    }
