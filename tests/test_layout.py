"""The layout rules of STYLE.md §1: the product app never imports the tooling beside it, and
its modules stay small enough to read."""

import ast
from pathlib import Path

CLAIMS = Path(__file__).resolve().parent.parent / "claims"


def _imports_bench(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name == "bench" or alias.name.startswith("bench.") for alias in node.names)
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return node.module == "bench" or node.module.startswith("bench.")
    return False


def test_product_app_imports_nothing_from_bench():
    files = sorted(CLAIMS.rglob("*.py"))
    assert files, f"no Python files under {CLAIMS}"
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if _imports_bench(node):
                offenders.append(f"{path.relative_to(CLAIMS.parent)}:{node.lineno}")
    assert not offenders, "claims/ imports from bench/: " + ", ".join(offenders)


MAX_MODULE_LINES = 500


def test_product_modules_stay_under_five_hundred_lines():
    """A module past ~500 lines holds two things: split it by concern (STYLE.md §1)."""
    sizes = {
        str(path.relative_to(CLAIMS.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in CLAIMS.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
