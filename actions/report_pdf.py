"""The evaluation report (actions.evaluation.build_report) as an A4 landscape PDF (issue 15).

The same Report the page and the HTML file render, so the same rows and rights: Tables 13, 22 and
29, 23 (one table per regime group), 24 with Figure 6's bottom-quartile counts, the performance
categories and the provenance of every loaded file. Numbers are printed at the page's precision
(estimates, SEs, CIs and tau2 to 4 places, I2 and survival to 3). The Kaplan-Meier curves of time in
regime are drawn from the stored curve points. Synthetic inputs are marked "[synthetic]".
"""

from __future__ import annotations

from .evaluation import GROUP_LABELS, Report
from .pdf import LandscapeDocument, latin1

HEAD_FILL = (232, 237, 238)
CURVE_RGB = [(0, 94, 184), (218, 41, 28), (0, 150, 57), (237, 139, 0), (51, 0, 114), (120, 120, 120)]


def _number(value, places: int) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _heading(pdf: LandscapeDocument, text: str) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)


def _table(pdf: LandscapeDocument, heads: list[str], widths: list[float], rows: list[list], empty: str) -> None:
    """A bordered table whose header row is repeated at the top of each new page."""

    def header():
        pdf.set_font("Helvetica", "B", 8)
        pdf.set_fill_color(*HEAD_FILL)
        for width, head in zip(widths, heads, strict=True):
            pdf.cell(width, 6, latin1(head), border=1, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", size=8)

    header()
    if not rows:
        pdf.cell(sum(widths), 5.5, latin1(empty), border=1, new_x="LMARGIN", new_y="NEXT")
    for row in rows:
        if pdf.get_y() > pdf.h - 20:
            pdf.add_page()
            header()
        for width, value in zip(widths, row, strict=True):
            text = latin1(value)
            while text and pdf.get_string_width(text) > width - 2:
                text = text[:-1]
            pdf.cell(width, 5.5, text, border=1)
        pdf.ln()


def _survival_chart(pdf: LandscapeDocument, regimes: dict) -> None:
    """Each regime's Kaplan-Meier curve (share still in the regime by months since entry), as steps."""
    curves = {code: entry["curve"] for code, entry in regimes.items() if entry.get("curve", {}).get("months")}
    if not curves:
        return
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
    left, top, width, height = pdf.l_margin + 12, pdf.get_y() + 2, 150, 52
    longest = max(max(curve["months"]) for curve in curves.values()) or 1
    pdf.set_draw_color(0, 0, 0)
    pdf.line(left, top, left, top + height)
    pdf.line(left, top + height, left + width, top + height)
    pdf.set_font("Helvetica", size=7)
    for share in (0, 0.5, 1):
        y = top + height - share * height
        pdf.set_xy(left - 11, y - 2)
        pdf.cell(10, 4, f"{share:.1f}", align="R")
    pdf.set_xy(left, top + height + 1)
    pdf.cell(width, 4, latin1(f"months since entry (0 to {longest:g})"), align="C")
    for index, (code, curve) in enumerate(curves.items()):
        colour = CURVE_RGB[index % len(CURVE_RGB)]
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.5)
        previous = None
        for month, survival in zip(curve["months"], curve["survival"], strict=True):
            x, y = left + month / longest * width, top + height - survival * height
            if previous is not None:
                pdf.line(previous[0], previous[1], x, previous[1])
                pdf.line(x, previous[1], x, y)
            previous = (x, y)
        pdf.set_line_width(0.2)
        pdf.set_fill_color(*colour)
        pdf.rect(left + width + 6, top + 4 + index * 6, 4, 3, style="F")
        pdf.set_xy(left + width + 12, top + 3 + index * 6)
        pdf.cell(40, 5, latin1(code))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, top + height + 7)


def report_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    title = f"The national evaluation, reproduced: cut-off {report.cutoff:%d %B %Y}"
    pdf = LandscapeDocument(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    run = f"run {report.run.pk} (finished {report.run.finished:%d %b %Y %H:%M})" if report.run else "no run yet"
    lede = (
        f"Pooled effects, staff survey and categories are the stored results of {run}, method version "
        f"{report.method_version}, data to {report.data_end:%b %Y}. "
        if report.data_end
        else f"Pooled effects, staff survey and categories are the stored results of {run}, method version "
        f"{report.method_version}. "
    )
    lede += "The overview and time in regime are computed at the cut-off from the loaded episodes."
    if not report.confidential_shown:
        lede += " Confidential regimes and the groups they define are not shown."
    if report.synthetic_indicators:
        lede += f" Synthetic indicators: {', '.join(report.synthetic_indicators)}."
    pdf.multi_cell(0, 5, latin1(lede), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "Table 13: overview of trusts in each regime")
    _table(
        pdf,
        ["Regime", "Episodes", "Trusts", "Open at cut-off", "Exited by cut-off", "Synthetic episodes"],
        [110, 30, 30, 35, 35, 33],
        [
            [f"{r['name']} ({r['regime']})", r["episodes"], r["trusts"], r["open"], r["exited"], r["synthetic"]]
            for r in report.overview
        ],
        "No episodes.",
    )

    time_in_regime = report.time_in_regime
    _heading(pdf, "Table 22: time in regime, and Table 29: the primary consequence")
    pdf.cell(
        0,
        5,
        latin1(
            f"Kaplan-Meier, {time_in_regime.get('ci_type', '')} 95% CIs, "
            f"censored at {time_in_regime.get('cutoff', '')}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    rows = []
    for code, r in time_in_regime.get("regimes", {}).items():
        ci = r.get("still_in_at_target_ci")
        still = f"{_number(r.get('still_in_at_target'), 3)} ({_number(ci[0], 3)} to {_number(ci[1], 3)})" if ci else "-"
        primary = r.get("primary_consequence")
        rows.append(
            [
                code,
                r.get("n"),
                r.get("n_exited"),
                _number(r.get("mean_months_exited"), 1),
                r.get("target_months") or "none",
                _number(r.get("exited_by_target_km"), 3),
                still,
                f"{primary['n_success']} of {primary['n_determined']} determined (n {primary['n']})"
                if primary
                else "-",
            ]
        )
    _table(
        pdf,
        ["Regime", "n", "Exited", "Mean months", "Target", "Exited by target", "Still in at target (CI)", "Table 29"],
        [24, 14, 16, 24, 18, 30, 62, 85],
        rows,
        "No episodes.",
    )
    _survival_chart(pdf, time_in_regime.get("regimes", {}))

    _heading(pdf, "Table 23: pooled interrupted-time-series effects (DerSimonian-Laird)")
    groups = list(dict.fromkeys(row.group for row in report.table_23))
    if not groups:
        pdf.cell(0, 5, "No pooled effects stored.", new_x="LMARGIN", new_y="NEXT")
    for group in groups:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 6, latin1(f"{GROUP_LABELS.get(group, group)} ({group})"), new_x="LMARGIN", new_y="NEXT")
        _table(
            pdf,
            ["Indicator", "Quantity", "n", "Estimate", "SE", "95% CI", "tau2", "I2"],
            [70, 45, 12, 24, 22, 46, 22, 20],
            [
                [
                    r.indicator_name + (" [synthetic]" if r.synthetic else ""),
                    r.quantity,
                    r.n,
                    _number(r.estimate, 4) if r.estimate is not None else "not estimable",
                    _number(r.se, 4),
                    f"{_number(r.ci_low, 4)} to {_number(r.ci_high, 4)}" if r.ci_low is not None else "",
                    _number(r.tau2, 4),
                    _number(r.i2, 3),
                ]
                for r in report.table_23
                if r.group == group
            ],
            "No rows.",
        )

    _heading(pdf, "Table 24: staff survey at entry and exit, and Figure 6: bottom quartile at entry")
    rows = []
    for t in report.staff_survey:
        quartile = t.get("bottom_quartile")
        rows.append(
            [
                t.get("name"),
                t.get("n"),
                _number(t.get("mean_entry"), 3),
                _number(t.get("mean_exit"), 3),
                _number(t.get("p_value"), 4),
                f"{quartile['k']} of {quartile['n']}" if quartile else "-",
                f"{_number(quartile['share'], 3)} ({_number(quartile['ci'][0], 3)} to {_number(quartile['ci'][1], 3)})"
                if quartile
                else "",
            ]
        )
    _table(
        pdf,
        ["Theme", "n", "Mean deviation at entry", "At exit", "p (signed rank)", "Bottom quartile", "Share, 95% CI"],
        [70, 14, 38, 24, 30, 30, 56],
        rows,
        "No staff survey results stored.",
    )

    if report.categories:
        _heading(pdf, "Performance categories")
        for category in report.categories:
            pdf.cell(0, 5, latin1(f"{category['label']}: {category['count']}"), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "Provenance")
    for p in report.provenance:
        loaded = f", loaded {p['loaded']:%d %b %Y}" if p.get("loaded") else ""
        line = f"{p['file']} (sha256 {p['sha256']}..., {p['rows']:,} rows{loaded})"
        pdf.multi_cell(0, 4.5, latin1(line + (" [synthetic]" if p["synthetic"] else "")), new_x="LMARGIN", new_y="NEXT")
    if not report.provenance:
        pdf.cell(0, 5, "No import batches recorded (data created directly).", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
