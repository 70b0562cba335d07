"""Imports run one way: http → service → domain and store; projections read the domain and the store;
nothing below the routes imports ledger.http; the domain imports nothing of ledger but itself.

Every module under ledger/, projections/ and schemas/ is parsed (not imported), and every import
of ours is checked, wherever it is written: at the top, inside a function, under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "projections", "schemas")

# ledger's top-level modules that any layer but the domain and the contracts may use: settings,
# logging, metrics, the LRU and shared lookups, the wall clock, the garbage collector's settings.
BASE = {
    "ledger",
    "ledger.config",
    "ledger.logs",
    "ledger.metrics",
    "ledger.lru",
    "ledger.shared_lookups",
    "ledger.clock",
    "ledger.gc_tuning",
}
# Entry points: they wire everything together (the `crisis-ledger` command, a package of its own).
ENTRY = "ledger.cli"

# layer -> the other layers it may import (every layer may import itself).
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "domain": {"schemas"},
    "base": set(),
    "store": {"domain", "base", "schemas"},
    "projections": {"domain", "store", "base", "schemas"},
    "feed": {"domain", "store", "base", "schemas"},
    "audit": {"domain", "store", "projections", "base", "schemas"},
    "service": {"domain", "store", "projections", "feed", "base", "schemas"},
    "webhooks": {"domain", "store", "projections", "feed", "service", "base", "schemas"},
    "workers": {"domain", "store", "projections", "feed", "service", "audit", "webhooks", "base", "schemas"},
    "http": {"domain", "store", "projections", "feed", "service", "audit", "webhooks", "workers", "base", "schemas"},
    "entry": {
        "domain",
        "store",
        "projections",
        "feed",
        "service",
        "audit",
        "webhooks",
        "workers",
        "http",
        "base",
        "schemas",
    },
}
SUBPACKAGES = ("domain", "store", "service", "feed", "audit", "webhooks", "workers", "http")


def layer_of(module: str) -> str | None:
    """The layer a module of ours belongs to; None for a module of ledger that has no layer yet."""
    top = module.split(".")[0]
    if top in ("schemas", "projections"):
        return top
    if module in BASE:
        return "base"
    if module == ENTRY or module.startswith(ENTRY + "."):
        return "entry"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, str]:
    return {
        module_name(path): path.read_text()
        for package in PACKAGES
        for path in sorted(ROOT.joinpath(package).rglob("*.py"))
    }


def imports_of(module: str, source: str, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) for each of our modules that `source` imports, anywhere in the file.
    `from ledger.audit import checkpoints` counts as ledger.audit.checkpoints."""
    package = module if module in known and _is_package(module, known) else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in known else base))
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def _is_package(module: str, known: set[str]) -> bool:
    return any(other.startswith(module + ".") for other in known)


def violations(modules: dict[str, str]) -> list[str]:
    """Every import that breaks the direction, as 'importer:line imports imported (layer → layer)'."""
    known = set(modules)
    found: list[str] = []
    for module, source in sorted(modules.items()):
        importer = layer_of(module)
        if importer is None:
            found.append(f"{module} belongs to no layer: put it in a subpackage of ledger or list it in BASE")
            continue
        for line, imported in imports_of(module, source, known):
            target = layer_of(imported)
            if target is None:
                found.append(f"{module}:{line} imports {imported}, which belongs to no layer")
            elif target != importer and target not in ALLOWED[importer]:
                found.append(f"{module}:{line} imports {imported} ({importer} may not import {target})")
    return found


def test_imports_run_one_way() -> None:
    modules = sources()
    assert "ledger.domain.rules" in modules and "ledger.http.app" in modules  # (the walk found the tree)
    assert violations(modules) == []


def test_the_layers_form_no_cycle() -> None:
    """If two layers could import each other the direction would mean nothing: the table is a DAG."""
    done: set[str] = set()

    def visit(layer: str, path: tuple[str, ...]) -> None:
        assert layer not in path, f"layers import each other: {' → '.join((*path, layer))}"
        if layer in done:
            return
        for below in ALLOWED[layer]:
            visit(below, (*path, layer))
        done.add(layer)

    for layer in ALLOWED:
        visit(layer, ())


FINE = {
    "ledger.domain.rules": "from ledger.domain.errors import NotFound\nfrom schemas.events import Event\n",
    "ledger.domain.errors": "",
    "ledger.store.events": "from ledger import metrics\nfrom ledger.domain import errors\n",
    "ledger.metrics": "",
    "ledger.http.app": "from ledger.store.events import EventStore\n",
    "schemas.events": "import msgspec\n",
}


def test_a_clean_synthetic_tree_passes() -> None:
    assert violations(FINE) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("ledger.domain.rules", "from ledger.store.events import EventStore\n", "domain may not import store"),
        ("ledger.domain.rules", "from projections import sla\n", "domain may not import projections"),
        ("ledger.domain.rules", "from ledger import metrics\n", "domain may not import base"),
        (
            "ledger.store.events",
            "def f():\n    from ledger.http.app import create_app\n",
            "ledger.store.events:2 imports ledger.http.app (store may not import http)",
        ),
        (
            "ledger.store.events",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ledger.service.access\n",
            "store may not import service",
        ),
        ("schemas.events", "from ledger.domain.errors import NotFound\n", "schemas may not import domain"),
        ("ledger.http.app", "from ledger import cli\n", "http may not import entry"),
        ("ledger.store.events", "from ledger.helpers import x\n", "imports ledger.helpers, which belongs to no layer"),
    ],
)
def test_a_bad_import_is_named(module: str, source: str, expected: str) -> None:
    found = violations({**FINE, "ledger.cli": "", "ledger.service.access": "", module: source})
    assert len(found) == 1 and expected in found[0], found


def test_a_module_outside_the_layers_is_named() -> None:
    assert violations({**FINE, "ledger.shell": ""}) == [
        "ledger.shell belongs to no layer: put it in a subpackage of ledger or list it in BASE"
    ]


def test_a_relative_import_is_resolved() -> None:
    found = violations({**FINE, "ledger.domain.plan": "from ..store import events\n", "ledger.store": ""})
    assert found == ["ledger.domain.plan:1 imports ledger.store.events (domain may not import store)"]
