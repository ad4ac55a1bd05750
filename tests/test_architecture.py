"""The domain stays free of I/O frameworks: energy, reserve, supervision and peers import none of them."""

import ast
from pathlib import Path

import biplomacy

DOMAIN = ("energy", "reserve", "supervision", "peers")
FORBIDDEN = {"sqlalchemy", "httpx", "fastapi", "starlette", "typer", "rich", "alembic", "psycopg", "uvicorn",
             "requests", "click", "jinja2"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
            if node.module.startswith("biplomacy.") and node.module.split(".")[1] in {"adapters", "cli", "web", "services"}:
                found.add(node.module)
    return found


def test_domain_packages_import_no_database_web_cli_or_http_framework():
    root = Path(biplomacy.__file__).parent
    offenders = []
    for pkg in DOMAIN:
        for path in sorted((root / pkg).rglob("*.py")):
            bad = {m for m in _imports(path) if m in FORBIDDEN or m.startswith("biplomacy.")}
            if bad:
                offenders.append(f"{path.relative_to(root)}: {', '.join(sorted(bad))}")
    assert not offenders, "domain modules importing I/O layers:\n" + "\n".join(offenders)


def test_the_check_itself_catches_an_offending_import(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("import sqlalchemy\nfrom fastapi import FastAPI\nfrom biplomacy.store import db\n")
    assert {"sqlalchemy", "fastapi", "biplomacy.store"} <= _imports(f)
