"""The code's hygiene is part of the suite: an unused import or an undefined name is a failing test,
not a reviewer's remark."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--no-cache", "dispatch", "api", "tests", "bench", "scripts",
                             "migrations", "wsgi.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
