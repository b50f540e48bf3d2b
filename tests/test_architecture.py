"""The architecture's rules hold: import contracts (import-linter, in pyproject.toml), one unit of
work, templates that ask the policy, and imports at the top of modules."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "voice"
LINT = Path(sys.executable).with_name("lint-imports")


def _modules():
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]


def _lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=folder, capture_output=True, text=True,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold_and_a_violation_breaks_them(tmp_path):
    kept = _lint(ROOT)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    # A copy where a service reaches into Flask and a child page into a staff page: refused.
    copy = tmp_path / "copy"
    shutil.copytree(PACKAGE, copy / "voice", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    service = copy / "voice" / "cases" / "service.py"
    service.write_text(service.read_text() + "\nfrom flask import g  # noqa\n")
    child = copy / "voice" / "child" / "routes.py"
    child.write_text(child.read_text() + "\nfrom ..review import routes  # noqa\n")
    broken = _lint(copy)
    assert broken.returncode != 0
    assert "voice.cases.service is not allowed to import flask" in broken.stdout
    assert "voice.child is not allowed to import voice.review.routes" in broken.stdout


def test_only_the_unit_of_work_helpers_commit():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _modules() if p.name != "db.py"
             for n, line in enumerate(p.read_text().splitlines(), 1) if ".commit()" in line]
    assert found == []


def test_templates_ask_the_policy_instead_of_comparing_roles_or_organisation_kinds():
    pattern = re.compile(r"\.role\s*(==|!=|in\b)|org\.kind\s*(==|!=|in\b)|"
                         r"\"(service_admin|org_admin|panel_member|ictg|advocate|provider|panel)\"\s*(==|!=)")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "templates").rglob("*.html")
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert found == []


def test_imports_are_at_the_top_of_modules_except_heavy_lazy_ones_with_a_reason():
    found = []
    for path in _modules():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    line = lines[inner.lineno - 1]
                    relative = isinstance(inner, ast.ImportFrom) and inner.level > 0
                    if relative or "# heavy:" not in line:
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert found == []


def test_modules_stay_readable_in_one_sitting():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _modules()
            if (n := len(p.read_text().splitlines())) > 450]
    assert long == []
