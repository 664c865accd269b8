"""ORM reads behind the pages: each function reads each table once, whatever the number of trusts or periods.

Pages only read the stored results of the newest run (house style: the nightly job fills the
tables, pages read them). The large JSON columns (`TrajectoryFit.series`, `SpcSummary.points`)
are deferred unless the page draws that one chart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery

from oversight.permissions import visible_to

from .compute import ORDINAL_INDICATOR_CODES
from .constants import Cadence, IndicatorKind, Polarity
from .models import (
    Alert,
    ImportBatch,
    Indicator,
    NationalValue,
    Observation,
    PooledEffect,
    SpcSummary,
    TrajectoryFit,
    ZScore,
)
from .stats.periods import shift_months

BOARD_ALERT_MONTHS = 6  # the board counts alerts fired in the latest six months of data


def data_end() -> date | None:
    """The latest period with national values among monthly and quarterly indicators."""
    return NationalValue.objects.exclude(indicator__cadence=Cadence.ANNUAL).aggregate(last=Max("period"))["last"]


# --- the national board -------------------------------------------------------------------------


@dataclass
class TrustSignals:
    """What the stored results say about one trust's direction of travel."""

    spc_improvement: int = 0
    spc_concern: int = 0
    its_improving: int = 0
    its_worsening: int = 0
    alerts: int = 0
    alert_indicators: set[str] = field(default_factory=set)
    has_results: bool = False  # any stored SPC result: without one the board shows "no data", never red

    @property
    def improving(self) -> int:
        return self.spc_improvement + self.its_improving

    @property
    def concerns(self) -> int:
        return self.spc_concern + self.its_worsening


def its_direction(coefficients: dict) -> str | None:
    """'improving' when the level or slope change at entry is significantly below zero (z: positive = worse).

    'worsening' when one is significantly above zero and none below; None when neither is significant.
    """
    below = above = False
    for quantity in ("level_change", "slope_change_during"):
        coefficient = coefficients.get(quantity)
        if not coefficient:
            continue
        if coefficient["ci_high"] is not None and coefficient["ci_high"] < 0:
            below = True
        if coefficient["ci_low"] is not None and coefficient["ci_low"] > 0:
            above = True
    if below and not above:
        return "improving"
    if above and not below:
        return "worsening"
    return None


# Annual series (staff survey themes) and ordinal scores (financial stability 1–4) have no SPC,
# CUSUM or trend that means what the light assumes, so they cast no vote in it (issue 10).
_NON_VOTING = Q(indicator__code__in=sorted(ORDINAL_INDICATOR_CODES)) | Q(indicator__cadence=Cadence.ANNUAL)
SPC_IMPROVEMENT, SPC_CONCERN = "special_cause_improvement", "special_cause_concern"


def votes(indicator: Indicator) -> bool:
    """Whether an indicator's signals count towards a trust's light: `_NON_VOTING` for one row already read."""
    return indicator.code not in ORDINAL_INDICATOR_CODES and indicator.cadence != Cadence.ANNUAL


def board_signals(user, organisation_ids: list[int]) -> tuple[dict[int, TrustSignals], date | None]:
    """SPC icons, ITS directions of the open spell and recent alerts per trust; four queries in all."""
    signals: dict[int, TrustSignals] = defaultdict(TrustSignals)
    for org, icon, count in (
        SpcSummary.objects.filter(organisation_id__in=organisation_ids)
        .exclude(_NON_VOTING)
        .values_list("organisation_id", "variation_icon")
        .annotate(count=Count("id"))
        .order_by()
    ):
        signals[org].has_results = True
        if icon == SPC_IMPROVEMENT:
            signals[org].spc_improvement += count
        elif icon == SPC_CONCERN:
            signals[org].spc_concern += count
    # Neutral indicators (staffing shares) have no better direction, so they cast no vote.
    for org, coefficients in (
        visible_to(user, TrajectoryFit.objects.filter(organisation_id__in=organisation_ids, spell_exited__isnull=True))
        .exclude(indicator__polarity=Polarity.NEUTRAL)
        .exclude(_NON_VOTING)
        .values_list("organisation_id", "coefficients")
    ):
        direction = its_direction(coefficients)
        if direction == "improving":
            signals[org].its_improving += 1
        elif direction == "worsening":
            signals[org].its_worsening += 1
    end = data_end()
    for org, codes in recent_alerts_by_trust(organisation_ids, end).items():
        signals[org].alerts += len(codes)
        signals[org].alert_indicators.update(codes)
    return signals, end


def recent_alerts_by_trust(organisation_ids: list[int], end: date | None) -> dict[int, list[str]]:
    """{organisation id: indicator code of each alert} in the board's window (the latest six months to `end`).

    The one definition of a trust's recent alerts: the board's light and the transition watch count these.
    """
    out: dict[int, list[str]] = defaultdict(list)
    if end is None:
        return out
    since = shift_months(end, -(BOARD_ALERT_MONTHS - 1))
    alerts = Alert.objects.filter(organisation_id__in=organisation_ids, period__gte=since).exclude(_NON_VOTING)
    for org, code in alerts.values_list("organisation_id", "indicator__code"):
        out[org].append(code)
    return out


# --- the trust page -----------------------------------------------------------------------------


@dataclass
class IndicatorSummary:
    """One line of the trust page's indicator table."""

    indicator: Indicator
    latest_period: date | None = None
    latest_value: float | None = None
    latest_z: float | None = None
    spc_icon: str = ""
    spc_assurance: str = ""
    level_change: dict | None = None
    level_change_regimes: str = ""


def trust_indicator_summaries(user, organisation, signals: TrustSignals | None = None) -> list[IndicatorSummary]:
    """Latest z_adj, SPC icon and the latest spell's level change for every indicator the trust has data for.

    `signals`, when given, is filled with the SPC and ITS counts board_signals would give this trust, from
    the same rows (no extra query), so the trust page's light is the board's.
    """
    latest_period = (
        ZScore.objects.filter(organisation=organisation, indicator=OuterRef("indicator"))
        .order_by("-period")
        .values("period")[:1]
    )
    latest = (
        ZScore.objects.filter(organisation=organisation, period=Subquery(latest_period))
        .select_related("indicator")
        .order_by("indicator__code")
    )
    summaries = {
        row.indicator_id: IndicatorSummary(
            indicator=row.indicator, latest_period=row.period, latest_value=row.value, latest_z=row.z_adjusted
        )
        for row in latest
    }
    spcs = SpcSummary.objects.filter(organisation=organisation).select_related("indicator")
    for spc in spcs.only("indicator_id", "variation_icon", "assurance", "indicator__code", "indicator__cadence"):
        if signals is not None and votes(spc.indicator):  # counted as board_signals counts them
            signals.has_results = True
            signals.spc_improvement += spc.variation_icon == SPC_IMPROVEMENT
            signals.spc_concern += spc.variation_icon == SPC_CONCERN
        if spc.indicator_id in summaries:
            summaries[spc.indicator_id].spc_icon = spc.variation_icon
            summaries[spc.indicator_id].spc_assurance = spc.assurance
    fits = (
        visible_to(user, TrajectoryFit.objects.filter(organisation=organisation))
        .select_related("indicator")
        .only(
            "indicator_id",
            "regimes",
            "coefficients",
            "spell_entered",
            "spell_exited",
            "indicator__polarity",
            "indicator__code",
            "indicator__cadence",
        )
    )
    for fit in fits.order_by("spell_entered"):  # the latest spell wins
        voting = fit.indicator.polarity != Polarity.NEUTRAL and votes(fit.indicator)
        if signals is not None and fit.spell_exited is None and voting:
            direction = its_direction(fit.coefficients)
            signals.its_improving += direction == "improving"
            signals.its_worsening += direction == "worsening"
        if fit.indicator_id in summaries:
            summaries[fit.indicator_id].level_change = fit.coefficients.get("level_change")
            summaries[fit.indicator_id].level_change_regimes = fit.regimes
    return list(summaries.values())


@dataclass
class TrustIndicatorCharts:
    """Everything the trust page draws for one indicator."""

    indicator: Indicator
    zscores: list[tuple[date, float | None, float | None]]  # period, value, z_adj
    national: list[tuple[date, float | None]]
    spc: SpcSummary | None
    fits: list[TrajectoryFit]


def trust_indicator_charts(user, organisation, indicator: Indicator):
    """The z-scores, national values, SPC chart and ITS fits of one trust and indicator: four queries."""
    zscores = list(
        ZScore.objects.filter(organisation=organisation, indicator=indicator)
        .order_by("period")
        .values_list("period", "value", "z_adjusted")
    )
    national = list(
        NationalValue.objects.filter(indicator=indicator).order_by("period").values_list("period", "national")
    )
    spc = SpcSummary.objects.filter(organisation=organisation, indicator=indicator).first()
    fits = list(
        visible_to(user, TrajectoryFit.objects.filter(organisation=organisation, indicator=indicator)).order_by(
            "spell_entered"
        )
    )
    return TrustIndicatorCharts(indicator=indicator, zscores=zscores, national=national, spc=spc, fits=fits)


# --- the indicator pages ------------------------------------------------------------------------


def indicator_catalogue() -> list[dict]:
    """Every indicator with the span of its national values and the latest number of trusts."""
    spans = {
        row["indicator_id"]: row
        for row in NationalValue.objects.values("indicator_id")
        .annotate(first=Min("period"), last=Max("period"), periods=Count("id"))
        .order_by()
    }
    latest_trusts = dict(
        NationalValue.objects.filter(
            period=Subquery(
                NationalValue.objects.filter(indicator=OuterRef("indicator")).order_by("-period").values("period")[:1]
            )
        ).values_list("indicator_id", "n_trusts")
    )
    rows = []
    for indicator in Indicator.objects.order_by("code"):
        span = spans.get(indicator.pk, {})
        rows.append(
            {
                "indicator": indicator,
                "first": span.get("first"),
                "last": span.get("last"),
                "periods": span.get("periods", 0),
                "n_trusts": latest_trusts.get(indicator.pk),
            }
        )
    return rows


def national_values(indicator) -> list[NationalValue]:
    return list(NationalValue.objects.filter(indicator=indicator).order_by("period"))


def funnel_rows(indicator, period: date) -> list[dict]:
    """Each trust's value, denominator (expected deaths for SHMI) and z_adj in one period."""
    rows = list(
        ZScore.objects.filter(indicator=indicator, period=period)
        .order_by("organisation__name")
        .values(
            "organisation_id",
            "organisation__ods_code",
            "organisation__name",
            "numerator",
            "denominator",
            "value",
            "z_adjusted",
        )
    )
    if indicator.kind == IndicatorKind.RATIO:
        # A ratio's z-score rows hold no counts; its funnel runs on the expected count, kept on the observation.
        expected = dict(
            Observation.objects.filter(indicator=indicator, period=period).values_list("organisation_id", "denominator")
        )
        for row in rows:
            row["denominator"] = expected.get(row["organisation_id"])
    return rows


def zscore_spread(indicator) -> list[tuple[date, float]]:
    """Every (period, z_adj) of an indicator, for percentile bands over time."""
    return list(
        ZScore.objects.filter(indicator=indicator, z_adjusted__isnull=False)
        .order_by("period")
        .values_list("period", "z_adjusted")
    )


# --- regime analytics ---------------------------------------------------------------------------


def pooled_effects(user, regime_group: str) -> list[PooledEffect]:
    """One pooled row per indicator and quantity: the fullest the user may see.

    A group can hold two rows of a quantity, pooled over every fit (confidential) and over the
    non-confidential fits only; a user who sees both is shown the first.
    """
    rows = visible_to(user, PooledEffect.objects.filter(regime_group=regime_group)).select_related("indicator")
    chosen: dict[tuple[int, str], PooledEffect] = {}
    for effect in rows.order_by("indicator__code", "quantity", "-confidential"):
        chosen.setdefault((effect.indicator_id, effect.quantity), effect)
    return list(chosen.values())


def trust_fits(user, indicator, regime_groups: set[str]) -> list[TrajectoryFit]:
    """The per-trust ITS fits of an indicator in some regime groups that the user may see, without their series."""
    return list(
        visible_to(user, TrajectoryFit.objects.filter(indicator=indicator, regime_group__in=regime_groups))
        .select_related("organisation")
        .defer("series")
        .order_by("organisation__name", "spell_entered")
    )


def indicators_with_fits() -> list[Indicator]:
    ids = TrajectoryFit.objects.values("indicator_id").distinct()
    return list(Indicator.objects.filter(pk__in=Subquery(ids)).order_by("code"))


# --- early warning ------------------------------------------------------------------------------


def latest_alerts():
    return Alert.objects.select_related("organisation", "indicator").order_by("-period", "organisation__name")


# --- imports ------------------------------------------------------------------------------------


def import_history():
    return ImportBatch.objects.select_related("uploaded_by").order_by("-started")


def trust_recent_alerts(organisation, months: int = BOARD_ALERT_MONTHS, *, end: date | None = None) -> list[Alert]:
    """The trust's alerts in the latest `months` months of data (the ones the board counts), newest first.

    `end` is the data's last period when the caller has read it already (`data_end()`).
    """
    end = end or data_end()
    if end is None:
        return []
    since = shift_months(end, -(months - 1))
    return list(
        Alert.objects.filter(organisation=organisation, period__gte=since)
        .select_related("indicator")
        .order_by("-period", "indicator__code")
    )
