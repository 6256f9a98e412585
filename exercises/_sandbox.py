"""What keeps student code away from what judges it: a pristine copy, fingerprints, a sandbox.

The grader (``grade.py``) runs the learner's code in child processes and judges the results in a
process of its own. Three guards make sure that nothing the child does can change the verdict:

1. **A pristine copy** (:func:`pristine_copy`). Before any student code runs, the grader copies
   everything the judging loads, ``exercises/`` (tests, ``conftest.py``, checks, manifest) and the
   library ``minillada/``, into a private temporary folder and checks the copy's fingerprints
   against the originals. Children and the judging process import from that copy only.
2. **Fingerprints before and after** (:class:`Watched`). The SHA-256 of every file of
   ``exercises/``, of the library and of the project's top-level files, taken before the first
   child starts and again after the last one is gone (the pristine copy is checked too). Any file
   changed, added or removed makes the run NOT GRADED (exit 2), with the file named.
3. **The sandbox** (:func:`sandbox_command`): each child runs under bubblewrap (``bwrap``, the
   sandbox Flatpak runs its apps in; Debian and Ubuntu package ``bubblewrap``), in new user,
   mount, PID, network, IPC and UTS namespaces, with no capabilities:

   - the whole file system is mounted read-only: project, workspace, pristine copy, ``/tmp``;
   - ``/tmp`` inside is a private, empty tmpfs (and ``$TMPDIR``, ``$HOME`` point there), gone
     when the child ends;
   - no network: the new network namespace has only a loopback device, and it is down;
   - the child's processes live in their own PID namespace, whose first process dies with the
     grader's child handle: killing it makes the kernel kill every process inside, including one
     that called ``setsid()`` or forked twice to escape its process group.

Without bubblewrap the grader refuses to grade, unless it is told ``--sandbox none``. That weaker
mode keeps guards 1 and 2 (so a changed project file still makes the run NOT GRADED), kills the
child's process group, and on Linux also adopts and kills processes that escaped the group
(:func:`adopt_orphans`, :func:`kill_adopted`). What it cannot do: stop a student file from writing
outside the watched folders (``/tmp``, the home folder), or from reaching the network.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

SANDBOXES = ("bwrap", "none")
INSTALL = "sudo apt-get install bubblewrap (Debian, Ubuntu), or dnf install bubblewrap (Fedora)"
SKIP = ("__pycache__",)                   # bytecode caches: never copied, never imported from a copy


class SandboxError(Exception):
    """The sandbox cannot be used here; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# Guard 1: the pristine copy


def library_dir() -> Path:
    """The folder of the ``minillada`` package that the grader would import (without importing)."""
    spec = importlib.util.find_spec("minillada")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxError("the library minillada cannot be found (pip install -e . in the project)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def pristine_copy(dest: Path, exercises: Path, library: Path) -> Path:
    """Copy ``exercises/`` and the library into ``dest`` (as ``dest/exercises``, ``dest/minillada``)
    and return ``dest``: the only place children and the judging process import from."""
    ignore = shutil.ignore_patterns(*SKIP, "results*.json")
    shutil.copytree(exercises, dest / "exercises", ignore=ignore)
    shutil.copytree(library, dest / "minillada", ignore=ignore)
    return dest


# ---------------------------------------------------------------------------------------------
# Guard 2: fingerprints


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_fingerprints(folder: Path, name: str) -> dict[str, str]:
    """``{name/relative path: sha256}`` of every file under ``folder``, bytecode caches left out:
    ``tree_fingerprints(Path("minillada"), "minillada")`` has a key ``"minillada/model.py"``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(part in SKIP for part in path.relative_to(folder).parts):
            out[f"{name}/{path.relative_to(folder).as_posix()}"] = _sha256(path)
    return out


class Watched:
    """The files student code must not change: ``exercises/``, the library, and the top-level files
    of the project root (a planted ``conftest.py`` or ``sitecustomize.py`` would run in later runs).
    ``snapshot()`` fingerprints them; ``changes(before)`` names what differs since."""

    def __init__(self, root: Path, exercises: Path, library: Path):
        self.root, self.trees = root, {"exercises": exercises, "minillada": library}

    def tree_snapshot(self, under: Path | None = None) -> dict[str, str]:
        """Fingerprints of the watched trees, or of their copies in ``under`` (the pristine copy,
        which holds them as ``under/exercises`` and ``under/minillada``), by the same names."""
        out = {}
        for name, folder in self.trees.items():
            out.update(tree_fingerprints(folder if under is None else under / name, name))
        return out

    def snapshot(self) -> dict[str, str]:
        out = self.tree_snapshot()
        for path in sorted(self.root.iterdir()):
            if path.is_file():
                out[path.name] = _sha256(path)
        return out

    def changes(self, before: dict[str, str]) -> list[str]:
        return changes(before, self.snapshot())


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files that differ between two snapshots, each with what happened to it: from
    ``{"a": "1", "b": "2"}`` to ``{"a": "1", "b": "3", "c": "4"}``, ``["b (changed)", "c (added)"]``
    (the doctest-free form: ``pytest exercises`` counts every test it collects as a check)."""
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            out.append(f"{name} (removed)")
        elif name not in before:
            out.append(f"{name} (added)")
        elif before[name] != after[name]:
            out.append(f"{name} (changed)")
    return out


# ---------------------------------------------------------------------------------------------
# Guard 3: the sandbox


_BWRAP_CHECKED: dict = {}


def find_bwrap() -> str:
    """The path of a working ``bwrap``; SandboxError (saying how to install it) otherwise."""
    if "path" in _BWRAP_CHECKED:
        return _BWRAP_CHECKED["path"]
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(f"the sandbox tool bubblewrap (bwrap) is not installed: {INSTALL}; "
                           "or grade with --sandbox none, a weaker mode (exercises/README.md)")
    probe = subprocess.run([path, *_isolation(), "--", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        raise SandboxError(f"bubblewrap ({path}) cannot make a sandbox on this machine ({why}); "
                           "user namespaces may be disabled; or grade with --sandbox none, a "
                           "weaker mode (exercises/README.md)")
    _BWRAP_CHECKED["path"] = path
    return path


def available() -> bool:
    """Whether :func:`find_bwrap` finds a working bubblewrap here."""
    try:
        find_bwrap()
        return True
    except SandboxError:
        return False


def _isolation() -> list[str]:
    return ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def sandbox_command(argv: list[str], readable: list[Path]) -> list[str]:
    """``argv`` wrapped in bubblewrap: everything read-only, a private ``/tmp``, no network, its own
    PID namespace. ``/tmp`` is hidden behind the private one, so each of ``readable`` that lies
    under it (the pristine copy, a workspace, a virtual environment) is mounted back, read-only."""
    tmp = Path("/tmp").resolve()
    binds = []
    for path in dict.fromkeys(Path(p).resolve() for p in readable):
        if path.exists() and (path == tmp or tmp in path.parents):
            binds += ["--ro-bind", str(path), str(path)]
    return [find_bwrap(), *_isolation(), *binds, "--chdir", "/tmp",
            "--setenv", "TMPDIR", "/tmp", "--setenv", "HOME", "/tmp",
            "--setenv", "MPLCONFIGDIR", "/tmp", "--", *argv]


def python_paths() -> list[Path]:
    """The folders this Python imports from (for :func:`sandbox_command`'s ``readable``)."""
    return [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path} if p]


# ---------------------------------------------------------------------------------------------
# The weaker mode's clean-up: processes that left the child's process group


_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the "subreaper" of its descendants (Linux): a process whose parent dies is
    re-parented here instead of to init, so :func:`kill_adopted` can find it. False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()      # after "pid (name) "
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def kill_adopted(keep=()) -> int:
    """Kill and reap every child of this process but ``keep`` (after :func:`adopt_orphans`, those
    include the orphans of killed children), until none is left; returns how many were killed."""
    killed = 0
    for _ in range(100):
        pids = [p for p in _children_of(os.getpid()) if p not in keep]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return killed

