"""The package's folders are its layers, and imports run one way only: from the top down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.runtime.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
FRAMEWORKS = ("rasa", "rasa_sdk", "sqlalchemy", "alembic", "aiohttp", "aiosmtplib", "spacy")
# The settings module is the one leaf of bot/runtime that every layer may read.
SETTINGS = "bot.runtime.settings"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute names only."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_of(layer: str, *, entry_points: bool = True) -> list[Path]:
    files = sorted((BOT / layer).rglob("*.py"))
    return [f for f in files if entry_points or f.name != "__main__.py"]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("path", modules_of("domain"), ids=lambda p: p.name)
def test_the_domain_imports_no_framework_and_no_other_layer(path):
    for name in imported_modules(path):
        assert not any(within(name, f) for f in FRAMEWORKS), f"{path.name} imports {name}"
        if within(name, "bot"):
            assert within(name, "bot.domain"), f"{path.name} imports {name}"


LOWER = ["services", "storage", "mail", "nlp", "insight"]


@pytest.mark.parametrize(
    "path",
    [p for layer in LOWER for p in modules_of(layer, entry_points=False)],
    ids=lambda p: str(p.relative_to(BOT)),
)
def test_lower_layers_never_import_the_web_app_the_actions_or_the_runtime(path):
    for name in imported_modules(path):
        assert not within(name, "bot.web"), f"{path} imports {name}"
        assert not within(name, "actions"), f"{path} imports {name}"
        if within(name, "bot.runtime"):
            assert name == SETTINGS, f"{path} imports {name}"


@pytest.mark.parametrize("path", modules_of("storage"), ids=lambda p: p.name)
def test_storage_never_imports_the_use_cases(path):
    for name in imported_modules(path):
        assert not within(name, "bot.services"), f"{path.name} imports {name}"


def test_the_package_root_holds_no_modules_beside_its_layers():
    loose = sorted(p.name for p in BOT.glob("*.py") if p.name not in {"__init__.py", "__main__.py"})
    assert loose == []
