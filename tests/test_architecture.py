"""The layout's rules (docs/architecture.md), checked on the code's own imports, every import counted: those
inside functions and under TYPE_CHECKING too.

- A pillar's `model/` (and reserve's `bip322/`) imports no framework, database or network library, and of
  biplomacy only core/ and its own pillar's pure rules.
- Use cases import no web, CLI or server framework: servers, CLIs and routers are edges.
- Only the edges (a pillar's cli*.py and web*.py) and the roots cli/ and web/ import cli/ or web/; web/ never
  imports cli/, a pillar's web module never imports cli/ and its cli module never imports web/.
- Pillars import each other only through their use-case modules (not model/, tables, cli or web).
- core/ imports nothing of biplomacy but core/; chain/ only core/; store/ only core/, store/ and (its table
  registry) each pillar's tables.
- No import cycle.
Each rule is a function over an import graph, so that the tests at the bottom can show it catches a breach.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import biplomacy

PILLARS = frozenset({"house", "energy", "reserve", "supervision", "aml", "peers"})
ROOTS = frozenset({"core", "store", "chain", "cli", "web"})
EDGE = re.compile(r"^(cli|cli_\w+|web|web_\w+|\w+_server|\w+_files)$")
FRAMEWORKS = frozenset({"fastapi", "starlette", "uvicorn", "typer", "click", "rich", "jinja2", "markupsafe",
                        "pydantic", "httptools", "uvloop"})
IO_LIBRARIES = FRAMEWORKS | {"sqlalchemy", "alembic", "psycopg", "sqlite3", "httpx", "requests", "urllib3",
                             "socket", "socketserver", "http", "asyncio", "ssl", "selectors"}

Graph = Mapping[str, Iterable[str]]  # module -> every module it imports (biplomacy and third-party)


def read_graph(root: Path) -> dict[str, set[str]]:
    """Every module under `root` (a biplomacy package folder) with the modules it imports, by dotted name.

    `from a.b import c` counts as an import of a.b.c when that is a module here, else of a.b; a third-party
    import counts by its top-level name."""
    names = {".".join(("biplomacy", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__"): p
             for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name if a.name.startswith("biplomacy") else a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] != "biplomacy":
                    found.add(node.module.split(".")[0])
                    continue
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in names else node.module)
        found.discard(module)
        graph[module] = found
    return graph


def place(module: str) -> tuple[str, str]:
    """(where, kind): where is a pillar, a root (core, store, chain, cli, web) or "biplomacy"; kind is model,
    tables, edge or usecase for a pillar's module, else the root's name."""
    parts = module.split(".")[1:]
    if not parts:
        return "biplomacy", "api"
    if parts[0] in ROOTS:
        return parts[0], parts[0]
    if parts[0] not in PILLARS:
        return parts[0], "unknown"
    if "model" in parts or "bip322" in parts:
        return parts[0], "model"
    if parts[-1] == "tables":
        return parts[0], "tables"
    if EDGE.match(parts[-1]):
        return parts[0], "edge"
    return parts[0], "usecase"


def _ours(graph: Graph) -> dict[str, list[str]]:
    return {m: sorted(t for t in targets if t.startswith("biplomacy.")) for m, targets in graph.items()}


def model_breaches(graph: Graph) -> list[str]:
    out = []
    for module, targets in graph.items():
        where, kind = place(module)
        if kind != "model":
            continue
        for target in targets:
            if not target.startswith("biplomacy"):
                if target in IO_LIBRARIES:
                    out.append(f"{module} imports {target}")
                continue
            t_where, t_kind = place(target)
            if not (t_where == "core" or (t_where == where and t_kind == "model")):
                out.append(f"{module} imports {target}")
    return out


def use_case_breaches(graph: Graph) -> list[str]:
    return [f"{m} imports {t}" for m, targets in graph.items() if place(m)[1] == "usecase"
            for t in targets if t in FRAMEWORKS]


def edge_breaches(graph: Graph) -> list[str]:
    out = []
    for module, targets in _ours(graph).items():
        where, kind = place(module)
        for target in targets:
            t_where = place(target)[0]
            if t_where not in ("cli", "web"):
                continue
            if where == "web" and t_where == "cli":
                out.append(f"{module} imports {target}: web/ never imports cli/")
            elif where in ("cli", "web"):
                continue
            elif kind != "edge":
                out.append(f"{module} imports {target}: only a pillar's cli*.py and web*.py import {t_where}/")
            elif module.split(".")[-1].startswith("web") and t_where == "cli":
                out.append(f"{module} imports {target}: a web module never imports cli/")
            elif module.split(".")[-1].startswith("cli") and t_where == "web":
                out.append(f"{module} imports {target}: a cli module never imports web/")
    return out


def cross_pillar_breaches(graph: Graph) -> list[str]:
    out = []
    for module, targets in _ours(graph).items():
        where = place(module)[0]
        for target in targets:
            t_where, t_kind = place(target)
            if where in PILLARS and t_where in PILLARS and t_where != where and t_kind != "usecase":
                out.append(f"{module} imports {target} ({t_kind} of {t_where}); use one of its use-case modules")
    return out


def root_breaches(graph: Graph) -> list[str]:
    allowed = {"core": {"core"}, "chain": {"core", "chain"}, "store": {"core", "store"}}
    out = []
    for module, targets in _ours(graph).items():
        where = place(module)[0]
        if where not in allowed:
            continue
        for target in targets:
            t_where, t_kind = place(target)
            if t_where in allowed[where]:
                continue
            if module == "biplomacy.store.tables" and t_kind == "tables":
                continue
            out.append(f"{module} imports {target}: {where}/ imports only {', '.join(sorted(allowed[where]))}")
    return out


def cycles(graph: Graph) -> list[list[str]]:
    """The import cycles among biplomacy's modules (Tarjan's strongly connected components of two or more)."""
    ours = _ours(graph)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in ours.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(ours):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


GRAPH = read_graph(Path(biplomacy.__file__).parent)


def test_every_module_has_a_known_place():
    assert [m for m in GRAPH if place(m)[1] == "unknown"] == []


def test_model_packages_import_no_framework_database_or_network_and_only_core_and_their_own_rules():
    assert model_breaches(GRAPH) == []


def test_use_cases_import_no_web_cli_or_server_framework():
    assert use_case_breaches(GRAPH) == []


def test_only_the_edges_import_cli_or_web_and_web_never_imports_cli():
    assert edge_breaches(GRAPH) == []


def test_pillars_use_each_other_only_through_use_case_modules():
    assert cross_pillar_breaches(GRAPH) == []


def test_core_chain_and_store_import_nothing_above_them():
    assert root_breaches(GRAPH) == []


def test_there_is_no_import_cycle_counting_imports_inside_functions():
    assert cycles(GRAPH) == []


def test_the_reader_counts_imports_inside_functions_and_under_type_checking(tmp_path):
    pkg = tmp_path / "biplomacy"
    (pkg / "store").mkdir(parents=True)
    (pkg / "store" / "__init__.py").write_text("")
    (pkg / "store" / "db.py").write_text("def f():\n    from biplomacy.store import migrate\n")
    (pkg / "store" / "migrate.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                              "    from biplomacy.store.db import Store\nimport sqlalchemy.orm\n")
    graph = read_graph(pkg)
    assert graph["biplomacy.store.db"] == {"biplomacy.store.migrate"}
    assert graph["biplomacy.store.migrate"] == {"biplomacy.store.db", "sqlalchemy", "typing"}
    assert cycles(graph) == [["biplomacy.store.db", "biplomacy.store.migrate"]]


def test_each_rule_catches_a_breach():
    bad = {
        "biplomacy.energy.model.planner": {"sqlalchemy", "biplomacy.store.db", "biplomacy.energy.plan"},
        "biplomacy.reserve.bip322.message": {"httpx"},
        "biplomacy.aml.scan": {"fastapi"},
        "biplomacy.energy.plan": {"biplomacy.cli.output", "biplomacy.house.tables", "biplomacy.house.audit"},
        "biplomacy.web.app": {"biplomacy.cli.context"},
        "biplomacy.peers.web": {"biplomacy.cli.output", "biplomacy.energy.model.scenario"},
        "biplomacy.core.units": {"biplomacy.store.db"},
        "biplomacy.chain.esplora": {"biplomacy.reserve.wallets"},
        "biplomacy.store.db": {"biplomacy.energy.tables"},
        "biplomacy.store.tables": {"biplomacy.energy.tables"},
        "biplomacy.house.audit": {"biplomacy.energy.plan"},
    }
    assert sorted(model_breaches(bad)) == ["biplomacy.energy.model.planner imports biplomacy.energy.plan",
                                           "biplomacy.energy.model.planner imports biplomacy.store.db",
                                           "biplomacy.energy.model.planner imports sqlalchemy",
                                           "biplomacy.reserve.bip322.message imports httpx"]
    assert use_case_breaches(bad) == ["biplomacy.aml.scan imports fastapi"]
    assert sorted(edge_breaches(bad)) == [
        "biplomacy.energy.plan imports biplomacy.cli.output: only a pillar's cli*.py and web*.py import cli/",
        "biplomacy.peers.web imports biplomacy.cli.output: a web module never imports cli/",
        "biplomacy.web.app imports biplomacy.cli.context: web/ never imports cli/"]
    assert sorted(cross_pillar_breaches(bad)) == [
        "biplomacy.energy.plan imports biplomacy.house.tables (tables of house); use one of its use-case modules",
        "biplomacy.peers.web imports biplomacy.energy.model.scenario (model of energy); use one of its use-case "
        "modules"]
    assert sorted(root_breaches(bad)) == [
        "biplomacy.chain.esplora imports biplomacy.reserve.wallets: chain/ imports only chain, core",
        "biplomacy.core.units imports biplomacy.store.db: core/ imports only core",
        "biplomacy.store.db imports biplomacy.energy.tables: store/ imports only core, store"]
    assert cycles(bad) == [["biplomacy.energy.plan", "biplomacy.house.audit"]]
