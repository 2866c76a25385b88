"""Old module names that keep working after the layout of issue #14.

Each old name is a file of its own (``toolkit/theme.py``…) that makes the name stand for
its new module: ``import toolkit.theme`` gives the very module ``toolkit.charts.theme``.
Nothing new should import an old name; the import-graph test treats each as its new home.
"""

#: Old module name -> the module it now stands for.
ALIASES = {
    "toolkit.analyses": "toolkit.catalog",
    "toolkit.theme": "toolkit.charts.theme",
    "toolkit.customer_charts": "toolkit.charts.customers",
    "toolkit.satisfaction_charts": "toolkit.charts.satisfaction",
    "toolkit.notebook": "toolkit.reports.context",
    "toolkit.needs_report": "toolkit.reports.needs",
    "toolkit.customer_report": "toolkit.reports.customers",
    "toolkit.satisfaction_report": "toolkit.reports.satisfaction",
    "toolkit.report_kernels": "toolkit.reports.kernels",
    "toolkit.sources.canonical": "toolkit.schema.checks",
}
