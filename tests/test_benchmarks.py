"""Benchmarks are not timed tests: here each one only has to run in a tiny configuration and write
valid JSON."""

import json

from benchmarks import likelihood_variance


def test_likelihood_variance_quick(tmp_path):
    rows = likelihood_variance.main(["--quick", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "likelihood_variance.json").read_text())
    assert data["rows"] == rows and "machine" in data
    assert {r["estimator"] for r in rows} == {"l", "t"}
    assert all(r["std"] >= 0 for r in rows)
