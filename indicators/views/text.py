"""Number formatting shared by the indicator, analytics and early-warning pages."""

from __future__ import annotations

from ..constants import IndicatorKind


def fmt(value, digits=2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace("-", "−")


def value_text(value, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:.2%}" if kind == IndicatorKind.PROPORTION else f"{value:.3f}"


def p_text(p) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
