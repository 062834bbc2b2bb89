"""The shape the project keeps: arrows point web -> workflow -> channels, small modules,
imports at the top, and workers that need no web app."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("workflow", "channels", "web")
#: A module past this many lines wants splitting (the redesign's "about 400").
MAX_LINES = 420


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "versions" not in p.parts)


def imported(path: Path) -> list[tuple[str, int, bool]]:
    """(module, line, at top level) for every import in ``path``, relative ones made absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    top = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` blocks count as the top
        if isinstance(node, ast.If):
            top.update(id(child) for child in node.body)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno, id(node) in top))
    return out


def offenders(package: str, forbidden: tuple[str, ...], only: str = "") -> list[str]:
    found = []
    for path in modules(package):
        if only and only not in path.parts:
            continue
        for name, line, _ in imported(path):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return found


def test_channels_import_nothing_from_workflow_or_web():
    assert offenders("channels", ("workflow", "web")) == []


def test_the_simulators_import_nothing_from_workflow_or_web():
    assert offenders("channels", ("workflow", "web"), only="simulators") == []


def test_web_reaches_the_channels_only_through_workflow():
    # The one exception: `crier run` and `crier simulate` start the local simulators for the demo.
    direct = [line for line in offenders("web", ("channels",))
              if not (line.startswith("web/cli/run.py") and ".simulators." in line)]
    assert direct == []


def test_workflow_never_imports_web_or_flask():
    assert offenders("workflow", ("web", "flask", "flask_login", "flask_wtf", "werkzeug")) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_stand_at_the_top_of_each_module(package):
    late = [f"{path.relative_to(ROOT)}:{line} imports {name} inside a function"
            for path in modules(package) for name, line, at_top in imported(path) if not at_top]
    assert late == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_too_long_to_read(package):
    long = {str(p.relative_to(ROOT)): n for p in modules(package)
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_every_workflow_package_says_what_lives_there():
    for init in (ROOT / "workflow").glob("*/__init__.py"):
        if init.parent.name == "migrations":
            continue
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init.relative_to(ROOT)} has no docstring"


def test_a_worker_starts_from_the_settings_alone_without_flask(tmp_path):
    script = ("import sys\n"
              "from workflow.delivery.workers import engine_from_environment, services_of\n"
              "celery = engine_from_environment()\n"
              "runtime = services_of(celery).runtime\n"
              "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if m.startswith('flask'))\n"
              "assert 'web' not in sys.modules\n"
              "print(runtime.settings.database_url)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env["CRIER_INSTANCE_PATH"] = str(tmp_path / "instance")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sqlite:///{tmp_path / 'instance' / 'crier.sqlite3'}"
