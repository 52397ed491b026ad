"""Layout rules: edge and hub never import each other; contracts and hub.domain stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

IO_LIBS = {"paho", "redis", "fastapi", "starlette", "aiortc", "av", "cv2", "uvicorn", "httpx"}


def _imports(package: str) -> dict[Path, set[str]]:
    out: dict[Path, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[path] = names
    return out


@pytest.mark.parametrize(("package", "forbidden"), [("edge", {"hub"}), ("hub", {"edge"})])
def test_edge_and_hub_do_not_import_each_other(package: str, forbidden: set[str]) -> None:
    bad = {
        str(p.relative_to(REPO)): n & forbidden
        for p, n in _imports(package).items()
        if n & forbidden
    }
    assert not bad


PURE = {"contracts": IO_LIBS | {"edge", "hub"}, "hub/domain": IO_LIBS}


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_do_no_io(package: str) -> None:
    forbidden = PURE[package]
    bad = {
        str(p.relative_to(REPO)): n & forbidden
        for p, n in _imports(package).items()
        if n & forbidden
    }
    assert not bad


def test_each_top_level_package_has_a_readme() -> None:
    for folder in (
        "contracts",
        "edge",
        "hub",
        "wall_ui",
        "models",
        "configs",
        "docker",
        "bench",
        "docs",
        "tests",
    ):
        assert (REPO / folder / "README.md").is_file(), folder
