"""Indicator pages, regime analytics, early warning and the upload page: they read stored results only.

One module per page; the URL names (indicators/urls.py) and the names other apps import are unchanged.
"""

from .analytics import CATEGORY_LABELS, CONFIDENTIAL_CATEGORIES, regime_analytics, regime_groups_for
from .early_warning import early_warning
from .imports import UploadForm, imports
from .indicator import indicator_detail, indicator_list

__all__ = [
    "CATEGORY_LABELS",
    "CONFIDENTIAL_CATEGORIES",
    "UploadForm",
    "early_warning",
    "imports",
    "indicator_detail",
    "indicator_list",
    "regime_analytics",
    "regime_groups_for",
]
