"""One writer per directory: a directory we may write in, and a lock held while a run writes there.

A run directory holds the checkpoints of *one* run (``checkpoint.py``), written by one process at a
time. :func:`writable_dir` checks, before anything is spent, that a directory can be written;
:func:`run_lock` holds an exclusive ``fcntl.flock`` on ``.lock`` in it for the whole run, so a
second run into the same directory is refused at once, naming the first. ``checkpoint.py``,
``run_dir.py`` and the command line build on this module, which builds on nothing else here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:              # Windows: no flock; runs into one directory are not guarded there
    fcntl = None


def writable_dir(path, argument: str = "out_dir") -> Path:
    """``path`` as a directory we can write in (created if need be), or a ``ValueError`` that names
    ``argument``: called before training, so that a bad output directory fails at once."""
    if not str(path).strip():          # Path("") is ".": the checkpoints would land in the cwd
        raise ValueError(f"{argument} is empty; give a directory (\".\" for the current one)")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{argument} {path} is a file, not a directory; give a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ValueError(f"{argument} {path} cannot be written: {e.strerror or e}") from None
    return path


class RunDirInUse(ValueError):
    """Another live process holds the run directory's lock."""


_HELD: dict = {}                 # run directory -> [its open .lock file, how many holders here]


@contextlib.contextmanager
def run_lock(run_dir, argument: str = "out_dir"):
    """Hold ``run_dir/.lock`` (an exclusive ``fcntl.flock``) while the ``with`` block runs: one run
    per run directory. A second process is refused at once with a :class:`RunDirInUse` that names
    the holder's pid and command. Within one process it nests (the CLI takes it, then ``train``).

    A lock left by a run that was killed is no obstacle: the kernel drops a flock when the process
    holding it dies, so the next run simply takes it over. The holder deletes the file when it is
    done; since a process may have opened the file just before, whoever gets the flock checks that
    the path still names the file it locked, and else starts again with the new file.
    ``run_dir=None`` (no checkpoints) locks nothing."""
    if run_dir is None or fcntl is None:
        yield
        return
    path = writable_dir(run_dir, argument).resolve()
    if path in _HELD:
        _HELD[path][1] += 1
    else:
        _HELD[path] = [_take(path / ".lock", run_dir, argument), 1]
    try:
        yield
    finally:
        _HELD[path][1] -= 1
        if _HELD[path][1] == 0:
            lock = _HELD.pop(path)[0]
            (path / ".lock").unlink(missing_ok=True)     # while still holding it
            lock.close()                                # closing the file releases the flock


def _take(file: Path, run_dir, argument: str):
    """The open, flocked lock ``file``, with this process written in it; RunDirInUse if taken."""
    while True:
        lock = open(file, "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "a process that has not yet written its name"
            lock.close()
            raise RunDirInUse(f"{argument} {run_dir} is in use by another run ({holder[:300]}); "
                              "wait for it to finish, or choose another directory") from None
        try:
            if os.stat(file).st_ino == os.fstat(lock.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        lock.close()                   # its holder deleted it as we opened it: take the new one
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()} on {socket.gethostname()}, since "
               f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(sys.argv)[:200]}\n")
    lock.flush()
    return lock
