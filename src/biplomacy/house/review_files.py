"""The review pack as files (the edge): DIR/review.html and DIR/review.pdf rendered from one template, and
DIR/review.json, the document itself, which a later pack is diffed against. Written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from biplomacy.core.errors import InputError
from biplomacy.house.review import check_pack

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
FILES = ("review.json", "review.html", "review.pdf")


def render_html(pack: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("review/pack.html").render(pack=pack)


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint (Pango lays the text out; fonts from fontconfig, no network)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def write_pack(pack: dict[str, Any], out: Path) -> list[Path]:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", field="out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot make folder {out}: {exc.strerror}", field="out") from None
    html = render_html(pack)
    contents: dict[str, bytes] = {"review.json": (json.dumps(pack, indent=1, ensure_ascii=False) + "\n").encode(),
                                  "review.html": html.encode("utf-8"), "review.pdf": render_pdf(html)}
    written = []
    try:
        for name, data in contents.items():
            partial = out / (name + ".partial")
            partial.write_bytes(data)
            written.append(partial)
        for p in written:
            p.replace(out / p.name.removesuffix(".partial"))
    except OSError as exc:
        for p in written:
            p.unlink(missing_ok=True)
        raise InputError(f"cannot write the pack into {out}: {exc.strerror}", field="out") from None
    return [out / name for name in FILES]


def read_pack(path: Path) -> dict[str, Any]:
    """A pack written before: its folder or its review.json."""
    target = path / "review.json" if path.is_dir() else path
    if not target.is_file():
        raise InputError(f"{path}: no review.json there (write one with `biplomacy review pack --out DIR`)",
                         field="pack")
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{target}: not JSON ({exc})", field="pack") from None
    return check_pack(doc, str(target))
