"""The code stays lint-clean, formatted and type-checked, for Windows as for Linux."""

import subprocess
import sys

import pytest

from .conftest import ROOT


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_ruff_finds_nothing_and_the_code_is_formatted():
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        done = _run(*command)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mypy_is_clean_on_every_platform_ops_use():
    # The three checks run side by side: each is a separate process bound by one core.
    checks = {
        platform: subprocess.Popen(
            [sys.executable, "-m", "mypy", "--platform", platform, "--cache-dir",
             str(ROOT / ".mypy_cache" / platform)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        )
        for platform in ("linux", "win32", "darwin")
    }  # fmt: skip
    for platform, check in checks.items():
        output, _ = check.communicate(timeout=300)
        assert check.returncode == 0, f"{platform}:\n{output}"
