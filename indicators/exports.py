"""CSV exports of stored results, shared by the management commands and the pages (cells via oversight.exports)."""

from typing import TextIO

from oversight import exports

from .models import Indicator, PooledEffect, SpcSummary, TrajectoryFit, ZScore

ZSCORE_COLUMNS = ["org_code", "period", "numerator", "denominator", "national_value", "z", "z_adj", "tau2"]
EFFECT_COLUMNS = ["quantity", "n", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "fixed_estimate", "cadence"]
SPC_COLUMNS = ["org_code", "period", "value", "mean", "lpl", "upl", "point_type", "variation", "assurance"]
TRAJECTORY_QUANTITIES = ["pre_slope", "level_change", "slope_change_during", "slope_change_after"]


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def indicator_by_code(code: str) -> Indicator:
    """The indicator, or a ValueError listing the known codes."""
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        known = ", ".join(Indicator.objects.values_list("code", flat=True))
        raise ValueError(f"unknown indicator {code!r}; known: {known}") from None


def export_zscores(indicator: Indicator, out: TextIO) -> int:
    """Write org_code,period,numerator,denominator,national_value,z,z_adj,tau2 rows; returns the count."""
    national = {row["period"]: row for row in indicator.national_values.values("period", "national", "tau2")}
    writer = exports.writer(out, lineterminator="\n")
    writer.writerow(ZSCORE_COLUMNS)
    rows = (
        ZScore.objects.filter(indicator=indicator)
        .order_by("period", "organisation__ods_code")
        .values_list("organisation__ods_code", "period", "numerator", "denominator", "z", "z_adjusted")
        .iterator(chunk_size=5000)
    )
    count = 0
    for code, period, numerator, denominator, z, z_adj in rows:
        values = national.get(period, {})
        writer.writerow(
            [
                code,
                period.strftime("%Y-%m"),
                _fmt(numerator),
                _fmt(denominator),
                _fmt(values.get("national")),
                _fmt(z),
                _fmt(z_adj),
                _fmt(values.get("tau2")),
            ]
        )
        count += 1
    return count


def export_effects(indicator: Indicator, out: TextIO, regime_group: str = "SMQ+CP") -> int:
    """Write the Table-23 rows (one per quantity) for a regime group; returns the count."""
    writer = exports.writer(out, lineterminator="\n")
    writer.writerow(EFFECT_COLUMNS)
    count = 0
    # One row per quantity: the one pooled over every fit (a group may also hold one over the
    # non-confidential fits only, for callers without confidential access; see oversight.permissions).
    rows = PooledEffect.objects.filter(indicator=indicator, regime_group=regime_group).order_by("pk")
    chosen = {}
    for effect in sorted(rows, key=lambda effect: (not effect.confidential, effect.pk)):
        chosen.setdefault(effect.quantity, effect)
    for effect in sorted(chosen.values(), key=lambda effect: effect.pk):
        writer.writerow([effect.quantity] + [_fmt(getattr(effect, column)) for column in EFFECT_COLUMNS[1:]])
        count += 1
    return count


def export_trajectories(indicator: Indicator, out: TextIO) -> int:
    """Write one row per trust fit: spell, method, N, ρ, DW, window, cadence and each coefficient with SE and CI."""
    writer = exports.writer(out, lineterminator="\n")
    header = [
        "org_code",
        "regime_group",
        "regimes",
        "spell_entered",
        "spell_exited",
        "method",
        "n",
        "n_change_points",
        "rho",
        "durbin_watson",
        "window_start",
        "window_end",
        "cadence",
    ]
    for quantity in TRAJECTORY_QUANTITIES:
        header += [f"{quantity}", f"{quantity}_se", f"{quantity}_ci_low", f"{quantity}_ci_high"]
    writer.writerow(header)
    count = 0
    fits = (
        TrajectoryFit.objects.filter(indicator=indicator)
        .select_related("organisation")
        .order_by("organisation__ods_code", "spell_entered")
    )
    for fit in fits:
        row = [
            fit.organisation.ods_code,
            fit.regime_group,
            fit.regimes,
            fit.spell_entered.isoformat(),
            fit.spell_exited.isoformat() if fit.spell_exited else "",
            fit.method,
            fit.n,
            fit.n_change_points,
            _fmt(fit.rho),
            _fmt(fit.durbin_watson),
            fit.window_start.isoformat() if fit.window_start else "",
            fit.window_end.isoformat() if fit.window_end else "",
            fit.cadence,
        ]
        for quantity in TRAJECTORY_QUANTITIES:
            coefficient = fit.coefficients.get(quantity) or {}
            row += [_fmt(coefficient.get(key)) for key in ("estimate", "se", "ci_low", "ci_high")]
        writer.writerow(row)
        count += 1
    return count


def spc_point_rows(charts, period_from=None, period_to=None):
    """One dict per charted point (SPC_COLUMNS, plus indicator) of SpcSummary rows, in the charts' order.

    `variation` and `assurance` are the chart's icons, the same on each of a trust's rows; the
    periods are ISO dates. `period_from`/`period_to` (dates) keep only points in that range.
    """
    low = period_from.isoformat() if period_from else None
    high = period_to.isoformat() if period_to else None
    for chart in charts:
        for point in chart.points:
            period = point["period"][:10]
            if (low and period < low) or (high and period > high):
                continue
            yield {
                "org_code": chart.organisation.ods_code,
                "indicator": chart.indicator.code,
                "period": period,
                "value": point["value"],
                "mean": chart.mean,
                "lpl": chart.lower,
                "upl": chart.upper,
                "point_type": point["point_type"],
                "variation": chart.variation_icon,
                "assurance": chart.assurance,
                "synthetic": chart.synthetic,
            }


def export_spc(indicator: Indicator, out: TextIO) -> int:
    """Write one row per charted SPC point: org_code,period,value,mean,lpl,upl,point_type,variation,assurance."""
    writer = exports.writer(out, lineterminator="\n")
    writer.writerow(SPC_COLUMNS)
    charts = (
        SpcSummary.objects.filter(indicator=indicator)
        .select_related("organisation", "indicator")
        .order_by("organisation__ods_code")
    )
    count = 0
    for row in spc_point_rows(charts):
        writer.writerow([_fmt(row[column]) for column in SPC_COLUMNS])
        count += 1
    return count
