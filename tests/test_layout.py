"""The toolkit's layers only point down (issue #14).

Every module under ``toolkit/`` is read with :mod:`ast` (nothing is imported): its
imports at module level and inside functions, relative imports resolved, and modules
named in ``import_module("toolkit....")`` calls or lazy-export tables. Each module has a
layer (:data:`LAYERS`, top to bottom); an import from a lower layer into a higher one (an
upward arrow) fails, and so does a cycle of module-level imports. Across layers, reports
and charts may use only public names of the layers below them (no ``_private`` names).

Allowed exceptions are listed in :data:`ALLOWED_UPWARD` and :data:`KNOWN_PRIVATE_USES`,
each with its reason; they should only ever shrink.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The layers, top to bottom. A module belongs to the first layer with a matching
#: prefix (``toolkit.forms`` matches ``toolkit.forms`` and ``toolkit.forms.app``).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("public API", ("toolkit",)),  # toolkit/__init__.py only (exact match, see layer_of)
    ("cli and forms", ("toolkit.cli", "toolkit.templates", "toolkit.forms")),
    ("reports", ("toolkit.reports",)),
    ("demo", ("toolkit.demo",)),
    ("charts", ("toolkit.charts",)),
    ("catalog", ("toolkit.catalog",)),
    (
        "analyses",
        (
            "toolkit.needs",
            "toolkit.coding",
            "toolkit.customers",
            "toolkit.satisfaction",
            "toolkit.loop",
            "toolkit.participation",
        ),
    ),
    ("sources", ("toolkit.sources",)),
    ("store", ("toolkit.store", "toolkit.store_pg", "toolkit.store_copy")),
    ("schema", ("toolkit.schema",)),
    (
        "base",
        (
            "toolkit.settings",
            "toolkit._words",
            "toolkit._stats",
            "toolkit._validate",
            "toolkit.errors",
            "toolkit._resources",
            "toolkit._lazy",
            "toolkit._files",
            "toolkit._tabular",
            "toolkit._compat",
            "toolkit._startup",
        ),
    ),
]

#: Layers whose cross-layer imports may use only public names.
PUBLIC_ONLY = {"reports", "charts"}

#: Upward arrows allowed for now: (importer, imported) -> why. Function-level only.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("toolkit.store", "toolkit.sources.importer"): (
        "Engagement.import_file and import_frame hand a file or frame to the importer (file -> "
        "detect -> map -> check -> store): function-level calls, kept so the public methods "
        "stay where users know them"
    ),
}

#: Upward arrows known to be wrong and waiting for their fix: an expected failure each,
#: (importer, imported) -> what removes it. Empty since issue #14; keep it so.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

#: Private names reports and charts use across layers, each an expected failure to cross
#: off when fixed: (importer, "imported_module._name"). Empty since issue #14; keep it so.
KNOWN_PRIVATE_USES: set[tuple[str, str]] = set()


def layer_of(module: str, aliases: dict[str, str] | None = None) -> tuple[int, str] | None:
    """The (rank, name) of ``module``'s layer; rank 0 is the top.

    An old module name in ``aliases`` (``toolkit/_compat.py``) has its new module's layer.
    """
    module = (aliases or {}).get(module, module)
    if module == "toolkit":
        return 0, LAYERS[0][0]
    for rank, (name, prefixes) in enumerate(LAYERS[1:], start=1):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank, name
    return None


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    imported: str  # module name (aliases resolved)
    line: int
    module_level: bool  # False inside a function, a TYPE_CHECKING block or a string import
    names: tuple[str, ...] = ()  # for "from X import a, b": the names taken from X


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package at ``package_dir``, by dotted name."""
    base = package_dir.name
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([base, *parts])] = path
    return found


def read_aliases(package_dir: Path) -> dict[str, str]:
    """``ALIASES`` of ``_compat.py`` (old module name -> its new module), if any."""
    compat = package_dir / "_compat.py"
    if not compat.exists():
        return {}
    for node in ast.parse(compat.read_text()).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "ALIASES":
            return ast.literal_eval(node.value)
    return {}


def _assigns_aliases(node: ast.AST) -> bool:
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return isinstance(node, ast.Assign | ast.AnnAssign) and any(
        isinstance(t, ast.Name) and t.id == "ALIASES" for t in targets
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def read_imports(package_dir: Path) -> tuple[list[Import], list[tuple[str, str, int]]]:
    """All imports among the package's modules, and its attribute uses of them.

    Returns
    -------
    imports : list of Import
    attributes : list of (importer, "module.attribute", line)
        ``sat._event_rows`` where ``sat`` names a package module.
    """
    modules = module_names(package_dir)
    aliases = read_aliases(package_dir)
    root = package_dir.name

    def resolve(name: str) -> str | None:
        name = aliases.get(name, name)
        return name if name in modules else None

    imports: list[Import] = []
    attributes: list[tuple[str, str, int]] = []
    for module, path in modules.items():
        if module in aliases:  # an old name stands for its new module; its file is a shim
            continue
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), filename=str(path))
        _read_module(tree, module, package, root, resolve, imports, attributes)
    return imports, attributes


def _read_module(tree, module, package, root, resolve, imports, attributes) -> None:
    """Add ``module``'s imports and attribute uses (see :func:`read_imports`)."""
    bound: dict[str, str] = {}  # local name -> package module it stands for

    def visit(node: ast.AST, module_level: bool) -> None:
        if _assigns_aliases(node):
            return  # _compat's table of old names: no import
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            module_level = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            module_level = False
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name)
                if target:
                    imports.append(Import(module, target, node.lineno, module_level))
                    if alias.asname:
                        bound[alias.asname] = target
        elif isinstance(node, ast.ImportFrom):
            from_import(node, module_level)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = resolve(node.value) if node.value.startswith(root + ".") else None
            if target and target != module:  # import_module("toolkit.x"), lazy tables
                imports.append(Import(module, target, node.lineno, False))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
        ):
            attributes.append((module, f"{bound[node.value.id]}.{node.attr}", node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, module_level)

    def from_import(node: ast.ImportFrom, module_level: bool) -> None:
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            source = ".".join(anchor + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source != root and not source.startswith(root + "."):
            return
        plain = []
        for alias in node.names:
            sub = resolve(f"{source}.{alias.name}")
            if sub:  # "from toolkit import store": the module toolkit.store
                imports.append(Import(module, sub, node.lineno, module_level))
                bound[alias.asname or alias.name] = sub
            else:
                plain.append(alias.name)
        if source == root:  # "from toolkit import __version__": metadata of the loaded parent
            plain = [n for n in plain if not n.startswith("__")]
        target = resolve(source)
        if plain and target:
            imports.append(Import(module, target, node.lineno, module_level, tuple(plain)))

    visit(tree, True)


# ----------------------------------------------------------------------------- checking


def upward_arrows(imports: Iterable[Import], allowed=()) -> list[str]:
    """Each import from a lower layer into a higher one, worded for a reader."""
    problems = []
    for imp in imports:
        low, high = layer_of(imp.importer), layer_of(imp.imported)
        if low is None or high is None:
            continue  # reported by test_every_module_has_a_layer
        if high[0] < low[0] and (imp.importer, imp.imported) not in allowed:
            where = "at module level" if imp.module_level else "inside a function"
            problems.append(
                f"{imp.importer} (layer {low[1]}) imports {imp.imported} (layer {high[1]}, "
                f"above it) {where}, line {imp.line}"
            )
    return sorted(set(problems))


def cycles(imports: Iterable[Import]) -> list[list[str]]:
    """The cycles of module-level imports (each as its modules, the first repeated last)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.module_level and imp.importer != imp.imported:
            graph.setdefault(imp.importer, set()).add(imp.imported)
    found, state = [], {}  # state: 1 on the current path, 2 done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                ring = path[path.index(nxt) :]
                first = ring.index(min(ring))  # start at the smallest name: a stable wording
                ring = ring[first:] + ring[:first]
                found.append(ring + ring[:1])
            elif nxt not in state:
                walk(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    return found


def cycle_lines(cycle: list[str], imports: Iterable[Import]) -> str:
    lines = {(i.importer, i.imported): i.line for i in imports if i.module_level}
    steps = [f"{a} -> {b} (line {lines[a, b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
    return "; ".join(steps)


def private_uses(imports: list[Import], attributes: list) -> set[tuple[str, str, int]]:
    """``(importer, "module._name", line)`` where reports or charts use a lower layer's private name."""
    found = set()
    uses = [(i.importer, f"{i.imported}.{n}", i.line) for i in imports for n in i.names]
    for importer, dotted, line in uses + attributes:
        module, _, name = dotted.rpartition(".")
        low, high = layer_of(importer), layer_of(module)
        if low is None or high is None or low[1] not in PUBLIC_ONLY or low == high:
            continue
        if name.startswith("_") and not name.startswith("__"):
            found.add((importer, dotted, line))
    return found


def _fail(title: str, problems: list[str], advice: str) -> None:
    if problems:
        pytest.fail(f"{title}:\n  " + "\n  ".join(problems) + f"\n{advice}", pytrace=False)


LAYER_ADVICE = (
    "Layers, top to bottom: " + " -> ".join(name for name, _ in LAYERS) + ". A module may "
    "import its own layer and the layers below it. Move the shared code down a layer, or pass "
    "the higher-layer object in as an argument; an exception must be listed in ALLOWED_UPWARD "
    "(tests/test_layout.py) with its reason."
)


@pytest.fixture(scope="module")
def graph():
    return read_imports(ROOT / "toolkit")


def test_every_module_has_a_layer():
    aliases = read_aliases(ROOT / "toolkit")
    unplaced = [m for m in module_names(ROOT / "toolkit") if layer_of(m, aliases) is None]
    _fail(
        "Modules with no layer",
        unplaced,
        "Add each to LAYERS in tests/test_layout.py (or move it into a layer's package).",
    )


def test_layers_only_point_down(graph):
    imports, _ = graph
    allowed = {**ALLOWED_UPWARD, **KNOWN_UPWARD}
    _fail("Upward imports", upward_arrows(imports, allowed), LAYER_ADVICE)


def test_no_import_cycles(graph):
    imports, _ = graph
    problems = [cycle_lines(c, imports) for c in cycles(imports)]
    _fail(
        "Cycles of module-level imports",
        problems,
        "Break each cycle: move the shared piece into a module both can import, or import "
        "inside the function that needs it.",
    )


def test_allowed_exceptions_are_still_needed(graph):
    imports, _ = graph
    modules = module_names(ROOT / "toolkit")
    made = {(i.importer, i.imported) for i in imports}
    listed = {**ALLOWED_UPWARD, **KNOWN_UPWARD}
    # An exception for a module another branch is still creating waits for that module.
    gone = [f"{a} -> {b}" for a, b in listed if (a, b) not in made and b in modules]
    _fail(
        "Listed upward imports no longer made (cross them off ALLOWED_UPWARD / KNOWN_UPWARD)",
        gone,
        "Well done: delete these entries in tests/test_layout.py so they cannot come back.",
    )
    module_level = [
        f"{i.importer} -> {i.imported}, line {i.line}"
        for i in imports
        if (i.importer, i.imported) in ALLOWED_UPWARD and i.module_level
    ]
    _fail(
        "Allowed upward imports made at module level",
        module_level,
        "The exceptions in ALLOWED_UPWARD are allowed inside functions only.",
    )


def test_reports_and_charts_use_only_public_names_below(graph):
    found = private_uses(*graph)
    new = sorted(
        f"{importer} uses {dotted}, line {line}"
        for importer, dotted, line in found
        if (importer, dotted) not in KNOWN_PRIVATE_USES
    )
    _fail(
        "Private names used across layers",
        new,
        "Give the lower layer a public, documented name for what is needed (or move the code "
        "to the layer that owns it).",
    )
    fixed = sorted(f"{a} uses {b}" for a, b in KNOWN_PRIVATE_USES - {(i, d) for i, d, _ in found})
    _fail(
        "Fixed private uses still listed in KNOWN_PRIVATE_USES (cross them off)",
        fixed,
        "Delete these entries from KNOWN_PRIVATE_USES in tests/test_layout.py.",
    )


# ----------------------------------------------------------------------------- the checker


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "toolkit" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "toolkit"


def test_the_checker_finds_an_upward_arrow_a_cycle_and_a_private_name(tmp_path):
    package = _fake_package(
        tmp_path,
        {
            "__init__.py": "",
            "_compat.py": "ALIASES = {'toolkit.old_theme': 'toolkit.charts.theme'}\n",
            "old_theme.py": "",
            "errors.py": "from toolkit import store\n",  # base -> store: upward, and a cycle
            "store.py": "from . import errors\n\n\ndef f():\n    import toolkit.old_theme\n",
            "charts/__init__.py": "",
            "charts/theme.py": "from ..store import _hidden\nimport toolkit.needs as n\nn._rows\n",
            "needs.py": "",
        },
    )
    imports, attributes = read_imports(package)
    arrows = upward_arrows(imports)
    assert arrows == [
        "toolkit.errors (layer base) imports toolkit.store (layer store, above it) "
        "at module level, line 1",
        "toolkit.store (layer store) imports toolkit.charts.theme (layer charts, above it) "
        "inside a function, line 5",  # the old name counts as the module it stands for
    ]
    (cycle,) = cycles(imports)
    assert cycle_lines(cycle, imports) == (
        "toolkit.errors -> toolkit.store (line 1); toolkit.store -> toolkit.errors (line 1)"
    )
    assert private_uses(imports, attributes) == {
        ("toolkit.charts.theme", "toolkit.store._hidden", 1),
        ("toolkit.charts.theme", "toolkit.needs._rows", 3),
    }
    allowed = {("toolkit.store", "toolkit.charts.theme"): "test"}
    assert len(upward_arrows(imports, allowed)) == 1


def test_the_checker_reads_the_real_package(graph):
    imports, _ = graph
    importers = {i.importer for i in imports}
    assert {"toolkit.store", "toolkit.cli", "toolkit.reports.runner"} <= importers
    assert re.search(r"toolkit\.store", " ".join(i.imported for i in imports))


def test_every_old_module_name_is_its_new_module():
    import importlib

    from toolkit._compat import ALIASES

    assert "toolkit.theme" in ALIASES  # DESIGN section 8 names it
    for old, new in ALIASES.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
