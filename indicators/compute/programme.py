"""Whole-programme results: escalations, time in regime (methods §7), performance categories, the staff survey."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..stats.categories import performance_categories
from ..stats.spells import Spell, follows_on
from ..stats.staff_survey import binomial_test_vs, signed_rank
from ..stats.survival import aalen_johansen, exit_within_target, kaplan_meier
from .meta import (
    ESCALATION_GUESS_DAYS,
    FINANCE,
    GROUP_OF_FAMILY,
    IMPROVEMENT,
    QUALITY,
    RECOVERY,
    ROUTE_ESCALATED,
    ROUTE_RE_ENTRY,
    WATCH_LIST,
    EpisodeRecord,
    finite_or_none,
)
from .spells import spell_group


def _months(start: date, end: date) -> float:
    return (end - start).days / (365.25 / 12)


@dataclass(frozen=True)
class Escalation:
    """A watch-list (CP) episode followed by quality special measures, as recorded or inferred from dates."""

    organisation_id: int
    cp_entered: date
    smq_entered: date
    inferred: bool


def find_escalations(episodes: list[EpisodeRecord]) -> list[Escalation]:
    """Escalations from the watch list to quality special measures: the recorded route decides.

    A quality episode recorded `escalated_from_cp` escalates the organisation's latest watch-list
    episode entered before it, however long ago that ended. Only a quality episode whose route
    is not recorded falls back to the dates (entry within 31 days of a watch-list exit), and that
    escalation is marked inferred. Any other recorded route (direct, transferred, re-entry) is
    not an escalation. Each watch-list episode escalates at most once.
    """
    by_org: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append(episode)
    found: list[Escalation] = []
    for org, items in by_org.items():
        watch = sorted((e for e in items if e.regime_family == WATCH_LIST), key=lambda e: e.entered)
        quality = sorted((e for e in items if e.regime_family == QUALITY), key=lambda e: e.entered)
        used: set[date] = set()
        for q in quality:
            if q.route == ROUTE_ESCALATED:
                before = [cp for cp in watch if cp.entered <= q.entered and cp.entered not in used]
                if before:
                    used.add(before[-1].entered)
                    found.append(Escalation(org, before[-1].entered, q.entered, inferred=False))
            elif not q.route_recorded:
                near = [
                    cp
                    for cp in watch
                    if cp.exited is not None
                    and cp.entered not in used
                    and abs((q.entered - cp.exited).days) <= ESCALATION_GUESS_DAYS
                ]
                if near:
                    used.add(near[-1].entered)
                    found.append(Escalation(org, near[-1].entered, q.entered, inferred=True))
    return found


@dataclass
class _Stay:
    """Consecutive episodes of one family joined (SMQ then QSM is one stay), unless a re-entry is recorded."""

    organisation_id: int
    entered: date
    exited: date | None
    codes: list[str]
    entries: list[date]
    route: str


def _stays(episodes: list[EpisodeRecord], family: str) -> list[_Stay]:
    by_org: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for episode in episodes:
        if episode.regime_family == family:
            by_org[episode.organisation_id].append(episode)
    stays: list[_Stay] = []
    for org, items in by_org.items():
        current: _Stay | None = None
        for e in sorted(items, key=lambda x: (x.entered, x.exited or date.max)):
            joins = (
                current is not None
                and e.route != ROUTE_RE_ENTRY
                and (current.exited is None or follows_on(current.exited, e.entered))
            )
            if joins:
                current.exited = None if (current.exited is None or e.exited is None) else max(current.exited, e.exited)
                current.codes.append(e.regime)
                current.entries.append(e.entered)
                continue
            current = _Stay(org, e.entered, e.exited, [e.regime], [e.entered], e.route)
            stays.append(current)
    return stays


def compute_time_in_regime(episodes: list[EpisodeRecord], targets: dict[str, int | None], cutoff: date) -> dict:
    """Kaplan–Meier time to exit per regime family, CP's competing escalation, re-entry and Table 29 (methods §7).

    The unit is a stay in one family (consecutive episodes joined, so SMQ then QSM is one stay);
    a stay's exit target is its regimes' (`targets`, by code). Groups are keyed SMQ (quality
    special measures), CP (watch list), NOF4 (recovery support), SMF (finance), IMP (improvement).
    """
    result = {"cutoff": cutoff.isoformat(), "ci_type": "log-log", "regimes": {}}
    # An episode whose exit is not recorded counts as an entry but has no time in the regime.
    known_exit = [e for e in episodes if not e.exit_unknown]
    escalations = find_escalations(known_exit)
    escalated_cp = {(e.organisation_id, e.cp_entered): e for e in escalations}
    for family in (QUALITY, WATCH_LIST, RECOVERY, FINANCE, IMPROVEMENT):
        group = GROUP_OF_FAMILY[family]
        entries = [e for e in episodes if e.regime_family == family and e.entered <= cutoff]
        n_exit_unknown = sum(1 for e in entries if e.exit_unknown)
        if n_exit_unknown:
            result.setdefault("exit_unknown", {})[group] = n_exit_unknown
        all_stays = _stays(known_exit, family)
        chosen = [stay for stay in all_stays if stay.entered <= cutoff]
        if not chosen:
            continue
        durations = np.array([_months(e.entered, min(e.exited or cutoff, cutoff)) for e in chosen])
        exited = np.array([e.exited is not None and e.exited <= cutoff for e in chosen])
        km = kaplan_meier(durations, exited)
        codes = sorted({code for stay in chosen for code in stay.codes})
        known = [targets[code] for code in codes if targets.get(code)]
        target = min(known) if known else None
        grid = np.arange(0, int(np.ceil(durations.max())) + 1)
        curve = {
            "months": grid.tolist(),
            "survival": [float(v) for v in np.atleast_1d(km.survival_at(grid))],
            "ci_low": [],
            "ci_high": [],
        }
        for month in grid:
            low, high = km.ci_at(month, "log-log")
            curve["ci_low"].append(finite_or_none(low))
            curve["ci_high"].append(finite_or_none(high))
        entry = {
            "family": family,
            "codes": codes,
            "n": len(chosen),
            "n_entries": len(entries),
            "n_exit_unknown": n_exit_unknown,
            "n_exited": int(exited.sum()),
            "mean_months_exited": float(durations[exited].mean()) if exited.any() else None,
            "min_months_exited": float(durations[exited].min()) if exited.any() else None,
            "max_months_exited": float(durations[exited].max()) if exited.any() else None,
            "target_months": target,
            "curve": curve,
        }
        if target:
            entry["still_in_at_target"] = float(km.survival_at(target))
            entry["exited_by_target_km"] = 1.0 - float(km.survival_at(target))
            low, high = km.ci_at(target, "log-log")
            entry["still_in_at_target_ci"] = [finite_or_none(low), finite_or_none(high)]
            # Re-entry: months from this stay's exit to the same organisation's next stay in the family.
            to_reentry, reentered = [], []
            for e in chosen:
                if e.exited is None:
                    to_reentry.append(np.inf)
                    reentered.append(False)
                    continue
                later = [
                    x.entered for x in all_stays if x.organisation_id == e.organisation_id and x.entered > e.exited
                ]
                if later:
                    to_reentry.append(_months(e.exited, min(later)))
                    reentered.append(True)
                else:
                    to_reentry.append(_months(e.exited, cutoff))
                    reentered.append(False)
            outcome = exit_within_target(
                durations, exited, np.array(to_reentry), np.array(reentered), target_months=target
            )
            entry["primary_consequence"] = {
                "n": outcome.n,
                "n_determined": outcome.n_determined,
                "n_success": outcome.n_success,
                "share": finite_or_none(outcome.share),
                "share_of_all": finite_or_none(outcome.share_of_all),
            }
            entry["n_reentered"] = int(np.sum(reentered))
        entry["n_reentry_recorded"] = sum(1 for stay in chosen if stay.route == ROUTE_RE_ENTRY)
        if family == WATCH_LIST:
            # Escalation to quality special measures competes with exit (Aalen–Johansen), as recorded.
            causes, inferred = [], 0
            for e, did_exit in zip(chosen, exited, strict=True):
                escalation = next(
                    (
                        escalated_cp[(e.organisation_id, day)]
                        for day in e.entries
                        if (e.organisation_id, day) in escalated_cp
                    ),
                    None,
                )
                if not did_exit:
                    causes.append(0)
                    continue
                causes.append(2 if escalation else 1)
                inferred += bool(escalation and escalation.inferred)
            causes = np.array(causes)
            exit_cif = aalen_johansen(durations, causes, 1)
            escalation_cif = aalen_johansen(durations, causes, 2)
            entry["n_escalated"] = int((causes == 2).sum())
            entry["n_escalated_inferred"] = inferred
            entry["competing"] = {
                "months": grid.tolist(),
                "exit": [float(v) for v in np.atleast_1d(exit_cif.at(grid))],
                "escalation": [float(v) for v in np.atleast_1d(escalation_cif.at(grid))],
            }
            if target:
                entry["exit_by_target_aj"] = float(exit_cif.at(target))
                entry["escalated_by_target_aj"] = float(escalation_cif.at(target))
        result["regimes"][group] = entry
    return result


def compute_categories(episodes: list[EpisodeRecord], ratings: dict[int, list[tuple[date, str]]], as_of: date) -> dict:
    """Performance categories of report Table 3 for every organisation ever in quality special measures or CP.

    Episodes are read by family (QSM is quality special measures like SMQ); "poor performer" is an
    escalation from CP as `find_escalations` finds it (recorded routes, dates only where none is
    recorded: those organisations are listed under `inferred`).
    """
    as_code = {QUALITY: "SMQ", WATCH_LIST: "CP"}
    by_org: dict[int, list[tuple]] = defaultdict(list)
    for e in episodes:
        # The categories need each stay's length and exit: an episode without a recorded exit is left out.
        if e.regime_family in as_code and not e.exit_unknown:
            by_org[e.organisation_id].append((as_code[e.regime_family], e.entered, e.exited, e.route))
    escalations: dict[int, list[Escalation]] = defaultdict(list)
    for escalation in find_escalations(episodes):
        escalations[escalation.organisation_id].append(escalation)
    per_org = {}
    inferred = {}
    counts: dict[str, int] = defaultdict(int)
    for org, items in by_org.items():
        found = escalations.get(org, [])
        categories = sorted(performance_categories(items, ratings.get(org), as_of=as_of, escalated=bool(found)))
        per_org[str(org)] = categories
        if found and all(escalation.inferred for escalation in found):
            inferred[str(org)] = ["poor_performer"]
        for category in categories:
            counts[category] += 1
    return {
        "n_organisations": len(per_org),
        "counts": dict(counts),
        "organisations": per_org,
        "inferred": inferred,
        "n_inferred": len(inferred),
    }


def compute_staff_survey(
    survey: dict[str, pd.DataFrame],
    spells: dict[int, list[Spell]],
    theme_names: dict[str, str],
    groups: dict[tuple[int, int], str] | None = None,
) -> dict:
    """Table 24: deviation from the benchmarking-group mean at entry against exit; Figure 6: bottom quartile.

    `groups` maps (organisation_id, survey year) to the organisation's benchmarking group; each
    score deviates from the mean of its year and group. Organisations without a stored group
    (synthetic years) form one group per year, so there the comparator is the national mean.
    """
    themes = []
    groups = groups or {}
    for code, frame in survey.items():
        if frame.empty:
            continue
        frame = frame.assign(year=pd.DatetimeIndex(frame["period"]).year)
        frame = frame.assign(
            group=[groups.get((int(org), int(year)), "") for org, year in zip(frame["organisation_id"], frame["year"])]
        )
        mean = frame.groupby(["year", "group"])["value"].transform("mean")
        frame = frame.assign(deviation=frame["value"] - mean)
        q25 = frame.groupby("year")["value"].transform(lambda s: s.quantile(0.25))
        frame = frame.assign(bottom=frame["value"] <= q25)
        lookup = {(row.organisation_id, row.year): row for row in frame.itertuples()}
        entry_dev, exit_dev, bottom = [], [], []
        for org, all_spells in spells.items():
            # The evaluation's programme only: finance and improvement-programme spells run alongside it.
            org_spells = [spell for spell in all_spells if spell_group(spell) in ("SMQ", "CP", "NOF4")]
            if not org_spells:
                continue
            first = org_spells[0]
            at_entry = lookup.get((org, first.entered.year))
            if at_entry is not None:
                bottom.append(bool(at_entry.bottom))
            for spell in org_spells:
                if spell.exited is None or spell_group(spell) == "NOF4":
                    continue
                start = lookup.get((org, spell.entered.year))
                end = lookup.get((org, spell.exited.year))
                if start is not None and end is not None and spell.exited.year > spell.entered.year:
                    entry_dev.append(start.deviation)
                    exit_dev.append(end.deviation)
                    break
        row = {
            "code": code,
            "name": theme_names.get(code, code),
            "n": len(entry_dev),
            "comparator": "benchmarking group" if (frame["group"] != "").any() else "national",
        }
        if len(entry_dev) >= 2:
            test = signed_rank(np.array(entry_dev), np.array(exit_dev))
            row.update(
                mean_entry=float(np.mean(entry_dev)),
                mean_exit=float(np.mean(exit_dev)),
                statistic=finite_or_none(test.statistic),
                p_value=finite_or_none(test.p_value),
                method=test.method,
            )
        if bottom:
            quartile = binomial_test_vs(sum(bottom), len(bottom), 0.25)
            row["bottom_quartile"] = {
                "k": int(sum(bottom)),
                "n": len(bottom),
                "share": sum(bottom) / len(bottom),
                "p_value": finite_or_none(quartile.p_value),
                "ci": [finite_or_none(quartile.ci_low), finite_or_none(quartile.ci_high)],
            }
        themes.append(row)
    return {"themes": themes}
