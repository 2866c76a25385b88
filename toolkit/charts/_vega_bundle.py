"""The Vega bundle a report page inlines once, kept on disk so reports need not rebuild it.

Separate from :mod:`toolkit.charts.theme` so that the report writer can read the bundle without
importing Altair (two seconds); :func:`toolkit.charts.theme.vega_script` is this function.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["vega_script"]


def _js_json(value: Any) -> str:
    r"""Serialise *value* as JSON that is safe inside an HTML ``<script>`` element.

    Parameters
    ----------
    value : Any
        A JSON-serialisable object.

    Returns
    -------
    str
        JSON text in which ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\uXXXX``
        escapes, so no string in the data can close the script or break the JavaScript.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


@functools.cache
def vega_script() -> str:
    """Return the JavaScript a report inlines once, in a ``<script>`` in its ``<head>``.

    Returns
    -------
    str
        vl-convert's bundle of Vega, Vega-Lite (the version Altair targets) and
        vega-embed, wrapped in a function so its internal names stay out of the page's
        global scope, setting ``window.vegaEmbed``, ``window.vegaLite`` and
        ``window.vega``; then ``window.VEGA_DEBUG`` holding the versions Altair's own
        ``html`` renderer checks, so a chart shown with that renderer uses this copy
        instead of fetching Vega from jsdelivr. Every ``</script`` is escaped, so the
        text can be placed inside a ``<script>`` element as is.

    Notes
    -----
    ``VEGA_DEBUG`` is an Altair internal (``altair/utils/html.py``), covered by a
    browser test that fails on any outside request. Building the bundle takes a second
    or two (and importing Altair two more), so the result is kept for the process and
    on disk, in ``vega-<versions>.js`` in the toolkit's cache folder
    (``$SERVICE_TOOLKIT_CACHE``, else ``~/.cache/service-toolkit``), named after the
    versions of Altair and vl-convert that made it; a cache that cannot be read or
    written is simply rebuilt.
    """
    cached = _bundle_cache_file()
    if cached is not None:
        try:
            text = cached.read_text(encoding="utf-8")
            if text.endswith(_BUNDLE_END):
                return text
        except OSError:
            pass
    script = _build_vega_script()
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
            partial.write_text(script, encoding="utf-8")
            os.replace(partial, cached)
        except OSError:
            pass
    return script


_BUNDLE_END = "/* service-toolkit vega bundle end */\n"


def _bundle_cache_file() -> Path | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        versions = f"altair-{version('altair')}-vl-convert-{version('vl-convert-python')}"
    except PackageNotFoundError:
        return None
    root = os.environ.get("SERVICE_TOOLKIT_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(base) / "service-toolkit")
    return Path(root).expanduser() / f"vega-{re.sub(r'[^A-Za-z0-9.+-]', '_', versions)}.js"


def _build_vega_script() -> str:
    from altair.utils._importers import vl_version_for_vl_convert
    from altair.vegalite.v6.display import VEGA_VERSION, VEGAEMBED_VERSION, VEGALITE_VERSION

    from toolkit.charts.drawing import vega

    bundle = vega("javascript_bundle", vl_version=vl_version_for_vl_convert())
    versions = {
        "vega_version": VEGA_VERSION,
        "vegalite_version": VEGALITE_VERSION,
        "vegaembed_version": VEGAEMBED_VERSION,
    }
    script = (
        "(function () {\n"
        f"{bundle}\n"
        "})();\n"
        f"window.VEGA_DEBUG = Object.assign(window.VEGA_DEBUG || {{}}, {_js_json(versions)});\n"
    )
    return re.sub(r"</(script)", r"<\\/\1", script, flags=re.IGNORECASE) + _BUNDLE_END
