"""The toolkit theme and renderers, tested on specs and mimebundles (no browser)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import altair as alt
import pandas as pd
import pytest
from altair import JupyterChart

from toolkit.charts import theme
from toolkit.charts.theme import OKABE_ITO, REPORT_RENDERER, THEME, enable_charts, vega_script

URL = re.compile(r"https?://|//cdn|jsdelivr|unpkg|cdnjs|esm\.sh", re.IGNORECASE)


@pytest.fixture(autouse=True)
def restore_altair_state():
    """enable_charts changes process-wide Altair state; put it back after each test."""
    renderers = alt.renderers._get_state()
    active_theme = alt.theme.active
    offline = JupyterChart._is_offline
    yield
    alt.renderers._set_state(renderers)
    alt.theme.enable(active_theme)
    JupyterChart.enable_offline(offline)


def bar_chart(description: str = "Share of customers naming each service") -> alt.Chart:
    needs = pd.DataFrame({"service": ["Advice", "Bookings", "Repairs"], "share": [0.4, 0.3, 0.3]})
    return (
        alt.Chart(needs)
        .mark_bar()
        .encode(
            x=alt.X(field="service", type="nominal", title="Service"),
            y=alt.Y(field="share", type="quantitative", title="Share"),
            color=alt.Color(field="service", type="nominal"),
        )
        .properties(title="Needs named", description=description)
    )


def font_sizes(config: dict) -> dict[str, float]:
    """Every ``*fontSize`` / ``*FontSize`` value in a config, keyed by its path."""
    found = {}
    for key, value in config.items():
        if isinstance(value, dict):
            found.update({f"{key}.{k}": v for k, v in font_sizes(value).items()})
        elif key.lower().endswith("fontsize"):
            found[key] = value
    return found


# ----------------------------------------------------------------- theme


def test_theme_is_registered_but_not_enabled_on_import():
    code = (
        "import altair as alt, toolkit.charts.theme; "
        "print(alt.theme.active, 'service-toolkit' in alt.theme.names())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["default", "True"]


def test_chart_spec_carries_okabe_ito_palette():
    enable_charts(interactive=False)
    config = bar_chart().to_dict()["config"]

    assert config["range"]["category"] == list(OKABE_ITO)
    assert len(set(OKABE_ITO)) == 8
    # Okabe & Ito (2008): the eight colours of the colour-universal-design palette.
    assert set(OKABE_ITO) == {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    assert OKABE_ITO[0] != "#F0E442"  # yellow is too pale on white to lead


def test_theme_fonts_are_at_least_12px():
    enable_charts(interactive=False)
    config = bar_chart().to_dict()["config"]
    sizes = font_sizes(config)

    for required in (
        "axis.labelFontSize",
        "axis.titleFontSize",
        "legend.labelFontSize",
        "legend.titleFontSize",
        "title.fontSize",
    ):
        assert required in sizes
    assert all(size >= 12 for size in sizes.values()), sizes


def test_theme_has_fixed_size_not_container_width():
    enable_charts(interactive=False)
    spec = bar_chart().to_dict()
    view = spec["config"]["view"]

    assert view["continuousWidth"] == 480
    assert view["continuousHeight"] == 300
    assert "container" not in json.dumps(spec)


def test_theme_does_not_override_a_charts_own_colours():
    enable_charts(interactive=False)
    chart = bar_chart().encode(
        color=alt.Color(field="service", type="nominal", scale=alt.Scale(scheme="greys"))
    )
    assert chart.to_dict()["encoding"]["color"]["scale"] == {"scheme": "greys"}


# ----------------------------------------------------------------- renderers


def test_interactive_uses_offline_jupyter_renderer():
    enable_charts(interactive=True)

    assert alt.renderers.active == "jupyter"
    assert alt.renderers.options["offline"] is True
    assert alt.renderers.options["embed_options"]["actions"]["editor"] is False
    assert alt.theme.active == THEME


def test_report_renderer_is_enabled_without_actions():
    enable_charts(interactive=False)

    assert alt.renderers.active == REPORT_RENDERER
    assert alt.renderers.options == {"embed_options": {"actions": False}}
    bundle = bar_chart()._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert '"actions":false' in bundle["text/html"]
    assert '"mode":"vega-lite"' in bundle["text/html"]
    assert bundle["text/plain"] == "Chart: Needs named — Share of customers naming each service"


def test_report_output_has_no_urls_and_no_vega_code():
    enable_charts(interactive=False)
    output = bar_chart()._repr_mimebundle_()["text/html"]

    assert URL.search(output) is None, URL.search(output)
    assert "<script src" not in output
    assert "window.vegaEmbed(" in output  # calls the global…
    assert "window.vegaEmbed=" not in output  # …never defines it
    assert len(output) < 5_000


def test_report_output_holds_the_chart_spec():
    enable_charts(interactive=False)
    chart = bar_chart()
    output = chart._repr_mimebundle_()["text/html"]
    spec_json = re.search(r"var spec = (\{.*\});\n", output).group(1)

    expected = {key: value for key, value in chart.to_dict().items() if key != "$schema"}
    assert json.loads(spec_json) == expected


def test_two_report_charts_share_one_vega_and_have_distinct_ids():
    enable_charts(interactive=False)
    first = bar_chart()._repr_mimebundle_()["text/html"]
    second = bar_chart()._repr_mimebundle_()["text/html"]  # the same chart twice
    both = first + second

    ids = re.findall(r'<div id="([^"]+)"', both)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert len(both) < 10_000  # the 0.9 MB bundle is in neither
    assert "vegaEmbed=" not in both and "vegaLite=" not in both


def test_report_output_escapes_text_that_could_close_the_script():
    enable_charts(interactive=False)
    output = bar_chart("Ends </script><script>alert(1)</script> & more")._repr_mimebundle_()
    html = output["text/html"]

    assert html.count("</script>") == 1
    assert "\\u003c/script\\u003e" in html
    assert "alert(1)" in html  # kept as data, not markup


# ----------------------------------------------------------------- vega_script


def test_vega_script_defines_the_globals_once_and_is_cached():
    script = vega_script()

    assert script is vega_script()
    assert script.count("window.vegaEmbed=") == 1
    assert "window.VEGA_DEBUG" in script
    assert re.search(r"</script", script, re.IGNORECASE) is None
    assert len(script) > 500_000  # the whole bundle, not a loader
    assert re.search(r"<script[^>]*\ssrc=|import\(\s*[\"']https?:", script) is None


def test_vega_debug_matches_what_altairs_html_renderer_checks():
    from altair.vegalite.v6.display import VEGA_VERSION, VEGAEMBED_VERSION, VEGALITE_VERSION

    versions = json.loads(
        re.search(
            r"window\.VEGA_DEBUG = Object\.assign\(window\.VEGA_DEBUG \|\| \{\}, (\{.*?\})\);",
            vega_script(),
        ).group(1)
    )
    assert versions == {
        "vega_version": VEGA_VERSION,
        "vegalite_version": VEGALITE_VERSION,
        "vegaembed_version": VEGAEMBED_VERSION,
    }


def test_set_embed_options_after_interactive_drops_offline():
    """Why enable_charts passes embed options itself (documented pitfall)."""
    enable_charts(interactive=True)
    alt.renderers.set_embed_options(actions=False)
    assert "offline" not in alt.renderers.options


def test_module_exports():
    assert set(theme.__all__) >= {"enable_charts", "vega_script", "theme_config", "OKABE_ITO"}
