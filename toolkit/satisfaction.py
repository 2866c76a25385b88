"""Satisfaction over time: scores per period and group, changes, events and control charts.

Pure functions: DataFrames in, one tidy DataFrame out. The ``responses`` table (one
satisfaction score per row: ``submitted_on``, ``metric``, ``score``, ``scale_min``,
``scale_max``, ``segment``, ``wave``, ``weight``…) comes from the store, but any frame
with those columns works.

:func:`satisfaction_trend`
    CSAT, NPS or CES per period (day, ISO week, month, quarter, year, fiscal quarter,
    fiscal year, or the survey's wave) and group: the mean with a t interval, the top-box
    share with a Wilson interval, NPS with its trinomial interval (adjusted-Wald), n and
    the effective n of weighted data; small groups suppressed.
:func:`period_changes`
    Each period against the one before it, with the difference, its interval, a p-value,
    the Holm-adjusted p-value over every comparison in the table, and a plain word.
:func:`highest_and_lowest`
    The highest- and lowest-scoring groups compared, with a Bonferroni interval over every
    pair of groups and the verdict read from it.
:func:`before_after`
    Around each event of the ``events`` table: a window before against a window after,
    and an interrupted time series over the whole trend (level and slope change with
    Newey–West errors).
:func:`control_chart`
    XmR limits for period means and the NPS, or for top-box shares a p-chart with varying
    n (Laney's p′ chart when the shares are over-dispersed), with the four special-cause
    rules, an improvement direction, limits frozen after a baseline and rebased at events.
:func:`sample_size_table`
    Margin of error and the sample needed for a target margin, with the finite-population
    correction.

Conventions (DESIGN.md section 8, passed in from ``engagement.toml`` by the callers):
``top_box`` counts the top this-many answers of each row's own scale; the fiscal year
starts in month ``fiscal_year_start`` and is named after the calendar year it ends in;
weeks are ISO weeks; dates are bucketed in ``timezone`` (a timestamp with a time of day is
converted from UTC; a bare date, stored at midnight, is kept as the date it is). CES is
read by its convention: ``direction`` says whether a higher score means less effort
("higher is easier") or more ("lower is easier"), ``method`` whether the headline is the
mean or the share in the easy box.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit import _stats
from toolkit._validate import check_choice, check_fraction, check_positive_int, require_columns
from toolkit.errors import DataValidationError
from toolkit.schema.metrics import METRICS

__all__ = [
    "METRICS",
    "PERIODS",
    "MEASURES",
    "satisfaction_trend",
    "period_changes",
    "change_between",
    "highest_and_lowest",
    "before_after",
    "control_chart",
    "sample_size_table",
    "assign_periods",
    "ces_convention",
]

PERIODS = ("day", "week", "month", "quarter", "year", "fiscal-quarter", "fiscal-year", "wave")
MEASURES = ("mean", "top_box", "nps")
DEFAULT_CES = {"scale_min": 1, "scale_max": 7, "direction": "higher is easier", "method": "mean"}
CES_DIRECTIONS = ("higher is easier", "lower is easier")
CES_METHODS = ("mean", "top box")

_NPS_SCALE = (0.0, 10.0)


# ----------------------------------------------------------------------------- conventions


def ces_convention(ces: Mapping | None = None) -> dict:
    """The CES convention with defaults filled in and checked.

    Parameters
    ----------
    ces : mapping, optional
        ``scale_min``, ``scale_max``, ``direction`` ("higher is easier" or "lower is
        easier") and ``method`` ("mean" or "top box"); missing keys take the defaults
        1, 7, "higher is easier", "mean".

    Examples
    --------
    >>> ces_convention({"direction": "lower is easier"})["direction"]
    'lower is easier'
    """
    merged = {**DEFAULT_CES, **dict(ces or {})}
    check_choice(merged["direction"], CES_DIRECTIONS, name="ces direction")
    check_choice(merged["method"], CES_METHODS, name="ces method")
    if not float(merged["scale_min"]) < float(merged["scale_max"]):
        raise DataValidationError(
            f"the CES scale must run from a lower to a higher number "
            f"(got {merged['scale_min']!r} to {merged['scale_max']!r})."
        )
    return merged


def _entry(metric: str):
    """The registry's entry for ``metric`` (refused with the metrics there are)."""
    return METRICS[check_choice(metric, METRICS, name="metric")]


def _higher_is_better(metric: str, ces: Mapping) -> bool:
    if metric == "ces":  # the engagement's CES convention says
        return ces["direction"] == "higher is easier"
    return _entry(metric).higher_is_better


def _direction_words(metric: str, ces: Mapping) -> str:
    if metric == "ces":
        return ces["direction"]
    return "higher is better" if _entry(metric).higher_is_better else "lower is better"


def _default_measure(metric: str, ces: Mapping) -> str:
    if metric == "ces" and ces["method"] == "top box":
        return "top_box"
    return _entry(metric).measure


# ----------------------------------------------------------------------------- periods


def local_times(when: pd.Series, timezone: str) -> pd.Series:
    """Timestamps in ``timezone``, without a zone; naive ones are UTC, bare dates stay as they are.

    Parameters
    ----------
    when : Series
        Timestamps or date strings (unreadable ones become ``NaT``).
    timezone : str
        A time zone name such as ``'Europe/London'``.

    Returns
    -------
    Series
        Naive local timestamps, as the periods of the analyses count them.

    Raises
    ------
    DataValidationError
        When ``timezone`` is not a time zone name.

    Examples
    --------
    >>> when = pd.Series([pd.Timestamp("2024-03-01 23:30"), pd.Timestamp("2024-03-01")])
    >>> local_times(when, "Europe/Berlin").tolist()
    [Timestamp('2024-03-02 00:30:00'), Timestamp('2024-03-01 00:00:00')]
    """
    when = pd.to_datetime(when, errors="coerce")
    if getattr(when.dt, "tz", None) is not None:
        return when.dt.tz_convert(timezone).dt.tz_localize(None)
    if timezone in ("UTC", "utc", "Etc/UTC", ""):
        return when
    try:
        local = when.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    except Exception as err:  # zoneinfo raises several kinds for an unknown zone
        raise DataValidationError(
            f"timezone {timezone!r} is not a time zone name; use one such as "
            "'Europe/London' or 'America/Chicago'."
        ) from err
    has_time = when != when.dt.normalize()
    return local.where(has_time, when)


_local_times = local_times


def _period_codes(local: pd.Series, period: str, fiscal_year_start: int) -> np.ndarray:
    """An integer per row that orders and spaces the periods (NaN-safe: −1 for no date)."""
    valid = local.notna().to_numpy()
    days = np.zeros(len(local), dtype=np.int64)
    days[valid] = local.to_numpy()[valid].astype("datetime64[D]").astype(np.int64)
    if period == "day":
        code = days
    elif period == "week":
        # Weeks since Monday 1969-12-29 (1970-01-01 was a Thursday).
        code = (days + 3) // 7
    else:
        months = local.to_numpy()[valid].astype("datetime64[M]").astype(np.int64)
        month_index = np.zeros(len(local), dtype=np.int64)
        month_index[valid] = months  # months since 1970-01
        if period == "month":
            code = month_index
        elif period == "quarter":
            code = month_index // 3
        elif period == "year":
            code = month_index // 12
        else:
            shifted = month_index - (fiscal_year_start - 1)
            code = shifted // 3 if period == "fiscal-quarter" else shifted // 12
    return np.where(valid, code, -(2**62))


def _period_table(codes: Iterable[int], period: str, fiscal_year_start: int) -> pd.DataFrame:
    """Label, first day and last day of each period code."""
    codes = np.asarray(sorted(set(codes)), dtype=np.int64)
    if period == "day":
        start = codes.astype("datetime64[D]")
        end = start
        label = [str(d) for d in start]
    elif period == "week":
        start = (codes * 7 - 3).astype("datetime64[D]")
        end = start + np.timedelta64(6, "D")
        iso = pd.DatetimeIndex(start).isocalendar()
        label = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    else:
        months_per = {"month": 1, "quarter": 3, "year": 12, "fiscal-quarter": 3, "fiscal-year": 12}
        size = months_per[period]
        offset = (fiscal_year_start - 1) if period.startswith("fiscal") else 0
        first_month = codes * size + offset
        start = first_month.astype("datetime64[M]").astype("datetime64[D]")
        end = (first_month + size).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(
            1, "D"
        )
        year = first_month // 12 + 1970
        month = first_month % 12 + 1
        if period == "month":
            label = [f"{y}-{m:02d}" for y, m in zip(year, month, strict=True)]
        elif period == "quarter":
            label = [f"{y}-Q{(m - 1) // 3 + 1}" for y, m in zip(year, month, strict=True)]
        elif period == "year":
            label = [str(y) for y in year]
        else:
            # The fiscal year is named after the calendar year it ends in.
            fy_end = (codes * size // 12 * 12 + offset + 11) // 12 + 1970
            if period == "fiscal-year":
                label = [f"FY{y}" for y in fy_end]
            else:
                quarter = codes % 4 + 1
                label = [f"FY{y} Q{q}" for y, q in zip(fy_end, quarter, strict=True)]
    return pd.DataFrame(
        {
            "code": codes,
            "period": label,
            "period_start": pd.to_datetime(start),
            "period_end": pd.to_datetime(end),
        }
    )


def assign_periods(
    responses: pd.DataFrame,
    *,
    period: str = "quarter",
    date: str = "submitted_on",
    wave: str = "wave",
    fiscal_year_start: int = 1,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """The period of every row: ``period`` (label), ``period_start``, ``period_end``, ``t``.

    Parameters
    ----------
    responses : DataFrame
        Rows with a date column (or a wave column for ``period="wave"``).
    period : str
        One of ``day``, ``week`` (ISO, labelled ``2024-W09``), ``month`` (``2024-03``),
        ``quarter`` (``2024-Q1``), ``year``, ``fiscal-quarter`` (``FY2025 Q1``),
        ``fiscal-year`` (``FY2025``, named after the calendar year it ends in), ``wave``
        (the survey's wave label, ordered by each wave's first date, else by name).
    date, wave : str
        The date and wave columns.
    fiscal_year_start : int
        Month (1–12) the fiscal year starts in.
    timezone : str
        Time zone the dates are bucketed in.

    Returns
    -------
    DataFrame
        Same index as ``responses``: ``period``, ``period_start``, ``period_end`` and ``t``
        (an integer position in time: consecutive periods differ by 1, a gap by more).
        Rows without a date (or wave) get missing values.

    Examples
    --------
    >>> rows = pd.DataFrame({"submitted_on": pd.to_datetime(["2024-03-07", "2024-07-01"])})
    >>> assign_periods(rows, period="fiscal-quarter", fiscal_year_start=7)["period"].tolist()
    ['FY2024 Q3', 'FY2025 Q1']
    """
    t, labels = _row_periods(responses, period, date, fiscal_year_start, timezone, wave=wave)
    table = labels.reindex(t)  # a row without a period (t = −1) gets an empty label
    out = pd.DataFrame(index=responses.index)
    out["period"] = table["period"].astype(object).where(table["period"].notna(), None).to_numpy()
    out["period_start"] = pd.to_datetime(table["period_start"]).to_numpy()
    out["period_end"] = pd.to_datetime(table["period_end"]).to_numpy()
    out["t"] = pd.array(np.where(t >= 0, t, 0), dtype="Int64")
    out.loc[t < 0, "t"] = pd.NA
    return out


def _row_periods(
    rows: pd.DataFrame,
    period: str,
    date: str,
    fiscal_year_start: int,
    timezone: str,
    *,
    wave: str = "wave",
) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's period position ``t`` (−1 when it has none) and a label table by ``t``.

    Works on integer codes and labels only the periods present (a million rows have a
    few dozen periods); positions count from the first period present, gaps included.
    """
    check_choice(period, PERIODS, name="period")
    fiscal_year_start = check_positive_int(fiscal_year_start, name="fiscal_year_start")
    if fiscal_year_start > 12:
        raise DataValidationError(
            f"fiscal_year_start must be a month number from 1 to 12 (got {fiscal_year_start})."
        )
    columns = ["period", "period_start", "period_end"]
    if period == "wave":
        require_columns(rows, [wave], name="responses")
        names = rows[wave].astype("string").str.strip().replace("", pd.NA)
        spans = None
        if date in rows:
            spans = (
                _local_times(rows[date], timezone).groupby(names, dropna=True).agg(["min", "max"])
            )
        ordered = sorted(names.dropna().unique(), key=str)
        if spans is not None and spans["min"].notna().all():
            ordered = sorted(ordered, key=lambda w: (spans.loc[w, "min"], str(w)))
        position = {name: i for i, name in enumerate(ordered)}
        t = names.map(position).fillna(-1).to_numpy(dtype=np.int64)
        labels = pd.DataFrame({"period": ordered}, index=np.arange(len(ordered), dtype=np.int64))
        starts = spans["min"].dt.normalize() if spans is not None else None
        ends = spans["max"].dt.normalize() if spans is not None else None
        labels["period_start"] = [starts[w] if starts is not None else pd.NaT for w in ordered]
        labels["period_end"] = [ends[w] if ends is not None else pd.NaT for w in ordered]
        return t, labels[columns]
    require_columns(rows, [date], name="responses")
    local = _local_times(rows[date], timezone)
    codes = _period_codes(local, period, fiscal_year_start)
    valid = local.notna().to_numpy()
    present = np.unique(codes[valid])
    labels = _period_table(present, period, fiscal_year_start).set_index("code")
    origin = int(present[0]) if present.size else 0
    labels.index = labels.index.astype(np.int64) - origin
    return np.where(valid, codes - origin, -1), labels[columns]


# ----------------------------------------------------------------------------- scores


def _metric_rows(
    responses: pd.DataFrame,
    *,
    metric: str,
    score: str,
    weight: str | None,
    scale: Sequence[float] | None,
    ces: Mapping,
    keep: Iterable[str] = (),
) -> pd.DataFrame:
    """The rows of one metric: ``score``, ``low``, ``high``, ``w`` and the ``keep`` columns.

    Rows without a numeric score are left out with a warning; scores outside their scale,
    an NPS not on 0–10 and negative weights are refused.
    """
    check_choice(metric, METRICS, name="metric")
    require_columns(responses, ["metric", score], name="responses")
    labels = responses["metric"]
    matching = [v for v in labels.unique() if str(v).strip().lower() == metric]
    rows = responses[labels.isin(matching).to_numpy()]
    values = pd.to_numeric(rows[score], errors="coerce")
    missing = values.isna().to_numpy()
    if missing.any():
        count = int(missing.sum())
        warnings.warn(
            f"{count} {metric} row{'s' if count != 1 else ''} without a numeric score "
            "were left out.",
            stacklevel=3,
        )
        rows, values = rows[~missing], values[~missing]
    values = values.to_numpy(dtype=float)
    if scale is not None:
        low = np.full(len(rows), float(scale[0]))
        high = np.full(len(rows), float(scale[1]))
    else:
        fallback = (ces["scale_min"], ces["scale_max"]) if metric == "ces" else _entry(metric).scale
        low = _column_or(rows, "scale_min", fallback[0])
        high = _column_or(rows, "scale_max", fallback[1])
    if metric == "nps" and not (np.all(low == 0) and np.all(high == 10)):
        i = int(np.flatnonzero((low != 0) | (high != 10))[0])
        raise DataValidationError(
            f"NPS is asked on a 0–10 scale; {_row_words(rows, i)} is on "
            f"{low[i]:g}–{high[i]:g}. Import it as csat, or fix its scale_min and scale_max."
        )
    outside = (values < low) | (values > high)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataValidationError(
            f"{int(outside.sum())} {metric} score(s) lie outside their scale, the first "
            f"{values[i]:g} on {low[i]:g}–{high[i]:g} ({_row_words(rows, i)}). "
            "Fix the score or the row's scale_min and scale_max."
        )
    if weight == "weight" and "weight" not in responses:
        weight = None
    if weight is not None:
        require_columns(responses, [weight], name="responses")
        w = pd.to_numeric(rows[weight], errors="coerce").fillna(1.0).to_numpy(dtype=float)
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise DataValidationError(
                f"weights in column {weight!r} must be 0 or more (a blank counts as 1)."
            )
    else:
        w = np.ones(len(rows))
    out = pd.DataFrame({"score": values, "low": low, "high": high, "w": w}, index=rows.index)
    for column in dict.fromkeys(keep):
        if column in rows and column not in out:
            out[column] = rows[column]
    return out


def _column_or(rows: pd.DataFrame, column: str, default: float) -> np.ndarray:
    if column not in rows:
        return np.full(len(rows), float(default))
    return pd.to_numeric(rows[column], errors="coerce").fillna(default).to_numpy(dtype=float)


def _row_words(rows: pd.DataFrame, position: int) -> str:
    if "response_id" in rows and pd.notna(rows["response_id"].iloc[position]):
        return f"response {rows['response_id'].iloc[position]}"
    return f"row {rows.index[position]}"


def _top_flags(rows: pd.DataFrame, metric: str, top_box: int, ces: Mapping) -> np.ndarray:
    """1 where the answer is in the top box (the easy box for lower-is-easier CES)."""
    if not _higher_is_better(metric, ces):
        return (rows["score"] <= rows["low"] + top_box - 1).to_numpy(dtype=float)
    return (rows["score"] >= rows["high"] - top_box + 1).to_numpy(dtype=float)


def _scales(rows: pd.DataFrame) -> pd.Series:
    """Rows per (low, high) scale, most common first (quick when there is one scale)."""
    low, high = rows["low"].to_numpy(), rows["high"].to_numpy()
    if len(rows) and (low == low[0]).all() and (high == high[0]).all():
        return pd.Series([len(rows)], index=pd.MultiIndex.from_tuples([(low[0], high[0])]))
    return pd.DataFrame({"low": low, "high": high}).value_counts()


def _box_words(scales: pd.Series, metric: str, top_box: int, ces: Mapping) -> str:
    """'4–5 on 1–5', one phrase per scale present."""
    words = []
    for low, high in sorted(scales.index):
        if not _higher_is_better(metric, ces):
            a, b = low, low + top_box - 1
        else:
            a, b = high - top_box + 1, high
        span = f"{a:g}" if a == b else f"{a:g}–{b:g}"
        words.append(f"{span} on {low:g}–{high:g}")
    return "; ".join(words)


def _rescaled(rows: pd.DataFrame, metric: str, reference: tuple[float, float]) -> np.ndarray:
    """Scores on one scale: rows on another scale are mapped linearly onto ``reference``."""
    low, high = rows["low"].to_numpy(), rows["high"].to_numpy()
    same = (low == reference[0]) & (high == reference[1])
    if same.all():
        return rows["score"].to_numpy()
    scales = sorted(set(zip(low[~same], high[~same], strict=True)))
    warnings.warn(
        f"{metric} scores come on more than one scale ("
        + ", ".join(f"{a:g}–{b:g}" for a, b in scales)
        + f"); means are on {reference[0]:g}–{reference[1]:g}, the others mapped onto it "
        "linearly. Top-box shares use each row's own scale.",
        stacklevel=4,
    )
    fraction = (rows["score"].to_numpy() - low) / (high - low)
    return reference[0] + fraction * (reference[1] - reference[0])


def _group_sums(keys: pd.DataFrame, values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Sum each value within each combination of ``keys`` (missing keys form their own group).

    Works on integer codes with NumPy's bincount: a million rows take milliseconds.
    """
    if len(keys) == 0:
        return pd.DataFrame(columns=[*keys.columns, *values])
    combined = np.zeros(len(keys), dtype=np.int64)
    uniques = []
    radix = 1
    for column in keys.columns:
        codes, levels = pd.factorize(keys[column], sort=True, use_na_sentinel=False)
        uniques.append(levels)
        combined = combined * len(levels) + codes
        radix *= len(levels)
    if radix <= 4 * len(keys) + 1_000_000:
        counts = np.bincount(combined, minlength=radix)
        present = np.flatnonzero(counts)
        position = np.full(radix, -1, dtype=np.int64)
        position[present] = np.arange(present.size)
        slot = position[combined]
    else:
        present, slot = np.unique(combined, return_inverse=True)
    out = {}
    rest = present
    for column, levels in zip(reversed(keys.columns), reversed(uniques), strict=True):
        out[column] = np.asarray(levels, dtype=object)[rest % len(levels)]
        rest = rest // len(levels)
    frame = pd.DataFrame({c: out[c] for c in keys.columns})
    for name, v in values.items():
        frame[name] = np.bincount(slot, weights=v, minlength=present.size)
    return frame


def _sums(rows: pd.DataFrame, keys: pd.DataFrame, *, metric, top_box, ces, reference):
    w = rows["w"].to_numpy(dtype=float)
    x = _rescaled(rows, metric, reference)
    top = _top_flags(rows, metric, top_box, ces)
    values = {
        "n": np.ones(len(rows)),
        "w": w,
        "w2": w**2,
        "wx": w * x,
        "wx2": w * x**2,
        "wtop": w * top,
    }
    if metric == "nps":
        score = rows["score"].to_numpy()
        values["wpro"] = w * (score >= 9)
        values["wpas"] = w * ((score >= 7) & (score < 9))
        values["wdet"] = w * (score < 7)
    return _group_sums(keys, values)


def _estimates(sums: pd.DataFrame, *, metric, measure, confidence, min_n, scale):
    """Turn per-group sums into the documented estimate columns.

    ``scale`` is the (low, high) of the mean; intervals are kept inside it (and NPS
    intervals inside −100 to 100) by :func:`_keep_in_scale`.
    """
    out = pd.DataFrame(index=sums.index)
    n = sums["n"].to_numpy(dtype=float)
    w, w2 = sums["w"].to_numpy(dtype=float), sums["w2"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(w2 > 0, w**2 / w2, 0.0)
        mean = sums["wx"].to_numpy() / w
        raw_var = sums["wx2"].to_numpy() / w - mean**2
        raw_var = np.where(raw_var < 1e-12 * np.maximum(mean**2, 1), 0.0, raw_var)
        var = np.where(n_eff > 1, raw_var * n_eff / (n_eff - 1), np.nan)
        sd = np.sqrt(var)
        se = sd / np.sqrt(n_eff)
        df = np.where(n_eff > 1, n_eff - 1, np.nan)
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
        share = sums["wtop"].to_numpy() / w
    out["n"] = n.astype(int)
    out["effective_n"] = n_eff
    out["mean"] = mean
    out["mean_ci_low"] = mean - half
    out["mean_ci_high"] = mean + half
    out["sd"] = sd
    low, high = _stats.wilson(share * n_eff, n_eff, confidence)
    out["top_box"] = share
    out["top_box_ci_low"] = low
    out["top_box_ci_high"] = high
    if metric == "nps":
        parts = [sums[c].to_numpy() / w * n_eff for c in ("wpro", "wpas", "wdet")]
        out["promoters"], out["passives"], out["detractors"] = parts
        plain = _stats.nps(*parts, confidence)
        # Adjusted-Wald at every n: Rocks (2016) found it best overall.
        adjusted = _stats.nps(*parts, confidence, adjusted=True)
        out["nps"] = plain[0]
        # The adjusted interval is centred on the adjusted score; with one or two people it
        # can stop short of the plain score, so it is widened to reach it.
        out["nps_ci_low"] = np.fmin(adjusted[2], plain[0])
        out["nps_ci_high"] = np.fmax(adjusted[3], plain[0])
        out["interval"] = "adjusted Wald"
    else:
        for c in ("promoters", "passives", "detractors", "nps", "nps_ci_low", "nps_ci_high"):
            out[c] = np.nan
        out["interval"] = "t" if measure == "mean" else "Wilson"
    if metric == "nps" and measure != "nps":
        out["interval"] = "t" if measure == "mean" else "Wilson"
    _keep_in_scale(out, measure, scale)
    source = {"mean": "mean", "top_box": "top_box", "nps": "nps"}[measure]
    out["estimate"] = out[source]
    out["ci_low"] = out[f"{source}_ci_low"]
    out["ci_high"] = out[f"{source}_ci_high"]
    suppressed = _stats.too_few(n, n_eff, min_n)
    out["suppressed"] = suppressed
    hidden = [
        "effective_n",
        "mean",
        "mean_ci_low",
        "mean_ci_high",
        "sd",
        "top_box",
        "top_box_ci_low",
        "top_box_ci_high",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "nps_ci_low",
        "nps_ci_high",
        "estimate",
        "ci_low",
        "ci_high",
    ]
    out.loc[suppressed, hidden] = np.nan
    return out


def _keep_in_scale(out: pd.DataFrame, measure: str, scale) -> None:
    """Cut the mean interval to ``scale`` in place; name every cut in ``interval``.

    A t interval on few or heavily weighted answers can run past the ends of a rating
    scale (4.2, 3.2 to 5.2 on 1–5); see :func:`toolkit._stats.within_scale` for why
    clipping keeps the coverage. NPS intervals come cut to −100…100 from
    :func:`toolkit._stats.nps` (an end sitting on ±100 while the score does not is a
    cut one). Where the headline's interval was cut, ``interval`` says so ("t, clipped
    to the scale"). Wilson intervals for shares never leave 0–1.
    """
    low, high, cut = _stats.within_scale(out["mean_ci_low"], out["mean_ci_high"], *scale)
    out["mean_ci_low"], out["mean_ci_high"] = low, high
    if measure == "nps":
        score, low, high = (
            out[c].to_numpy(dtype=float) for c in ("nps", "nps_ci_low", "nps_ci_high")
        )
        cut = ((high >= 100) & (score < 100)) | ((low <= -100) & (score > -100))
    if measure != "top_box":
        out["interval"] = np.where(
            cut, out["interval"].astype(str) + _stats.CLIPPED, out["interval"]
        )


def _measure_setup(metric: str, measure: str | None, ces: Mapping | None) -> tuple[dict, str]:
    """The CES convention and the measure (the metric's default when not given), checked."""
    ces = ces_convention(ces)
    measure = measure or _default_measure(metric, ces)
    check_choice(measure, MEASURES, name="measure")
    return ces, measure


def _check_common(confidence, min_n, top_box):
    check_fraction(confidence, name="confidence", inclusive=False)
    check_positive_int(min_n, name="min_n")
    check_positive_int(top_box, name="top_box")


def _by_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def satisfaction_trend(
    responses: pd.DataFrame,
    *,
    metric: str = "csat",
    period: str = "quarter",
    by: str | Sequence[str] | None = None,
    score: str = "score",
    date: str = "submitted_on",
    weight: str | None = "weight",
    measure: str | None = None,
    scale: Sequence[float] | None = None,
    top_box: int = 2,
    ces: Mapping | None = None,
    fiscal_year_start: int = 1,
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = 5,
) -> pd.DataFrame:
    """Satisfaction per period (and group), with intervals, n and suppression.

    Parameters
    ----------
    responses : DataFrame
        One score per row: ``metric`` (csat/nps/ces), ``score``, the date column (or
        ``wave``), optionally ``scale_min``/``scale_max`` per row, the ``by`` columns and
        a weight column.
    metric : str
        ``csat``, ``nps`` or ``ces``.
    period : str
        ``day``, ``week``, ``month``, ``quarter``, ``year``, ``fiscal-quarter``,
        ``fiscal-year`` or ``wave`` (see :func:`assign_periods`).
    by : str or list of str, optional
        Column(s) to split by (``segment``, ``campus``…); missing values form their own
        group.
    score, date : str
        The score and date columns.
    weight : str, optional
        A column of respondent weights (blank = 1; the default column ``weight`` may be
        absent). Estimates are weighted and intervals use Kish's effective n; with every
        weight blank or 1 the results are the unweighted ones. None ignores weights.
    measure : str, optional
        What ``estimate`` holds: ``mean``, ``top_box`` or ``nps``. By default the mean
        for CSAT, the NPS for NPS, and for CES what its convention's ``method`` says.
    scale : (low, high), optional
        The scale of every row, overriding ``scale_min``/``scale_max``. When rows come on
        different scales the mean maps them linearly onto the most common one (with a
        warning); top box always uses each row's own scale.
    top_box : int
        How many answers at the top of the scale count as the top box (2: 4–5 on 1–5).
    ces : mapping, optional
        CES convention (see :func:`ces_convention`).
    fiscal_year_start, timezone :
        Period conventions (see :func:`assign_periods`).
    confidence : float
        Confidence level of every interval.
    min_n : int
        Groups with fewer responses, or an effective n below it, are suppressed
        (:func:`toolkit._stats.too_few`).

    Returns
    -------
    DataFrame
        One row per group and period, groups in order, periods in time order:

        - the ``by`` columns; ``period`` (label), ``period_start``, ``period_end``, ``t``
          (integer time position; gaps show as jumps).
        - ``metric``; ``measure`` (what ``estimate`` is); ``n`` responses;
          ``effective_n`` (Kish; n when unweighted).
        - ``estimate``, ``ci_low``, ``ci_high``: the headline with its interval.
        - ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``sd``: mean score, t interval with
          effective n − 1 degrees of freedom.
        - ``top_box``, ``top_box_ci_low``, ``top_box_ci_high``: the share in the top box
          (the easy box for lower-is-easier CES), Wilson interval.
        - ``promoters``, ``passives``, ``detractors``, ``nps``, ``nps_ci_low``,
          ``nps_ci_high``: for NPS, the (effective) counts and the NPS in points with the
          trinomial adjusted-Wald interval at every n; empty for other metrics.
        - ``interval``: the method of ``ci_low``/``ci_high`` (t, Wilson, adjusted Wald),
          followed by ", clipped to the scale" where the interval ran past the ends of the
          scale (mean) or −100 to 100 (NPS) and was cut there.
        - ``suppressed``: fewer than ``min_n`` responses, or an effective n below
          ``min_n`` (weights 100, 1, 1, 1, 1 are 1.08 people's worth); every estimate is
          then empty.
        - ``scale_min``, ``scale_max``: the scale of ``mean``; ``top_box_answers``: the
          answers counted in the top box; ``direction``: "higher is better" (or the CES
          convention's words); ``weighted``; ``confidence``; ``min_n``.

    Raises
    ------
    DataValidationError
        A missing column, an unknown metric/period/measure, a score outside its scale, an
        NPS row not on 0–10, negative weights.

    Notes
    -----
    Mean: Σwx/Σw with variance (Σwx²/Σw − mean²)·n_eff/(n_eff − 1) and a Student t
    interval. Top box: Wilson score interval on n_eff. NPS: each person scores +1/0/−1,
    variance pP + pD − (pP − pD)², SE = √(variance/n), with the adjusted-Wald interval
    at every n (3 pseudo-respondents: 0.75 promoter, 1.5 passive, 0.75 detractor), which
    Rocks (2016, The American Statistician 70(4), 365–372) found best overall; the plain
    Wald interval (:func:`toolkit._stats.nps`) is not used in tables. The estimate is
    always the plain NPS, and the interval is widened where needed to reach it. Kish (1965), Survey Sampling, for effective n.

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "metric": "nps", "score": [10, 9, 9, 8, 7, 3, 10, 6],
    ...     "submitted_on": pd.to_datetime(["2024-01-05"] * 4 + ["2024-04-02"] * 4)})
    >>> trend = satisfaction_trend(rows, metric="nps", min_n=1)
    >>> print(trend[["period", "n", "nps", "interval"]].to_string(index=False))
     period  n   nps      interval
    2024-Q1  4  75.0 adjusted Wald
    2024-Q2  4 -25.0 adjusted Wald
    """
    _check_common(confidence, min_n, top_box)
    ces, measure = _measure_setup(metric, measure, ces)
    if measure == "nps" and metric != "nps":
        raise DataValidationError(f"measure 'nps' needs metric 'nps' (got metric {metric!r}).")
    by_cols = _by_list(by)
    require_columns(responses, by_cols, name="responses")
    rows = _metric_rows(
        responses,
        metric=metric,
        score=score,
        weight=weight,
        scale=scale,
        ces=ces,
        keep=[*by_cols, date, "wave", "response_id"],
    )
    t_codes, labels = _row_periods(rows, period, date, fiscal_year_start, timezone)
    placed = t_codes >= 0
    if not placed.all():
        lost = int((~placed).sum())
        what = "wave" if period == "wave" else "date"
        warnings.warn(
            f"{lost} {metric} response{'s' if lost != 1 else ''} without a {what} were left "
            "out of the trend.",
            stacklevel=2,
        )
        rows, t_codes = rows[placed], t_codes[placed]
    scales = _scales(rows)
    reference = _reference_scale(scales, scale)
    keys = pd.DataFrame({c: rows[c].to_numpy() for c in by_cols})
    keys["t"] = t_codes
    sums = _sums(rows, keys, metric=metric, top_box=top_box, ces=ces, reference=reference)
    est = _estimates(
        sums, metric=metric, measure=measure, confidence=confidence, min_n=min_n, scale=reference
    )
    out = sums[by_cols].copy()
    t = sums["t"].to_numpy(dtype=np.int64)
    placed_labels = labels.reindex(t)
    for column in ("period", "period_start", "period_end"):
        out[column] = placed_labels[column].to_numpy()
    out["t"] = t
    out["metric"] = metric
    out["measure"] = measure
    out = pd.concat([out, est], axis=1)
    out["scale_min"], out["scale_max"] = reference
    out["top_box_answers"] = _box_words(scales, metric, top_box, ces)
    out["direction"] = _direction_words(metric, ces)
    out["weighted"] = bool(np.any(rows["w"].to_numpy() != 1.0))
    out["confidence"] = confidence
    out["min_n"] = min_n
    order = [
        "period",
        "period_start",
        "period_end",
        "t",
        "metric",
        "measure",
        "n",
        "effective_n",
        "estimate",
        "ci_low",
        "ci_high",
        "interval",
        "suppressed",
    ]
    columns = by_cols + order + [c for c in out.columns if c not in by_cols + order]
    return out[columns].sort_values(by_cols + ["t"], kind="stable").reset_index(drop=True)


def _reference_scale(scales: pd.Series, scale) -> tuple[float, float]:
    if scale is not None:
        return float(scale[0]), float(scale[1])
    if not len(scales):
        return (np.nan, np.nan)
    low, high = scales.index[0]
    return float(low), float(high)


# ----------------------------------------------------------------------------- comparisons


def _difference(a: Mapping, b: Mapping, measure: str, confidence: float) -> tuple:
    """(difference b − a, ci_low, ci_high, p) for two summaries of one measure.

    Each summary holds ``effective_n`` and, by measure, ``mean``/``sd``, ``top_box``, or
    ``promoters``/``passives``/``detractors``. Vectorised over arrays.
    """
    z = _stats.z_value(confidence)
    na, nb = np.asarray(a["effective_n"], float), np.asarray(b["effective_n"], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "mean":
            va = np.asarray(a["sd"], float) ** 2 / na
            vb = np.asarray(b["sd"], float) ** 2 / nb
            diff = np.asarray(b["mean"], float) - np.asarray(a["mean"], float)
            se = np.sqrt(va + vb)
            df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))  # Welch–Satterthwaite
            tq = stats.t.ppf(0.5 + confidence / 2, df)
            low, high = diff - tq * se, diff + tq * se
            p = np.where(se > 0, 2 * stats.t.sf(np.abs(diff) / se, df), np.nan)
        elif measure == "top_box":
            pa, pb = np.asarray(a["top_box"], float), np.asarray(b["top_box"], float)
            d, low, high = _stats.newcombe_difference(pb * nb, nb, pa * na, na, confidence)
            diff = pb - pa
            # The p-value inverts the interval shown, so the two always agree.
            p = _stats.newcombe_p_value(pb * nb, nb, pa * na, na)
            p = np.where((pa == pb) & ((pa == 0) | (pa == 1)), np.nan, p)
        else:
            diff, low, high, p = _nps_change(a, b, z)
    return diff, low, high, p


def _nps_change(a: Mapping, b: Mapping, z: float) -> tuple:
    """(NPS b − a in points, adjusted-Wald interval, adjusted-Wald p) at every n.

    Both sides get the 3 pseudo-respondents (Rocks 2016); the interval is centred on the
    adjusted difference and widened, where it stops short, to reach the plain difference
    (which ``difference`` reports, as the trend reports the plain NPS).
    """
    parts_a = [np.asarray(a[c], float) for c in ("promoters", "passives", "detractors")]
    parts_b = [np.asarray(b[c], float) for c in ("promoters", "passives", "detractors")]
    sa, _, _ = _stats._nps_parts(*parts_a, False)
    sb, _, _ = _stats._nps_parts(*parts_b, False)
    diff = 100 * (sb - sa)
    adjusted, _, p = _stats.nps_difference(*parts_b, *parts_a, adjusted=True)
    _, var_a, n_a = _stats._nps_parts(*parts_a, True)
    _, var_b, n_b = _stats._nps_parts(*parts_b, True)
    se = 100 * np.sqrt(var_a / n_a + var_b / n_b)
    low = np.fmax(np.fmin(adjusted - z * se, diff), -200.0)
    high = np.fmin(np.fmax(adjusted + z * se, diff), 200.0)
    return diff, low, high, p


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if not ok.size:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adjusted
    return out


def _change_words(low, high, p, higher_is_better) -> np.ndarray:
    """The verdict of each change, read from the interval shown (never from a p-value).

    An interval wholly above 0 is "better" (or "worse" when lower is better), wholly below
    0 the opposite, one that includes 0 "no clear change"; "not tested" where there is no
    interval or no test (a side with no spread).
    """
    low, high = np.asarray(low, float), np.asarray(high, float)
    with np.errstate(invalid="ignore"):
        up, down = low > 0, high < 0
    better = np.where(up, higher_is_better, not higher_is_better)
    words = np.where(up | down, np.where(better, "better", "worse"), "no clear change")
    tested = np.isfinite(low) & np.isfinite(high) & np.isfinite(np.asarray(p, float))
    return np.where(tested, words, "not tested")


def period_changes(
    trend: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    measure: str | None = None,
    confidence: float | None = None,
) -> pd.DataFrame:
    """Each period against the one before it, within each group.

    Parameters
    ----------
    trend : DataFrame
        The result of :func:`satisfaction_trend` (with the same ``by``).
    by : str or list of str, optional
        The group columns of ``trend``.
    measure : str, optional
        ``mean``, ``top_box`` or ``nps``; by default the trend's own ``measure``.
    confidence : float, optional
        By default the trend's.

    Returns
    -------
    DataFrame
        One row per period after the first in each group: the ``by`` columns,
        ``period``, ``previous_period``, ``n``, ``previous_n``, ``estimate``,
        ``previous_estimate``, ``difference`` (this − previous), ``ci_low``, ``ci_high``,
        ``p_value``, ``p_holm`` (Holm-adjusted over every comparison in the table),
        ``change`` ("better" or "worse" when the interval ``ci_low``–``ci_high`` leaves
        out 0, "no clear change" when it includes 0, "not tested" when a period has no
        spread), ``ci_low_adjusted``, ``ci_high_adjusted`` (Bonferroni: each interval at
        1 − (1 − confidence)/m over the m comparisons tested) and ``change_adjusted`` (the
        verdict read from them), ``measure``, ``confidence``. A period suppressed (under
        ``min_n``) is compared with nothing, so no verdict rests on it, and its successor
        is compared with the last period that was reported.

    Notes
    -----
    The verdict is read from the interval, so a change is never called better or worse
    while its own interval includes 0; each p-value comes from the test that matches its
    interval. Means: Welch's t test and interval (Welch–Satterthwaite degrees of freedom).
    Top-box shares: Newcombe's hybrid score interval for the difference, with the p-value
    found by inverting it (:func:`toolkit._stats.newcombe_p_value`). NPS: adjusted-Wald
    at every n (3 pseudo-respondents added to each side, Rocks 2016): z = (NPS₂ − NPS₁)
    /√(var₁/n₁ + var₂/n₂) with the trinomial variance, and the matching interval, widened
    where needed to reach the plain difference. Testing every period against the one before
    makes many tests: about one in twenty periods with no real change will be flagged at
    95% by chance. ``p_holm`` (Holm 1979, Scand. J. Statist. 6, 65–70) and the Bonferroni
    intervals with ``change_adjusted`` control that.
    """
    require_columns(trend, ["period", "t", "n", "effective_n", "suppressed"], name="trend")
    measure = measure or (str(trend["measure"].iloc[0]) if len(trend) else "mean")
    check_choice(measure, MEASURES, name="measure")
    if confidence is None:
        confidence = float(trend["confidence"].iloc[0]) if len(trend) else 0.95
    check_fraction(confidence, name="confidence", inclusive=False)
    by_cols = _by_list(by)
    require_columns(trend, by_cols, name="trend")
    needed = {
        "mean": ["mean", "sd"],
        "top_box": ["top_box"],
        "nps": ["promoters", "passives", "detractors"],
    }
    require_columns(trend, needed[measure], name="trend")
    higher = not (len(trend) and str(trend["direction"].iloc[0]) == "lower is easier")
    reported = trend[~trend["suppressed"].astype(bool)].sort_values(by_cols + ["t"], kind="stable")
    if by_cols:
        previous = reported.groupby(by_cols, dropna=False, sort=False).shift(1)
    else:
        previous = reported.shift(1)
    pairs = previous["t"].notna().to_numpy()
    cur, prev = reported[pairs], previous[pairs]
    diff, low, high, p = _difference(prev, cur, measure, confidence)
    out = cur[by_cols].reset_index(drop=True)
    out["period"] = cur["period"].to_numpy()
    out["previous_period"] = prev["period"].to_numpy()
    out["n"] = cur["n"].to_numpy()
    out["previous_n"] = prev["n"].astype(int).to_numpy()
    source = {"mean": "mean", "top_box": "top_box", "nps": "nps"}[measure]
    out["estimate"] = cur[source].to_numpy(dtype=float)
    out["previous_estimate"] = prev[source].to_numpy(dtype=float)
    out["difference"] = diff
    out["ci_low"] = low
    out["ci_high"] = high
    out["p_value"] = p
    out["p_holm"] = _holm(p)
    out["change"] = _change_words(low, high, p, higher)
    # Bonferroni: each interval at 1 − (1 − confidence)/m, m = the comparisons tested.
    tests = max(int(np.isfinite(np.asarray(p, float)).sum()), 1)
    _, low_b, high_b, _ = _difference(prev, cur, measure, 1 - (1 - confidence) / tests)
    out["ci_low_adjusted"] = low_b
    out["ci_high_adjusted"] = high_b
    out["change_adjusted"] = _change_words(low_b, high_b, p, higher)
    out["measure"] = measure
    out["confidence"] = confidence
    return out


def change_between(trend: pd.DataFrame, earlier, later) -> dict:
    """Two rows of one trend compared as :func:`period_changes` compares neighbours.

    Parameters
    ----------
    trend : DataFrame
        The result of :func:`satisfaction_trend`.
    earlier, later : index labels
        The rows to compare (later − earlier), such as the first and latest reported.

    Returns
    -------
    dict
        ``difference``, ``ci_low``, ``ci_high``, ``p_value`` and ``change`` (the verdict
        read from the interval). Where either row is suppressed (under ``min_n``) there is
        no comparison: every number is NaN and ``change`` is "not tested".
    """
    a, b = trend.loc[earlier], trend.loc[later]
    higher = str(b["direction"]) != "lower is easier"
    if bool(a["suppressed"]) or bool(b["suppressed"]):
        empty = dict.fromkeys(("difference", "ci_low", "ci_high", "p_value"), np.nan)
        return {**empty, "change": "not tested"}
    measure, confidence = str(b["measure"]), float(b["confidence"])
    d, low, high, p = (float(v) for v in _difference(a, b, measure, confidence))
    change = str(_change_words(low, high, p, higher))
    return {"difference": d, "ci_low": low, "ci_high": high, "p_value": p, "change": change}


def highest_and_lowest(latest: pd.DataFrame, *, by: str | Sequence[str]) -> dict | None:
    """The highest- and lowest-scoring groups compared, with an interval for all pairs.

    Parameters
    ----------
    latest : DataFrame
        One row per group of a :func:`satisfaction_trend` with ``by`` (such as each
        group's latest period).
    by : str or list of str
        The group columns.

    Returns
    -------
    dict or None
        None with fewer than two groups reported (groups under ``min_n`` or its effective
        n are left out: no verdict rests on them). Otherwise ``highest`` and ``lowest``
        (the rows), ``difference`` (highest − lowest), ``ci_low`` and ``ci_high``, ``pairs``
        (the k(k − 1)/2 pairs of the k groups reported), ``adjusted_confidence`` and
        ``differ`` (True when the interval leaves out 0).

    Notes
    -----
    The two extremes are picked after looking at every group, so the comparison is one of
    all k(k − 1)/2 pairs: its interval is Bonferroni-adjusted to 1 − (1 − confidence)/pairs
    and the verdict is read from that interval alone (means: Welch; top-box shares:
    Newcombe's hybrid score; NPS: adjusted-Wald, as :func:`period_changes`).
    """
    require_columns(latest, [*_by_list(by), "estimate", "suppressed"], name="latest")
    shown = latest[~latest["suppressed"].astype(bool)]
    if len(shown) < 2:
        return None
    hi = shown.loc[shown["estimate"].astype(float).idxmax()]
    lo = shown.loc[shown["estimate"].astype(float).idxmin()]
    pairs = len(shown) * (len(shown) - 1) // 2
    confidence = float(hi["confidence"])
    adjusted = 1 - (1 - confidence) / pairs
    measure = str(hi["measure"])
    d, low, high, _ = (float(v) for v in _difference(lo, hi, measure, adjusted))
    with np.errstate(invalid="ignore"):
        differ = bool(low > 0 or high < 0)  # every group scoring the same gives 0 to 0
    return {
        "highest": hi,
        "lowest": lo,
        "difference": d,
        "ci_low": low,
        "ci_high": high,
        "pairs": pairs,
        "adjusted_confidence": adjusted,
        "differ": differ,
    }


def event_rows(events: pd.DataFrame, event) -> pd.DataFrame:
    """The events chosen by ``event``, with dates read, sorted by start.

    Parameters
    ----------
    events : DataFrame
        The ``events`` table (``label``, ``starts_on``, optional ``ends_on``, ``segment``).
    event : str, sequence of str or None
        The event label(s) to keep (case and surrounding spaces ignored); ``None`` keeps all.

    Returns
    -------
    DataFrame
        The events with ``starts_on``/``ends_on`` as timestamps and a ``segment`` column;
        events without a readable start are left out.

    Raises
    ------
    DataValidationError
        When no event has the label asked for (the message lists the labels there are).
    """
    require_columns(events, ["starts_on", "label"], name="events")
    chosen = events.copy()
    chosen["starts_on"] = pd.to_datetime(chosen["starts_on"], errors="coerce")
    if "ends_on" in chosen:
        chosen["ends_on"] = pd.to_datetime(chosen["ends_on"], errors="coerce")
    else:
        chosen["ends_on"] = pd.NaT
    if "segment" not in chosen:
        chosen["segment"] = None
    chosen = chosen[chosen["starts_on"].notna()]
    if event is not None:
        wanted = [event] if isinstance(event, str) else list(event)
        names = chosen["label"].astype(str).str.strip().str.casefold()
        keep = names.isin([str(w).strip().casefold() for w in wanted])
        if not keep.any():
            have = ", ".join(repr(v) for v in chosen["label"]) or "none"
            raise DataValidationError(
                f"no event is labelled {event!r}; the events are: {have}. "
                "Pass one of these labels, or record the event first."
            )
        chosen = chosen[keep]
    return chosen.sort_values("starts_on", kind="stable").reset_index(drop=True)


_event_rows = event_rows


def before_after(
    responses: pd.DataFrame,
    events: pd.DataFrame,
    *,
    metric: str = "csat",
    event: str | Sequence[str] | None = None,
    before: int = 90,
    after: int = 90,
    period: str = "quarter",
    by: str | Sequence[str] | None = None,
    score: str = "score",
    date: str = "submitted_on",
    weight: str | None = "weight",
    measure: str | None = None,
    scale: Sequence[float] | None = None,
    top_box: int = 2,
    ces: Mapping | None = None,
    fiscal_year_start: int = 1,
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = 5,
) -> pd.DataFrame:
    """How satisfaction moved around each event: two windows, and the whole series.

    Parameters
    ----------
    responses, events : DataFrame
        Scores as for :func:`satisfaction_trend`; events with ``starts_on``, ``label``,
        optionally ``ends_on`` and ``segment`` (an event for one segment is tested on that
        segment's responses only).
    event : str or list of str, optional
        Event label(s) to test (case-insensitive); all events by default.
    before, after : int
        Window lengths in days: responses in [start − before, start) against those in
        [start, start + after).
    period : str
        The period of the interrupted time series.
    by, score, date, weight, measure, scale, top_box, ces, fiscal_year_start, timezone,
    confidence, min_n :
        As for :func:`satisfaction_trend`.

    Returns
    -------
    DataFrame
        One row per event (and group): ``event``, ``starts_on``, ``ends_on``,
        ``event_segment``, the ``by`` columns, ``window_before_start``,
        ``window_after_end``, ``n_before``, ``n_after``, ``estimate_before``,
        ``ci_low_before``, ``ci_high_before``, ``estimate_after``, ``ci_low_after``,
        ``ci_high_after``, ``difference`` (after − before), ``ci_low``, ``ci_high``,
        ``p_value``, ``change`` (better / worse when the interval leaves out 0, no clear
        change when it includes 0, not tested), ``suppressed`` (either window below
        ``min_n``: estimates empty and no verdict), and the
        interrupted time series: ``its_level_change``, ``its_level_ci_low``,
        ``its_level_ci_high``, ``its_level_p``, ``its_slope_change`` (per period),
        ``its_slope_ci_low``, ``its_slope_ci_high``, ``its_slope_p``,
        ``its_periods_before``, ``its_periods_after``, ``its_note`` (why it was not
        fitted, or which period held the event and was left out); then ``metric``,
        ``measure``, ``period``, ``before_days``, ``after_days``, ``confidence``.

    Notes
    -----
    Windows are compared as :func:`period_changes` compares periods. The interrupted time
    series fits Yₜ = β₀ + β₁t + β₂Dₜ + β₃(t − T)Dₜ to the period estimates (suppressed
    periods left out) with Newey–West errors (:func:`toolkit._stats.interrupted_time_series`):
    β₂ is the level change at the event, β₃ the change in slope per period, the slope term
    counting periods since the event. A period that starts before the event and ends on
    or after it mixes both sides and is left out.
    """
    _check_common(confidence, min_n, top_box)
    before = check_positive_int(before, name="before")
    after = check_positive_int(after, name="after")
    ces, measure = _measure_setup(metric, measure, ces)
    by_cols = _by_list(by)
    require_columns(responses, by_cols + [date], name="responses")
    chosen = _event_rows(events, event)
    rows = _metric_rows(
        responses,
        metric=metric,
        score=score,
        weight=weight,
        scale=scale,
        ces=ces,
        keep=[*by_cols, date, "segment", "response_id"],
    )
    when = _local_times(rows[date], timezone)
    reference = _reference_scale(_scales(rows), scale)
    higher = _higher_is_better(metric, ces)

    def series(frame: pd.DataFrame) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already said once for the windows
            return satisfaction_trend(
                frame,
                metric=metric,
                period=period,
                by=by_cols or None,
                score=score,
                date=date,
                weight=weight,
                measure=measure,
                scale=scale,
                top_box=top_box,
                ces=ces,
                fiscal_year_start=fiscal_year_start,
                timezone=timezone,
                confidence=confidence,
                min_n=min_n,
            )

    whole_trend = None
    results = []
    for ev in chosen.itertuples(index=False):
        ev_rows, ev_when = rows, when
        segment = ev.segment if isinstance(ev.segment, str) and ev.segment.strip() else None
        if segment is not None and "segment" in rows:
            keep = (
                rows["segment"].astype("string").str.strip().str.casefold()
                == segment.strip().casefold()
            )
            keep = keep.fillna(False).to_numpy()
            ev_rows, ev_when = rows[keep], when[keep]
        start = pd.Timestamp(ev.starts_on)
        side = np.where(
            (ev_when >= start - pd.Timedelta(days=before)) & (ev_when < start),
            0,
            np.where((ev_when >= start) & (ev_when < start + pd.Timedelta(days=after)), 1, -1),
        )
        inside = side >= 0
        keys = pd.DataFrame({c: ev_rows[c].to_numpy()[inside] for c in by_cols})
        keys["side"] = side[inside]
        sums = _sums(
            ev_rows[inside], keys, metric=metric, top_box=top_box, ces=ces, reference=reference
        )
        est = _estimates(
            sums,
            metric=metric,
            measure=measure,
            confidence=confidence,
            min_n=min_n,
            scale=reference,
        )
        est = pd.concat([sums[by_cols + ["side"]], est], axis=1)
        groups = _windows_by_group(est, by_cols)
        if not len(ev_rows):
            trend = None
        elif segment is None:
            if whole_trend is None:
                whole_trend = series(responses)
            trend = whole_trend
        else:
            trend = series(responses.loc[ev_rows.index])
        for key, b, a in groups:
            row = {
                "event": ev.label,
                "starts_on": start,
                "ends_on": ev.ends_on,
                "event_segment": segment,
            }
            row.update(dict(zip(by_cols, key, strict=True)))
            row["window_before_start"] = start - pd.Timedelta(days=before)
            row["window_after_end"] = start + pd.Timedelta(days=after - 1)
            row["n_before"] = int(b["n"]) if b is not None else 0
            row["n_after"] = int(a["n"]) if a is not None else 0
            suppressed = b is None or a is None or bool(b["suppressed"]) or bool(a["suppressed"])
            for label, side_row in (("before", b), ("after", a)):
                for col, src in (
                    ("estimate", "estimate"),
                    ("ci_low", "ci_low"),
                    ("ci_high", "ci_high"),
                ):
                    value = np.nan if side_row is None or suppressed else side_row[src]
                    row[f"{col}_{label}"] = value
            if suppressed:
                row.update(difference=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                row["change"] = "not tested"
            else:
                d, lo, hi, p = _difference(b, a, measure, confidence)
                row.update(
                    difference=float(d), ci_low=float(lo), ci_high=float(hi), p_value=float(p)
                )
                row["change"] = str(_change_words(lo, hi, p, higher))
            row["suppressed"] = suppressed
            row.update(_its(trend, by_cols, key, start, measure, confidence))
            results.append(row)
    columns = [
        "event",
        "starts_on",
        "ends_on",
        "event_segment",
        *by_cols,
        "window_before_start",
        "window_after_end",
        "n_before",
        "n_after",
        "estimate_before",
        "ci_low_before",
        "ci_high_before",
        "estimate_after",
        "ci_low_after",
        "ci_high_after",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "change",
        "suppressed",
        "its_level_change",
        "its_level_ci_low",
        "its_level_ci_high",
        "its_level_p",
        "its_slope_change",
        "its_slope_ci_low",
        "its_slope_ci_high",
        "its_slope_p",
        "its_periods_before",
        "its_periods_after",
        "its_note",
    ]
    out = pd.DataFrame(results, columns=columns)
    out["metric"] = metric
    out["measure"] = measure
    out["period"] = period
    out["before_days"] = before
    out["after_days"] = after
    out["confidence"] = confidence
    return out


def _windows_by_group(est: pd.DataFrame, by_cols: list[str]):
    """(group key, before row or None, after row or None) per group present."""
    if by_cols:
        keys = est[by_cols].drop_duplicates().itertuples(index=False, name=None)
    else:
        keys = [()]
    for key in keys:
        mask = np.ones(len(est), dtype=bool)
        for c, v in zip(by_cols, key, strict=True):
            mask &= (est[c] == v).to_numpy() | (pd.isna(v) & est[c].isna().to_numpy())
        part = est[mask]
        b = part[part["side"] == 0]
        a = part[part["side"] == 1]
        yield key, (b.iloc[0] if len(b) else None), (a.iloc[0] if len(a) else None)


def _its(trend, by_cols, key, start, measure, confidence) -> dict:
    empty = {
        "its_level_change": np.nan,
        "its_level_ci_low": np.nan,
        "its_level_ci_high": np.nan,
        "its_level_p": np.nan,
        "its_slope_change": np.nan,
        "its_slope_ci_low": np.nan,
        "its_slope_ci_high": np.nan,
        "its_slope_p": np.nan,
        "its_periods_before": 0,
        "its_periods_after": 0,
    }
    if trend is None or not len(trend):
        return {**empty, "its_note": "no responses"}
    part = trend
    for c, v in zip(by_cols, key, strict=True):
        part = part[(part[c] == v) | (pd.isna(v) & part[c].isna())]
    part = part[~part["suppressed"].astype(bool)].sort_values("t")
    if part["period_start"].isna().all():
        return {**empty, "its_note": "periods have no dates"}
    after = (part["period_start"] >= start).to_numpy()
    straddle = (~after) & (part["period_end"] >= start).to_numpy()
    note = ""
    if straddle.any():
        note = f"{part['period'][straddle].iloc[0]} held the event and was left out"
        part, after = part[~straddle], after[~straddle]
    n_before, n_after = int((~after).sum()), int(after.sum())
    result = {**empty, "its_periods_before": n_before, "its_periods_after": n_after}
    if n_before < 3 or n_after < 3:
        return {
            **result,
            "its_note": f"needs 3 reported periods on each side (has {n_before} before and "
            f"{n_after} after)",
        }
    source = {"mean": "mean", "top_box": "top_box", "nps": "nps"}[measure]
    fit = _stats.interrupted_time_series(
        part[source].to_numpy(dtype=float), part["t"].to_numpy(dtype=float), n_before
    )
    tq = stats.t.ppf(0.5 + confidence / 2, fit["df"])
    for i, name in ((2, "level"), (3, "slope")):
        coef, se = float(fit["coef"][i]), float(fit["se"][i])
        result[f"its_{name}_change" if name == "level" else "its_slope_change"] = coef
        result[f"its_{name}_ci_low"] = coef - tq * se
        result[f"its_{name}_ci_high"] = coef + tq * se
        result[f"its_{name}_p"] = float(fit["p_value"][i])
    result["its_note"] = note
    return result


# ----------------------------------------------------------------------------- control charts


def _parse_dates(values, name: str) -> list[pd.Timestamp]:
    if values is None:
        return []
    items = [values] if isinstance(values, str | pd.Timestamp) else list(values)
    out = []
    for item in items:
        stamp = pd.to_datetime(item, errors="coerce")
        if pd.isna(stamp):
            raise DataValidationError(
                f"{name}: {item!r} is not a date; write it as YYYY-MM-DD, such as 2023-07-01."
            )
        out.append(pd.Timestamp(stamp))
    return sorted(out)


# σ_Z above which a share is over-dispersed and the p′ chart replaces the p-chart
DISPERSION_LIMIT = 1.2

_SIGNAL_WORDS = {
    "outside": "beyond a limit",
    "shift": "run of 7 on one side of the centre",
    "trend": "7 rising or falling in a row",
    "two_of_three": "2 of 3 near a limit",
}


def control_chart(
    trend: pd.DataFrame,
    *,
    chart: str | None = None,
    by: str | Sequence[str] | None = None,
    baseline: int | None = None,
    rebase_at: str | Sequence | None = None,
    direction: str | None = None,
    dispersion_limit: float = DISPERSION_LIMIT,
) -> pd.DataFrame:
    """Control limits and special-cause signals for a satisfaction trend.

    Parameters
    ----------
    trend : DataFrame
        The result of :func:`satisfaction_trend` (suppressed periods are left out).
    chart : str, optional
        By default what the trend measures decides: a share (``measure`` ``top_box``, such
        as a CES judged by its top box) gets ``share``, a mean or an NPS gets ``xmr``.
        ``xmr``: individuals chart of the period means (``mean``; the NPS for NPS);
        ``p``: p-chart of the top-box share with each period's own n;
        ``laney``: Laney's p′ chart of the top-box share (the p-chart's limits widened by
        σ_Z, for a share that varies more than sampling alone explains);
        ``share``: the top-box share on whichever of the two fits: p′ when σ_Z is above
        ``dispersion_limit``, else the p-chart.
    by : str or list of str, optional
        Group columns: one chart per group.
    baseline : int, optional
        Freeze the limits after this many periods of each phase: they are computed from
        those periods and carried forward. By default every period of the phase is used.
    rebase_at : date or list of dates, optional
        Start a new phase (new centre and limits) at the first period starting on or
        after each date (an event's ``starts_on``).
    direction : str, optional
        ``"higher"`` or ``"lower"`` is better; by default the trend's direction.
    dispersion_limit : float
        For ``share``: the σ_Z above which the share is over-dispersed and p′ is used
        (1.2: a p-chart's limits would be more than a fifth too narrow; a stable binomial
        process over 36 periods stays at or below it nine times in ten).

    Returns
    -------
    DataFrame
        One row per reported period: the ``by`` columns, ``period``, ``period_start``,
        ``t``, ``n``, ``value`` (the plotted mean, NPS or share), ``centre``, ``lower``,
        ``upper``, ``phase`` (1, 2… from each rebase), ``phase_start``, ``in_baseline``
        (the period was used to compute its phase's limits), ``moving_range`` and
        ``moving_range_upper`` (XmR only), the rule flags ``outside``, ``shift``,
        ``trend``, ``two_of_three``, ``signal`` (any), ``signal_words``,
        ``improvement`` (True: a signal in the better direction, False: worse, empty
        when no signal), ``chart`` (the chart drawn: ``xmr``, ``p`` or ``laney``),
        ``sigma_z`` (shares: the spread of the z-scores, mean moving range / 1.128 over
        the phase's baseline; 1 when the share varies only as sampling says),
        ``chart_reason`` (how the chart was chosen: "asked for", or for ``share`` the
        σ_Z against ``dispersion_limit``, such as "sigma_z 1.34 above 1.2"; "the default for
        a share" or "for a mean" is added when ``chart`` was not given), ``direction``.

    Notes
    -----
    XmR: mean ± 2.66 × mean moving range, moving-range limit 3.267 × mean moving range.
    p-chart: p̄ ± 3√(p̄(1 − p̄)/nᵢ), floored at 0. Rules (NHS Making Data Count): a point
    beyond a limit; 7 in a row on one side of the centre; 7 rising or falling; 2 of 3
    beyond two-thirds of the way to a limit, all three on one side. See
    :func:`toolkit._stats.special_causes`. p′: p̄ ± 3σ_Z√(p̄(1 − p̄)/nᵢ) (Laney 2002,
    :func:`toolkit._stats.laney_p_chart_limits`). Weighted trends use the effective n.
    A missing period (suppressed, or no responses: a jump in ``t``) is a gap: no moving
    range is taken across it, runs and trends start again after it, and the chart
    draws the line in separate pieces.
    """
    default = chart is None
    if default:
        chart = _default_chart(trend)
    check_choice(chart, ("xmr", "p", "laney", "share"), name="chart")
    if not isinstance(dispersion_limit, int | float) or not 0 < dispersion_limit < np.inf:
        raise DataValidationError(
            f"dispersion_limit must be a positive number (got {dispersion_limit!r}), such as 1.2."
        )
    require_columns(trend, ["period", "t", "suppressed"], name="trend")
    by_cols = _by_list(by)
    require_columns(trend, by_cols, name="trend")
    if baseline is not None:
        baseline = check_positive_int(baseline, name="baseline", minimum=2)
    rebases = _parse_dates(rebase_at, "rebase_at")
    if direction is None:
        lower_better = len(trend) and str(trend["direction"].iloc[0]) == "lower is easier"
        direction = "lower" if lower_better else "higher"
    check_choice(direction, ("higher", "lower"), name="direction")
    shown = trend[~trend["suppressed"].astype(bool)].sort_values(by_cols + ["t"], kind="stable")
    if chart == "xmr":
        is_nps = len(shown) and str(shown["metric"].iloc[0]) == "nps"
        value_col = "nps" if is_nps else "mean"
    else:
        value_col = "top_box"
    require_columns(trend, [value_col], name="trend")
    parts = []
    groups = shown.groupby(by_cols, dropna=False, sort=False) if by_cols else [((), shown)]
    for _, part in groups:
        options = (chart, dispersion_limit, baseline, rebases, direction)
        parts.append(_chart_group(part, by_cols, value_col, options))
    columns = [
        *by_cols,
        "period",
        "period_start",
        "t",
        "n",
        "value",
        "centre",
        "lower",
        "upper",
        "phase",
        "phase_start",
        "in_baseline",
        "moving_range",
        "moving_range_upper",
        "outside",
        "shift",
        "trend",
        "two_of_three",
        "signal",
        "signal_words",
        "improvement",
        "chart",
        "sigma_z",
        "chart_reason",
    ]
    if not parts:
        out = pd.DataFrame(columns=columns)
    else:
        out = pd.concat(parts, ignore_index=True)[columns]
    if default and len(out):
        words = "the default for a share" if chart == "share" else "the default for a mean"
        if chart == "xmr" and value_col == "nps":
            words = "the default for the NPS"
        asked = out["chart_reason"] == "asked for"
        out["chart_reason"] = np.where(asked, words, out["chart_reason"] + f" ({words})")
    out["direction"] = direction
    return out


def _default_chart(trend: pd.DataFrame) -> str:
    """``share`` for a trend of top-box shares, ``xmr`` for means and the NPS."""
    if "measure" in trend and len(trend) and str(trend["measure"].iloc[0]) == "top_box":
        return "share"
    return "xmr"


def _share_limits(x, n, base, chart, dispersion_limit) -> tuple[dict, str, str]:
    """Limits of one phase of a share chart, the chart used and why."""
    laney = _stats.laney_p_chart_limits(x, n, baseline=base)
    sigma_z = laney["sigma_z"]
    if chart == "share":
        over = bool(np.isfinite(sigma_z) and sigma_z > dispersion_limit)
        chart = "laney" if over else "p"
        verb = "above" if over else "at or below"
        reason = f"sigma_z {sigma_z:.2f} {verb} {dispersion_limit:g}"
        if not np.isfinite(sigma_z):
            reason = "too few periods in a row to measure sigma_z"
    else:
        reason = "asked for"
    if chart == "p":
        p_bar = laney["centre"]
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = np.sqrt(p_bar * (1 - p_bar) / n)
        laney = laney | {
            "lower": np.maximum(p_bar - 3 * sigma, 0.0),
            "upper": np.minimum(p_bar + 3 * sigma, 1.0),
        }
    return laney, chart, reason


def _phase_limits(span, value, n, base, options) -> dict:
    """Centre, limits and moving ranges over one phase laid out on its full time span."""
    chart, dispersion_limit = options[:2]
    size = span.size
    if chart == "xmr":
        limits = _stats.xmr_limits(np.where(base, value, np.nan))
        with np.errstate(invalid="ignore"):
            mr = np.concatenate(([np.nan], np.abs(np.diff(value))))
        return {
            "centre": np.full(size, limits["mean"]),
            "lower": np.full(size, limits["lower"]),
            "upper": np.full(size, limits["upper"]),
            "mr": mr,
            "mr_upper": np.full(size, limits["moving_range_upper"]),
            "chart": "xmr",
            "sigma_z": np.nan,
            "reason": "asked for" if chart == "xmr" else "",
        }
    limits, used, reason = _share_limits(value * n, n, base, chart, dispersion_limit)
    return {
        "centre": np.full(size, limits["centre"]),
        "lower": limits["lower"],
        "upper": limits["upper"],
        "mr": np.full(size, np.nan),
        "mr_upper": np.full(size, np.nan),
        "chart": used,
        "sigma_z": limits["sigma_z"],
        "reason": reason,
    }


def _chart_group(part, by_cols, value_col, options) -> pd.DataFrame:
    baseline, rebases, direction = options[2:]
    part = part.reset_index(drop=True)
    value = part[value_col].to_numpy(dtype=float)
    n_eff = part["effective_n"].to_numpy(dtype=float) if "effective_n" in part else None
    t = part["t"].to_numpy(dtype=int)
    starts = part["period_start"]
    phase = np.ones(len(part), dtype=int)
    for stamp in rebases:
        if starts.notna().any():
            phase += (starts >= stamp).to_numpy().astype(int)
    keys = ("centre", "lower", "upper", "mr", "mr_upper")
    cols = {k: np.full(len(part), np.nan) for k in (*keys, "sigma_z")}
    kinds, reasons = [""] * len(part), [""] * len(part)
    in_base = np.zeros(len(part), dtype=bool)
    flags = {
        k: np.zeros(len(part), dtype=bool) for k in ("outside", "shift", "trend", "two_of_three")
    }
    phase_start = []
    for ph in np.unique(phase):
        idx = np.flatnonzero(phase == ph)
        base = idx[:baseline] if baseline else idx
        in_base[base] = True
        # the phase laid out on every period of its span: a missing period is a NaN gap
        pos = t[idx] - t[idx[0]]
        span = np.full(int(pos[-1]) + 1, np.nan)
        full_value, full_n, full_base = span.copy(), span.copy(), np.zeros(span.size, bool)
        full_value[pos] = value[idx]
        if n_eff is not None:
            full_n[pos] = n_eff[idx]
        full_base[pos] = in_base[idx]
        lim = _phase_limits(span, full_value, full_n, full_base, options)
        for k in keys:
            cols[k][idx] = lim[k][pos]
        cols["sigma_z"][idx] = lim["sigma_z"]
        for i in idx:
            kinds[i], reasons[i] = lim["chart"], lim["reason"]
        rules = _stats.special_causes(full_value, lim["centre"], lim["lower"], lim["upper"])
        for k in flags:
            flags[k][idx] = rules[k][pos]
        phase_start.extend([part["period"].iloc[idx[0]]] * idx.size)
    out = part[[*by_cols, "period", "period_start", "t", "n"]].copy()
    out["value"] = value
    out["centre"], out["lower"], out["upper"] = cols["centre"], cols["lower"], cols["upper"]
    out["phase"], out["phase_start"], out["in_baseline"] = phase, phase_start, in_base
    out["moving_range"], out["moving_range_upper"] = cols["mr"], cols["mr_upper"]
    for k, v in flags.items():
        out[k] = v
    signal = np.logical_or.reduce([flags[k] for k in flags])
    out["signal"] = signal
    out["signal_words"] = [
        "; ".join(_SIGNAL_WORDS[k] for k in flags if flags[k][i]) for i in range(len(part))
    ]
    above = value > cols["centre"]
    better = above if direction == "higher" else ~above
    out["improvement"] = pd.array(np.where(signal, better, False), dtype="boolean")
    out.loc[~signal, "improvement"] = pd.NA
    out["chart"], out["sigma_z"], out["chart_reason"] = kinds, cols["sigma_z"], reasons
    return out


# ----------------------------------------------------------------------------- sampling


def sample_size_table(
    *,
    margins: Sequence[float] = (0.03, 0.05, 0.10),
    population: int | None = None,
    confidence: float = 0.95,
    p: float = 0.5,
) -> pd.DataFrame:
    """Respondents needed for each target margin of error, with and without the population.

    Parameters
    ----------
    margins : sequence of float
        Target half-widths as proportions (0.05 for ±5 points).
    population : int, optional
        Number of customers the sample is drawn from (finite-population correction).
    confidence : float
        Confidence level.
    p : float
        Expected share; 0.5 is the most cautious.

    Returns
    -------
    DataFrame
        ``margin``, ``n_needed`` (infinite population), ``population``,
        ``n_needed_population`` (with the correction; empty without a population),
        ``confidence``, ``p``.

    Examples
    --------
    REFERENCE-NUMBERS.md (with z = 1.96 these are 385 and 218; the exact quantile gives
    the same here):

    >>> sample_size_table(margins=[0.05], population=500)[["n_needed", "n_needed_population"]].values.tolist()
    [[385, 218]]
    """
    check_fraction(confidence, name="confidence", inclusive=False)
    margins = [float(m) for m in margins]
    needed = _stats.sample_size(margins, p, confidence)
    out = pd.DataFrame({"margin": margins, "n_needed": np.atleast_1d(needed)})
    out["population"] = population
    if population:
        out["n_needed_population"] = np.atleast_1d(
            _stats.sample_size(margins, p, confidence, population=population)
        )
    else:
        out["n_needed_population"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["confidence"] = confidence
    out["p"] = p
    return out
