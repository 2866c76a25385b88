"""Altair chart builders: each takes an analysis result and returns an unrendered chart.

:mod:`toolkit.charts.needs`
    Needs gap, heatmap, rank slope, importance–performance.
:mod:`toolkit.charts.customers`
    Priorities, power/interest, the service chain.
:mod:`toolkit.charts.satisfaction`
    Trends, period changes, before/after, control charts.
:mod:`toolkit.charts.theme`
    The toolkit theme and the one offline display path (``enable_charts``).

The needs charts' builders are re-exported here, where they lived before the package
existed (``from toolkit.charts import needs_gap_chart`` keeps working).
"""

from toolkit._lazy import lazy_exports

_HOMES = {
    name: "toolkit.charts.needs"
    for name in (
        "importance_performance_chart",
        "needs_gap_chart",
        "needs_heatmap_chart",
        "rank_slope_chart",
    )
}
__all__ = list(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
