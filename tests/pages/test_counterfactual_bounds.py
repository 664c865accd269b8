"""The ITS counterfactual is drawn only over the spell the fit covers, one line style per spell (issue 10)."""

from datetime import date

from indicators import charts
from indicators.stats.periods import shift_months


def _series(first: date, n: int):
    out = []
    for step in range(n):
        period = shift_months(first, step).isoformat()
        out.append({"period": period, "z_adj": 0.0, "fitted": 0.1 * step, "counterfactual": 0.05 * step})
    return out


def test_the_counterfactual_stops_at_exit_and_each_spell_has_its_own_style():
    # CP → SMQ spell Jan 2016 – Dec 2017, fitted to Dec 2020 (three years after exit).
    first = _series(date(2014, 7, 1), 78)
    second = _series(date(2021, 1, 1), 30)
    figure = charts.zscore_figure(
        [(date(2014, 7, 1), 0.0)],
        [],
        [
            {
                "label": "CP>SMQ from Jan 2016",
                "entered": date(2016, 1, 1),
                "exited": date(2017, 12, 31),
                "series": first,
            },
            {"label": "NOF4 from Jul 2022", "entered": date(2022, 7, 1), "exited": None, "series": second},
        ],
        cadence="monthly",
    )
    traces = {trace["name"]: trace for trace in figure["data"]}
    counterfactual = traces["Counterfactual: pre-entry trend (CP>SMQ from Jan 2016)"]
    assert counterfactual["x"][0] == "2015-12-01"  # the last pre-entry month, to join the lines
    assert counterfactual["x"][-1] == "2017-12-01"  # the last month in the regime, never past exit
    open_spell = traces["Counterfactual: pre-entry trend (NOF4 from Jul 2022)"]
    assert open_spell["x"][-1] == second[-1]["period"]  # an open spell: to the end of the fitted window
    styles = {
        traces["ITS fit (CP>SMQ from Jan 2016)"]["line"]["dash"],
        traces["ITS fit (NOF4 from Jul 2022)"]["line"]["dash"],
    }
    assert len(styles) == 2
