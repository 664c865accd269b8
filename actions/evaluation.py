"""The national evaluation's tables rebuilt in one document (issue 15), as each user may see them.

- Table 13 (overview of trusts): episodes per regime entered by the cut-off, open and exited at it,
  from the episode records.
- Table 22 (time in regime) and Table 29 (the primary consequence: exit within the target without
  re-entry): recomputed at the cut-off from the loaded episodes by the same function the recompute
  uses (indicators.compute.compute_time_in_regime).
- Table 23 (pooled ITS effects), Table 24 (staff survey at entry and exit) and Figure 6 (bottom-quartile
  counts at entry): the stored results of the last successful run, read through the same selectors as
  the regime analytics page, so the numbers are those of the page and of `export_effects`. Refitting
  them at another cut-off would be a recompute; the report names the run and its data's end instead.

Each table says its n, CIs, the method version, the data's provenance and whether any input is synthetic.
Rights: the rows go through oversight.permissions exactly as the analytics page's do (no confidential
regime's rows, groups or curves without confidential access).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max

from indicators import compute
from indicators.constants import EffectQuantity, RegimeGroup
from indicators.models import ImportBatch, Indicator, NationalValue, Observation
from indicators.page_selectors import pooled_effects
from indicators.recompute import episode_records, stored_document
from indicators.selectors import latest_successful_run
from indicators.views import CATEGORY_LABELS, CONFIDENTIAL_CATEGORIES, regime_groups_for
from oversight import permissions
from trusts.models import Regime, RegimeEpisode
from trusts.selectors import confidential_regime_codes

QUANTITY_LABELS = dict(EffectQuantity.choices)
GROUP_LABELS = dict(RegimeGroup.choices)


@dataclass
class EffectRow:
    group: str
    indicator: str
    indicator_name: str
    quantity: str
    n: int
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    tau2: float | None
    i2: float | None
    synthetic: bool


@dataclass
class Report:
    cutoff: date
    run: object
    method_version: str
    data_end: date | None
    provenance: list[dict]
    synthetic_indicators: list[str]
    overview: list[dict]
    time_in_regime: dict
    table_23: list[EffectRow]
    staff_survey: list[dict]
    categories: list[dict] = field(default_factory=list)
    confidential_shown: bool = False


def table_23(user) -> list[EffectRow]:
    """Every pooled row the user may see, per group they may see, as the analytics page chooses them."""
    rows = []
    for group in regime_groups_for(user):
        for effect in pooled_effects(user, group):
            rows.append(
                EffectRow(
                    group=group,
                    indicator=effect.indicator.code,
                    indicator_name=effect.indicator.name,
                    quantity=effect.quantity,
                    n=effect.n,
                    estimate=effect.estimate,
                    se=effect.se,
                    ci_low=effect.ci_low,
                    ci_high=effect.ci_high,
                    tau2=effect.tau2,
                    i2=effect.i2,
                    synthetic=effect.indicator.synthetic,
                )
            )
    return rows


def _overview(user, cutoff: date) -> list[dict]:
    regimes = permissions.visible_to(user, Regime.objects.order_by("valid_from"))
    episodes = permissions.visible_to(user, RegimeEpisode.objects.filter(entered__lte=cutoff))
    rows = []
    for regime in regimes:
        chosen = [e for e in episodes if e.regime_id == regime.pk]
        if not chosen:
            continue
        exited = [e for e in chosen if e.exited is not None and e.exited <= cutoff]
        rows.append(
            {
                "regime": regime.code,
                "name": regime.name,
                "episodes": len(chosen),
                "trusts": len({e.organisation_id for e in chosen}),
                "open": len(chosen) - len(exited),
                "exited": len(exited),
                "synthetic": sum(1 for e in chosen if e.synthetic),
            }
        )
    return rows


def _time_in_regime(user, cutoff: date) -> dict:
    hidden = set() if permissions.can_see_confidential(user) else set(confidential_regime_codes())
    episodes = [episode for episode in episode_records() if episode.regime not in hidden]
    targets = dict(Regime.objects.values_list("code", "exit_target_months"))
    document = compute.compute_time_in_regime(episodes, targets, cutoff)
    document["regimes"] = {code: entry for code, entry in document["regimes"].items() if code not in hidden}
    return document


def _staff_survey(user) -> list[dict]:
    key = "staff_survey" if permissions.can_see_confidential(user) else "staff_survey_public"
    return (stored_document(key) or {}).get("themes", [])


def _categories(user) -> list[dict]:
    confidential_ok = permissions.can_see_confidential(user)
    document = stored_document("performance_categories" if confidential_ok else "performance_categories_public")
    if not document:
        return []
    organisations = document.get("organisations", {})
    return [
        {"label": label, "count": sum(1 for cats in organisations.values() if key in cats)}
        for key, label in CATEGORY_LABELS.items()
        if confidential_ok or key not in CONFIDENTIAL_CATEGORIES
    ]


def build_report(user, cutoff: date | None = None) -> Report:
    cutoff = cutoff or date.today()
    run = latest_successful_run()
    batches = ImportBatch.objects.filter(status="succeeded", observations__isnull=False).distinct().order_by("started")
    provenance = [
        {
            "file": b.file_name,
            "sha256": b.sha256[:12],
            "loaded": b.finished,
            "rows": b.rows_created + b.rows_updated,
            "synthetic": b.synthetic,
        }
        for b in batches
    ]
    data_end = NationalValue.objects.aggregate(end=Max("period"))["end"]
    synthetic = list(
        Indicator.objects.filter(synthetic=True, pk__in=Observation.objects.values("indicator_id")).values_list(
            "code", flat=True
        )
    )
    return Report(
        cutoff=cutoff,
        run=run,
        method_version=run.method_version if run else compute.METHOD_VERSION,
        data_end=data_end,
        provenance=provenance,
        synthetic_indicators=synthetic,
        overview=_overview(user, cutoff),
        time_in_regime=_time_in_regime(user, cutoff),
        table_23=table_23(user),
        staff_survey=_staff_survey(user),
        categories=_categories(user),
        confidential_shown=permissions.can_see_confidential(user),
    )


def report_context(report: Report) -> dict:
    regimes = []
    for code, entry in report.time_in_regime.get("regimes", {}).items():
        regimes.append({"code": code, **{k: v for k, v in entry.items() if k != "curve"}})
    groups = []
    for group in dict.fromkeys(row.group for row in report.table_23):
        groups.append(
            {
                "code": group,
                "label": GROUP_LABELS.get(group, group),
                "rows": [r for r in report.table_23 if r.group == group],
            }
        )
    return {"report": report, "regimes": regimes, "groups": groups, "quantity_labels": QUANTITY_LABELS}
