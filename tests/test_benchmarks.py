"""The benchmark suite's quick mode runs end to end (the figures themselves are not judged)."""

import json
import math
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_quick_benchmark_run_measures_every_case(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    names = [case["name"] for case in figures["cases"]]
    assert [n.split(".")[0] for n in names] == [
        "1",
        "2",
        "3",
        "3",
        "3",
        "3",
        "3",
        "4",
        "5",
        "5",
        "6",
        "11",
        "11",
        "12",
    ]
    for case in figures["cases"]:
        # A quick run on a busy machine can measure a per-row difference below zero: the
        # figures must be numbers, not good ones (the full run is the measurement).
        assert all(math.isfinite(case[k]) for k in ("median", "baseline", "ratio")), case
    assert "figures written to" in done.stdout


@pytest.mark.browser
def test_quick_web_benchmark_run_measures_every_web_case(tmp_path):
    from .browser.support import require_browser

    require_browser()
    out = tmp_path / "bench-web.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "web", "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert [case["name"].split(".")[0] for case in figures["cases"]] == [
        "7", "8", "9", "10", "13", "13", "13", "14", "14",
    ]  # fmt: skip
    for case in figures["cases"]:
        assert case["median"] > 0 and case["baseline"] > 0 and case["ratio"] > 0
