"""The grader's manifest: every check of every step, its points, and a fingerprint of each test file
and of every file of the library (whose solutions the checks compare with).

    python -m exercises._manifest          # rewrite manifest.json from the tests (maintainers)

The grader scores from ``manifest.json``, not from whatever tests it happens to find: a check that
is missing scores 0 with a reason, and a test file whose SHA-256 differs from the manifest's is
reported (the run is then not graded). So is a library file that differs from the manifest: a
changed library changes what the checks expect, whoever changed it. ``tests/test_exercises.py``
checks that the manifest is what this module would write today (after any change to the library
or the tests, maintainers run ``python -m exercises._manifest``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import warnings
from pathlib import Path

import pytest

from ._spec import CHAPTERS

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"


def test_file(folder: str) -> Path:
    number = CHAPTERS[folder][0]
    return next(HERE.joinpath(folder).glob(f"test_ex{number}_*.py"))


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_fingerprints() -> dict[str, str]:
    """``{"minillada/<file>": sha256}`` of the library the grader would import."""
    from ._sandbox import library_dir, tree_fingerprints
    return tree_fingerprints(library_dir(), "minillada")


def build() -> dict:
    """The manifest, read off the test files and the library: {"checks": {folder: {step: [[id,
    points, doc]]}}, "sha256": {relative test path: hash}, "library_sha256": {file: hash}}."""
    from ._checks import checks_in
    checks, hashes = {}, {}
    for folder, (number, _, steps) in CHAPTERS.items():
        path = test_file(folder)
        spec = importlib.util.spec_from_file_location(f"manifest_{folder}", path)
        module = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():          # the step markers are registered by conftest.py
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            spec.loader.exec_module(module)
        per_step = {f"{number}.{step}": [] for step, *_ in steps}
        for cid, (judge, _param) in checks_in(module).items():
            doc = " ".join((judge.__doc__ or "").split())
            per_step[judge.step].append([cid, judge.points, doc])
        checks[folder] = per_step
        hashes[f"{folder}/{path.name}"] = fingerprint(path)
    return {"checks": checks, "sha256": hashes, "library_sha256": library_fingerprints()}


def load() -> dict:
    return json.loads(MANIFEST.read_text())


def _checks() -> dict:
    """{folder: {step: [(check id, points)]}} from manifest.json."""
    return {folder: {step: [(cid, points) for cid, points, _doc in rows]
                     for step, rows in steps.items()}
            for folder, steps in load()["checks"].items()}


def modified_test_files(folders) -> list[str]:
    """The test files of ``folders`` that are missing or differ from the manifest."""
    out = []
    for rel, digest in load()["sha256"].items():
        if rel.split("/")[0] in folders:
            path = HERE / rel
            if not path.is_file() or fingerprint(path) != digest:
                out.append(f"exercises/{rel}")
    return out


def modified_library_files() -> list[str]:
    """The library's files that are missing, added or differ from the manifest."""
    from ._sandbox import changes
    return changes(load().get("library_sha256", {}), library_fingerprints())


def __getattr__(name):                                 # CHECKS, read when first asked for
    if name == "CHECKS":
        return _checks()
    raise AttributeError(name)


def main():
    manifest = build()
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")
    n = sum(len(rows) for steps in manifest["checks"].values() for rows in steps.values())
    print(f"wrote {MANIFEST.relative_to(HERE.parent)}: {n} checks")


if __name__ == "__main__":
    main()
