"""Imports run one way between the domain packages (pyproject.toml, [tool.importlinter]):
core, then routing, then gis, then incidents, then crews, then accounts; and the domain never
imports the web adapter or Flask. import-linter checks every module, indirect imports included."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_package_imports_one_above_it():
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
