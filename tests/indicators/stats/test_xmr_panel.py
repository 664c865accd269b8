"""Methods §5 for many series at once: `xmr_panel` must give exactly what `xmr` gives row by row."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.stats.spc import SpcResult, xmr, xmr_panel

WORKED = [0.2, -0.4, 0.1, 0.5, -0.3, 0.0, -0.6, 0.3, -0.1, 0.4, -0.2, 0.1,
          1.5, 0.3, 1.4, -0.3, -0.5, -0.2, -0.6, -0.1, -0.4, -0.3, 3.2, 0.0]  # fmt: skip
DIRECTIONS = ("increase", "decrease", "neutral")
SCALAR_FIELDS = ("mean", "mean_mr", "upper", "lower", "upper_near", "lower_near", "trial_limits", "n_baseline")
ARRAY_FIELDS = ("moving_range", "rule", "side", "point_type")


def assert_same_chart(ours: SpcResult, reference: SpcResult, where=""):
    """Field by field, exactly: the same floats (bit for bit), codes, types and dtypes."""
    for name in SCALAR_FIELDS + ("variation_icon", "assurance"):
        mine, theirs = getattr(ours, name), getattr(reference, name)
        assert type(mine) is type(theirs), f"{where} {name}: {type(mine)} vs {type(theirs)}"
        both_nan = isinstance(mine, float) and mine != mine and theirs != theirs
        assert both_nan or mine == theirs, f"{where} {name}: {mine!r} vs {theirs!r}"
    for name in ARRAY_FIELDS:
        mine, theirs = getattr(ours, name), getattr(reference, name)
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape, f"{where} {name}"
        assert np.array_equal(mine, theirs, equal_nan=mine.dtype.kind == "f"), f"{where} {name}: {mine} vs {theirs}"


def assert_panel_matches_xmr(matrix, **options):
    panel = xmr_panel(matrix, **options)
    assert len(panel) == len(matrix)
    for row, series in enumerate(np.asarray(matrix, dtype=float)):
        assert_same_chart(panel.result(row), xmr(series, **options), where=f"row {row} {options}")
    return panel


def _messy_matrix(rng, n_series, width):
    """Rounded values (ties, points on the mean), constant rows, short rows, leading and interior NaN."""
    decimals = rng.integers(0, 4, (n_series, 1))
    matrix = np.round(rng.normal(0, 1, (n_series, width)) * 10.0**decimals) / 10.0**decimals
    kinds = rng.integers(0, 8, n_series)
    for row, kind in enumerate(kinds):
        if kind == 1:
            matrix[row] = rng.choice([-1.0, 0.0, 2.5])  # constant: mean MR 0, no screening
        elif kind == 2:
            matrix[row, : rng.integers(1, width - 1)] = np.nan  # a trust with fewer points
        elif kind == 3:
            matrix[row, rng.random(width) < 0.2] = np.nan  # interior gaps
            matrix[row, rng.choice(width, 2, replace=False)] = rng.normal(size=2)  # keep ≥ 2 points
        elif kind == 4:
            matrix[row] = np.cumsum(rng.normal(0.3, 0.2, width))  # trends and shifts
        elif kind == 5:
            matrix[row, rng.integers(0, width)] += 20.0  # a freak point: moving-range screening
        elif kind == 6:
            matrix[row, rng.random(width) < 0.1] = np.inf  # infinities count as missing, as in xmr
            matrix[row, :2] = [0.5, -0.5]
    return matrix


def test_it_reproduces_the_worked_example_of_methods_section_5():
    panel = assert_panel_matches_xmr(np.array([WORKED]), improvement_direction="increase")
    assert panel.mean[0] == pytest.approx(0.1666667, abs=1e-7)
    assert panel.mean_mr[0] == pytest.approx(0.6238095, abs=1e-7)
    assert panel.upper[0] == pytest.approx(1.826, abs=1e-7)
    assert panel.lower[0] == pytest.approx(-1.492667, abs=1e-6)
    flagged = {column + 1: rule for column, rule in enumerate(panel.rule[0]) if rule}
    expected = {13: "two_of_three", 15: "two_of_three", 23: "beyond_limit"}
    assert flagged == expected | dict.fromkeys(range(16, 23), "shift")


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("target", [None, -2.0, 0.5, 2.0])
def test_it_matches_xmr_on_the_worked_example_and_its_variants(direction, target):
    worked = np.array(WORKED)
    matrix = np.full((6, len(WORKED) + 3), np.nan)
    matrix[0, 3:] = worked  # right-aligned, as the nightly run builds it
    matrix[1, :-3] = worked  # left-aligned
    matrix[2, 3:] = worked[::-1]
    matrix[3, 3:] = -worked
    matrix[4, 3:] = worked
    matrix[4, [8, 9, 20]] = np.nan  # interior gaps
    matrix[5, -12:] = worked[:12]  # trial limits
    assert_panel_matches_xmr(matrix, improvement_direction=direction, target=target)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("target", [None, 0.0])
@pytest.mark.parametrize(("screen", "run_length"), [(True, 7), (False, 7), (True, 6)])
def test_it_matches_xmr_on_thousands_of_random_series(direction, target, screen, run_length):
    rng = np.random.default_rng(2026)
    matrix = _messy_matrix(rng, 1500, 36)
    assert_panel_matches_xmr(
        matrix, improvement_direction=direction, target=target, screen_moving_ranges=screen, run_length=run_length
    )


@pytest.mark.parametrize("width", [2, 3, 5, 7, 8, 12, 13, 14, 20, 60, 130])
def test_it_matches_xmr_for_any_length_of_series(width):
    rng = np.random.default_rng(width)
    matrix = rng.normal(size=(200, width)).round(1)
    matrix[::5, : width // 2] = np.nan
    matrix[::5, -2:] = [1.0, 2.0]  # still two points
    for direction in DIRECTIONS:
        assert_panel_matches_xmr(matrix, improvement_direction=direction, target=0.1)


def test_it_matches_xmr_on_runs_and_ties_built_to_sit_on_the_boundaries():
    base = [1.0, -1.0] * 7
    rows = [
        base + [0.5, 0.5, 0.5, 0.0, 0.5, 0.5, 0.5],  # a point on the mean breaks a shift
        base + [0.5, 0.5, 0.5, 0.4, 0.5, 0.5, 0.5],  # a shift
        base + [-0.4, -0.3, -0.2, -0.2, 0.0, 0.1, 0.2],  # a tie breaks a trend
        base + [-0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2],  # a trend
        base + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.5],  # rising then falling: the peak in both
        [0.5, -0.5] * 7 + [0.0, 5.0, 2.2, 0.0, 0.0, 0.0, 0.0],  # beyond-limit counts in two of three
        [0.0] * 21,  # constant: every point on the mean, zero-width limits
    ]
    for direction in DIRECTIONS:
        for run_length in (6, 7):
            for screen in (True, False):
                assert_panel_matches_xmr(
                    np.array(rows),
                    improvement_direction=direction,
                    run_length=run_length,
                    screen_moving_ranges=screen,
                    target=0.0,
                )


@st.composite
def panels(draw):
    width = draw(st.integers(min_value=2, max_value=40))
    n_series = draw(st.integers(min_value=1, max_value=12))
    # A small alphabet of values makes ties, points on the mean and constant runs common.
    alphabet = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.1, 0.5, 1.0, 3.0, 10.0, np.nan])
    values = draw(
        st.lists(
            st.one_of(alphabet, st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
            min_size=n_series * width,
            max_size=n_series * width,
        )
    )
    matrix = np.array(values, dtype=float).reshape(n_series, width)
    leading = draw(st.lists(st.integers(0, width), min_size=n_series, max_size=n_series))
    for row, count in enumerate(leading):
        matrix[row, : min(count, width - 2)] = np.nan
    # Every row needs two observed points (xmr refuses fewer).
    matrix[:, -2:] = np.where(np.isfinite(matrix[:, -2:]), matrix[:, -2:], [[0.0, 1.0]])
    return matrix


@settings(max_examples=200, deadline=None)
@given(
    panels(),
    st.sampled_from(DIRECTIONS),
    st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 0.5, 2.0])),
    st.booleans(),
    st.sampled_from([2, 3, 6, 7]),
)
def test_it_matches_xmr_on_any_panel(matrix, direction, target, screen, run_length):
    assert_panel_matches_xmr(
        matrix, improvement_direction=direction, target=target, screen_moving_ranges=screen, run_length=run_length
    )


def test_it_gives_all_the_charts_as_a_list():
    matrix = np.array([WORKED, [value * 2 for value in WORKED]])
    charts = xmr_panel(matrix).results()
    assert len(charts) == 2
    assert_same_chart(charts[1], xmr(matrix[1]))


def test_it_refuses_what_xmr_refuses():
    with pytest.raises(ValueError):
        xmr_panel(np.array([WORKED]), improvement_direction="up")
    with pytest.raises(ValueError):
        xmr_panel(np.array([WORKED]), run_length=1)
    with pytest.raises(ValueError, match="rows \\[1\\]"):
        xmr_panel(np.array([[1.0, 2.0, 3.0], [np.nan, np.nan, 1.0]]))
    with pytest.raises(ValueError):
        xmr_panel(np.array(WORKED))  # one series is a 1 × n matrix


def test_it_handles_an_empty_panel():
    assert len(xmr_panel(np.empty((0, 36)))) == 0
