"""docs/errors.md lists every error of the tree with the exit code and HTTP status the code really uses."""

import inspect
import re
from pathlib import Path

from biplomacy.core import errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _documented() -> dict[str, tuple[int, int]]:
    rows = re.findall(r"^\| `(\w+)`[^|]*\|[^|]*\| (\d) \| (\d{3}) \|", DOC.read_text(), re.MULTILINE)
    return {name: (int(code), int(status)) for name, code, status in rows}


def test_every_error_class_is_documented_with_its_real_exit_code_and_status():
    tree = {name: (cls.exit_code, cls.http_status) for name, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, errors.BiplomacyError)}
    assert len(tree) >= 10
    assert _documented() == tree
