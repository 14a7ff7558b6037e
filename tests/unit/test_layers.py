"""The package layout follows the data flow, and imports run one way (docs/architecture.md).

    config → load → identity → journeys → mining → insights → outputs

A module of a layer imports only from the shared core (db, schema, errors) and from its own
layer or an earlier one; the core imports only the core; the sample generator only the core;
the entry points (cli, pipeline, mine, serve) may import anything. A new module must belong to one
of these groups, so its place in the flow is decided when it is added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "journeymine"
LAYERS = ("config", "load", "identity", "journeys", "mining", "insights", "outputs")
CORE = ("__init__", "db", "schema", "errors", "runcontrol")
ENTRY_POINTS = ("cli", "pipeline", "mine", "serve")
SAMPLE = "sample"
MAX_LINES = 400


def owner(module: str) -> str:
    """The group of a dotted module name inside journeymine: a layer, 'sample', a core or
    entry-point module name; '?' for a module in no group."""
    parts = module.split(".")[1:] or ["__init__"]
    head = parts[0]
    if head in LAYERS or head == SAMPLE or head in CORE or head in ENTRY_POINTS:
        return head
    return "?"


def may_import(importer: str, imported: str) -> bool:
    """The one-way rule between two groups."""
    if importer in ENTRY_POINTS or importer == imported:
        return True
    if imported in CORE:
        return True
    if importer in CORE or importer == SAMPLE or imported in ENTRY_POINTS or imported == SAMPLE:
        return False
    return importer in LAYERS and imported in LAYERS and LAYERS.index(imported) <= LAYERS.index(importer)


def module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) of every journeymine import in a file, at any depth (lazy imports too)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from journeymine import pipeline` imports the module journeymine.pipeline
            found += [(node.lineno, f"{target}.{alias.name}" if target == root.name else target)
                      for alias in node.names]
    return [(line, module) for line, module in found if module.split(".")[0] == root.name]


def find_violations(root: Path) -> list[str]:
    """Every import in the package under `root` that breaks the one-way rule, and every module
    that belongs to no group."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer_module = module_name(path, root)
        importer = owner(importer_module)
        where = path.relative_to(root.parent)
        if importer == "?":
            problems.append(f"{where}: belongs to no layer; put it in one of {', '.join(LAYERS)}")
            continue
        for line, module in imports_of(path, root):
            imported = owner(module)
            if imported != "?" and not may_import(importer, imported):
                problems.append(f"{where}:{line}: {importer} imports {module} ({imported}), a later layer")
    return problems


def test_no_module_imports_a_later_layer() -> None:
    """The real package keeps the rule."""
    assert find_violations(PACKAGE) == []


def test_every_module_is_short_enough_to_hold_in_your_head() -> None:
    """No module is much over 400 lines (the generated sample's story code included)."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES + 10}
    assert long == {}


def write(root: Path, relative: str, text: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("insights/changes.py", "from journeymine.outputs.report import fmt_p\n", "insights imports journeymine.outputs"),
        ("load/stage.py", "def f():\n    from journeymine.mining import graph\n", "load imports journeymine.mining"),
        ("db.py", "from journeymine.config import Config\n", "db imports journeymine.config"),
        ("sample/world.py", "from journeymine import pipeline\n", "sample imports journeymine.pipeline"),
        ("mining/variants.py", "from ..insights import friction\n", "mining imports journeymine.insights"),
        ("helpers.py", "", "helpers.py: belongs to no layer"),
    ],
)
def test_an_import_against_the_flow_is_reported(tmp_path: Path, relative: str, source: str, expected: str) -> None:
    """The checker itself fails on an upward import (absolute, relative or lazy) and on a
    module outside every group."""
    root = tmp_path / "journeymine"
    for package in ("", *LAYERS, SAMPLE):
        write(root, f"{package}/__init__.py" if package else "__init__.py")
    write(root, relative, source)
    problems = find_violations(root)
    assert len(problems) == 1 and expected in problems[0]


def test_imports_down_the_flow_and_from_the_core_are_allowed(tmp_path: Path) -> None:
    """Outputs may read insights, insights mining, any layer the core; entry points anything."""
    root = tmp_path / "journeymine"
    write(root, "__init__.py")
    write(root, "outputs/report.py", "from journeymine.insights.stats import fmt_p\nfrom journeymine.db import Warehouse\n")
    write(root, "insights/funnel.py", "from journeymine.mining.conformance import x\nfrom . import stats\n")
    write(root, "cli.py", "from journeymine.outputs import report\nfrom journeymine.sample import write_sample\n")
    assert find_violations(root) == []
