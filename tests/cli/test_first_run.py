"""A new user's first test run: without the shared conformance data beside the
checkout, its tests skip saying what is missing; in CI they fail instead."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["tests/channels/test_xtext.py", "tests/public/test_feeds.py"]


def run_without_shared(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "CRIER_REQUIRE_SERVICES")}
    clean.update(CRIER_SHARED_DIR=str(tmp_path / "no-shared-here"), CRIER_TEST_DATABASES="sqlite", **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rsfE", *MODULES],
                          cwd=ROOT, env=clean, capture_output=True, text=True, timeout=240)


def test_without_shared_data_the_conformance_tests_skip_naming_what_is_missing(tmp_path):
    result = run_without_shared(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "twitter-text-validate.yml is missing" in result.stdout
    assert "cap12.xsd is missing" in result.stdout
    assert " passed" in result.stdout


def test_in_ci_missing_conformance_data_fails_the_run(tmp_path):
    result = run_without_shared(tmp_path, CI="1")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAILED" in result.stdout and "twitter-text-validate.yml is missing" in result.stdout
