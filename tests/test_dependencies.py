"""Every package the application declares is one it uses: nothing installed in production for
nothing (each is more code that could have a security hole)."""
from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Used without an import statement in voice/, and by what.
USED_BY_NAME = {
    "psycopg": "SQLAlchemy, for a postgresql+psycopg:// DATABASE_URL",
    "govuk-frontend-jinja": "the templates, loaded by package name in voice/app.py",
    "email-validator": "WTForms' Email validator in voice/admin/forms.py",
    "gunicorn": "the production web server (README)",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported() -> set[str]:
    names = set()
    for path in (ROOT / "voice").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_used():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normal(re.match(r"[A-Za-z0-9_.\-]+", spec).group(0))
                for spec in project["dependencies"]}
    modules: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            modules.setdefault(_normal(distribution), set()).add(module)
    imported = _imported()
    unused = sorted(name for name in declared
                    if name not in USED_BY_NAME and not modules.get(name, set()) & imported)
    assert unused == [], f"declared in pyproject.toml but never imported by voice/: {unused}"
