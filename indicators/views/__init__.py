"""Indicator pages, regime analytics and early warning: they read stored results only (uploads: ingest.views).

One module per page; the URL names (indicators/urls.py) and the names other apps import are unchanged.
"""

from .analytics import CATEGORY_LABELS, CONFIDENTIAL_CATEGORIES, regime_analytics, regime_groups_for
from .early_warning import early_warning
from .indicator import indicator_detail, indicator_list

__all__ = [
    "CATEGORY_LABELS",
    "CONFIDENTIAL_CATEGORIES",
    "early_warning",
    "indicator_detail",
    "indicator_list",
    "regime_analytics",
    "regime_groups_for",
]
