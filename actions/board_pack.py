"""The board pack (issue 15): the national board, then one page per trust in a regime, as an A4 landscape PDF.

Rendered by fpdf2 (pure Python, no system packages) from the stored results: the board's rows
(indicators.board.board_rows, so the same lights and rights as the page), each indicator's SPC
summary drawn as a coloured MDC-style icon with a sparkline of its XmR points, the open outlier
cases and the exit criteria. Colours are filled shapes, so they print. Text is Latin-1 (the core
fonts); other characters are written as their nearest ASCII.
"""

from __future__ import annotations

from datetime import date

from indicators.board import EXIT_LIKELIHOOD_RULE, board_rows
from indicators.charts import spc_icon_text
from indicators.models import SpcSummary, reading_run
from indicators.recompute import as_at_run
from oversight import permissions
from trusts.constants import CriterionDataStatus, CriterionStatus
from trusts.models import ExitCriterion

from . import selectors
from .pdf import LandscapeDocument as _Pack
from .pdf import latin1 as _t

LIGHT_RGB = {"green": (0, 150, 57), "amber": (237, 139, 0), "red": (218, 41, 28)}
ICON_RGB = {"improvement": (0, 94, 184), "concern": (237, 139, 0), "neutral": (51, 0, 114), "common": (150, 150, 150)}
NHS_BLUE = (0, 94, 184)


def _light(pdf: _Pack, light: str, w: float = 16, h: float = 5) -> None:
    pdf.set_fill_color(*LIGHT_RGB.get(light, (200, 200, 200)))
    pdf.set_text_color(255, 255, 255)
    pdf.cell(w, h, _t(light), border=0, align="C", fill=True)
    pdf.set_text_color(0, 0, 0)


def _icon_rgb(icon: str):
    """The MDC colour of a stored variation icon (`special_cause_concern` → concern's orange, …)."""
    kind = (icon or "").removeprefix("special_cause_").split("_")[0]
    return ICON_RGB.get(kind, ICON_RGB["common"])


def _sparkline(pdf: _Pack, x: float, y: float, w: float, h: float, spc: SpcSummary) -> None:
    values = [point.get("value") for point in spc.points or [] if point.get("value") is not None]
    if len(values) < 2:
        return
    bounds = [v for v in (*values, spc.upper, spc.lower) if v is not None]
    low, high = min(bounds), max(bounds)
    span = (high - low) or 1.0

    def ypos(value):
        return y + h - (value - low) / span * h

    pdf.set_draw_color(180, 180, 180)
    for limit in (spc.upper, spc.lower):
        if limit is not None:
            pdf.line(x, ypos(limit), x + w, ypos(limit))
    pdf.set_draw_color(*NHS_BLUE)
    step = w / (len(values) - 1)
    for i in range(1, len(values)):
        pdf.line(x + (i - 1) * step, ypos(values[i - 1]), x + i * step, ypos(values[i]))
    pdf.set_draw_color(0, 0, 0)


def _board_page(pdf: _Pack, rows, cases_by_org: dict[int, int], as_at: date) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _t(f"National board, {as_at:%d %B %Y}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    counts = {light: sum(1 for row in rows if row.light == light) for light in LIGHT_RGB}
    pdf.cell(
        0,
        6,
        _t(f"{len(rows)} open episodes: {counts['green']} green, {counts['amber']} amber, {counts['red']} red."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    widths = [78, 18, 20, 16, 30, 22, 22, 18, 20, 29]
    heads = ["Trust", "Light", "Regime", "Months", "Target", "Improving", "Concerns", "Alerts", "Open cases", "Region"]
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_fill_color(232, 237, 238)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, head, border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for row in rows:
        org = row.organisation
        pdf.cell(widths[0], 5.5, _t(f"{org.name} ({org.ods_code})")[:52], border=1)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.cell(widths[1], 5.5, "", border=1)
        pdf.set_xy(x + 1, y + 0.5)
        _light(pdf, row.light, widths[1] - 2, 4.5)
        pdf.set_xy(x + widths[1], y)
        values = [
            row.episode.regime.code,
            row.months_in,
            row.target_short,
            row.improving,
            row.concerns,
            row.alerts,
            cases_by_org.get(org.pk, 0),
            org.get_region_display(),
        ]
        for width, value in zip(widths[2:], values, strict=True):
            pdf.cell(width, 5.5, _t(value)[:24], border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", size=7)
    for light, text in EXIT_LIKELIHOOD_RULE:
        pdf.multi_cell(0, 4, _t(f"{light}: {text}"), new_x="LMARGIN", new_y="NEXT")


def _trust_page(pdf: _Pack, user, episode_rows, spc_rows, cases, criteria, annotations=()) -> None:
    first = episode_rows[0]
    org = first.organisation
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, _t(f"{org.name} ({org.ods_code})"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for row in episode_rows:
        y = pdf.get_y()
        _light(pdf, row.light, 18, 6)
        pdf.set_xy(pdf.l_margin + 21, y)
        rule = dict(EXIT_LIKELIHOOD_RULE)[row.light]
        pdf.multi_cell(
            0,
            5,
            _t(
                f"{row.episode.regime.name}: {row.months_in} months in (entered {row.episode.entered:%d %b %Y}; "
                f"target {row.target_text}). {row.improving} improving and {row.concerns} concerning signals; "
                f"{row.alerts} open alerts. Why {row.light}: {rule}"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Indicators (SPC icon of the latest point, XmR chart)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)
    column = 0
    top = pdf.get_y()
    for spc in spc_rows[:16]:
        x = pdf.l_margin + column * 137
        y = pdf.get_y() if column == 0 else top
        if column == 0:
            top = y
        pdf.set_fill_color(*_icon_rgb(spc.variation_icon))
        pdf.ellipse(x, y + 0.5, 5, 5, style="F")
        pdf.set_xy(x + 7, y)
        pdf.cell(62, 6, _t(f"{spc.indicator.name}")[:42])
        pdf.cell(38, 6, _t(spc_icon_text(spc.variation_icon))[:30])  # "special cause improvement" fits
        _sparkline(pdf, x + 108, y + 0.5, 26, 5, spc)
        column = 1 - column
        pdf.set_xy(pdf.l_margin, y + 7 if column == 0 else y)
    if column == 1:
        pdf.set_xy(pdf.l_margin, top + 7)
    if not spc_rows:
        pdf.cell(0, 6, "No SPC charts stored for this trust.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _heading(pdf, f"Open outlier cases ({len(cases)})")
    _lines(
        pdf,
        [
            _t(
                f"{case.indicator.name}, {case.period:%b %Y}: {case.get_signal_display()} - "
                f"{case.get_status_display()}, {case.days_open} days open"
            )
            for case in cases[:8]
        ]
        or ["None."],
    )
    if annotations:
        pdf.ln(1)
        _heading(pdf, "Chart annotations")
        _lines(pdf, [_t(str(annotation))[:170] for annotation in annotations[:6]])
    pdf.ln(2)
    if criteria is None:
        _heading(pdf, "Exit criteria: not shown to you.")
        return
    met = [c for c in criteria if c.status == CriterionStatus.MET or c.data_status == CriterionDataStatus.MET]
    _heading(pdf, f"Exit criteria met: {len(met)} of {len(criteria)}")
    _lines(
        pdf,
        [
            _t(
                f"[{'met' if criterion in met else criterion.get_status_display().lower()}] "
                f"{criterion.get_theme_display()}: {criterion.description}"
            )[:170]
            for criterion in criteria[:8]
        ],
    )


def _heading(pdf: _Pack, text: str) -> None:
    """A section heading on a trust page, on a line of its own."""
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, _t(text), new_x="LMARGIN", new_y="NEXT")


def _lines(pdf: _Pack, texts: list[str]) -> None:
    """A section's rows in the small type, one line each (already Latin-1 and cut to length)."""
    pdf.set_font("Helvetica", size=8)
    for text in texts:
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


class NoAsAtResults(ValueError):
    """A pack asked for as at a past date for which no results have been computed."""


def board_pack(user, *, as_at: date | None = None) -> tuple[bytes, int]:
    """The PDF as the user may see it (rows, cases and criteria through oversight.permissions); and its trusts.

    As at a past date (issue 15) it reads that date's as-at run, as the board does, and never today's
    results; without one it refuses (NoAsAtResults) rather than print today's lights under an old date.
    """
    today = date.today()
    if as_at is None or as_at >= today:
        return _pack(user, as_at or today, None)
    run = as_at_run(as_at)
    if run is None:
        raise NoAsAtResults(
            f"no results have been computed as at {as_at.isoformat()}: compute them first with "
            f"`manage.py recompute --as-at {as_at.isoformat()}` (or from the board as at that date)"
        )
    with reading_run(run.pk):
        return _pack(user, as_at, run)


def _pack(user, as_at: date, run) -> tuple[bytes, int]:
    rows = board_rows(user, sort="light") if run is None else board_rows(user, as_at=as_at, sort="light")
    by_org: dict[int, list] = {}
    for row in rows:
        by_org.setdefault(row.organisation.pk, []).append(row)
    organisation_ids = list(by_org)
    cases: dict[int, list] = {}
    for case in selectors.open_cases(user, organisation_ids).order_by("opened_at"):
        cases.setdefault(case.organisation_id, []).append(case)
    spc: dict[int, list] = {}
    for summary in SpcSummary.objects.filter(organisation_id__in=organisation_ids).select_related("indicator"):
        spc.setdefault(summary.organisation_id, []).append(summary)
    episode_ids = [row.episode.pk for row in rows]
    criteria: dict[int, list] = {}
    for criterion in permissions.visible_to(user, ExitCriterion.objects.filter(episode_id__in=episode_ids)):
        criteria.setdefault(criterion.episode.organisation_id, []).append(criterion)
    from .models import ChartAnnotation

    notes: dict[int, list] = {}
    for annotation in permissions.visible_to(
        user, ChartAnnotation.objects.filter(organisation_id__in=organisation_ids)
    ):
        notes.setdefault(annotation.organisation_id, []).append(annotation)
    title = f"Oversight board pack, {as_at:%d %B %Y}"
    if run is not None:
        title += f" (results on data to {run.data_as_of:%B %Y})" if run.data_as_of else " (as-at results)"
    pdf = _Pack(title)
    _board_page(pdf, rows, {org: len(items) for org, items in cases.items()}, as_at)
    for org_id, org_rows in by_org.items():
        details = permissions.can_see_episode_details(user, org_id)
        _trust_page(
            pdf,
            user,
            org_rows,
            sorted(spc.get(org_id, []), key=lambda s: s.indicator.code),
            cases.get(org_id, []),
            criteria.get(org_id, []) if details else None,
            notes.get(org_id, []),
        )
    return bytes(pdf.output()), len(by_org)
