"""A run is never lost to a second run, and every interruption ends in one clear line (issue 31).

Each case runs ``python -m minillada train`` in child processes, as a user would: two runs into one
``--out`` at once, Ctrl-C (SIGINT) in the middle of training, a run killed outright (its lock left
behind), and a disk that fills up (a file-size limit set with ``resource``). Afterwards the last
checkpoint must be intact and ``--resume`` must go on from it.
"""

import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minillada.infra.checkpoint import load_checkpoint
from minillada.infra.run_dir import run_lock

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32",
                                reason="POSIX signals and flock")

TEXT = "the quick brown fox jumps over the lazy dog. " * 200
TRAIN = ["train", "--batch-size", "4", "--seq-len", "32", "--eval-every", "0", "--warmup-steps", "1",
         "--no-progress", "--device", "cpu"]


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "text.txt").write_text(TEXT)
    return tmp_path / "text.txt"


def start(*args, limit_file_size=None) -> subprocess.Popen:
    """``python -m minillada ARGS`` in a child process (with a file-size limit, in bytes)."""
    def limits():
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))
    return subprocess.Popen([sys.executable, "-m", "minillada", *map(str, args)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limits)


def finish(proc, timeout=300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for_checkpoint(out: Path, proc, timeout=120) -> None:
    """Until the run in ``out`` has written a checkpoint (and is still running)."""
    deadline = time.monotonic() + timeout
    while not (out / "latest").exists():
        assert proc.poll() is None, finish(proc)
        assert time.monotonic() < deadline, "no checkpoint written"
        time.sleep(0.1)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_the_lock_nests_in_a_process_and_refuses_another(tmp_path):
    with run_lock(tmp_path / "run"):
        with run_lock(tmp_path / "run"):                # the CLI takes it, then train() again
            pass
        assert (tmp_path / "run" / ".lock").exists()    # still held by the outer block
        code = ("import sys; from minillada.infra.run_dir import run_lock\n"
                f"with run_lock({str(tmp_path / 'run')!r}): sys.exit(0)")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode == 1 and "RunDirInUse" in proc.stderr
        assert f"pid {os.getpid()}" in proc.stderr            # the message names the holder
    assert not (tmp_path / "run" / ".lock").exists()          # released and removed
    with run_lock(tmp_path / "run"):                          # and free again
        pass


def test_a_second_run_is_refused_at_once_and_a_killed_runs_lock_is_taken_over(tmp_path, corpus):
    out = tmp_path / "run"
    first = start(*TRAIN, "--data", corpus, "--out", out, "--max-steps", 100000, "--save-every", 2)
    try:
        wait_for_checkpoint(out, first)
        t0 = time.monotonic()
        code, _, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--resume",
                                    "--max-steps", 100000))
        refused_in = time.monotonic() - t0
        line = one_line(err)
        assert code == 2 and "is in use by another run" in line and f"pid {first.pid}" in line, err
        assert first.poll() is None                              # the first run goes on
        print(f"the second run was refused in {refused_in:.1f} s (the first one still running)")
    finally:
        first.kill()                                             # SIGKILL: it leaves its lock
        first.wait()
    assert (out / ".lock").exists()
    step = load_checkpoint(out).step                             # what it left is intact
    code, said, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--resume",
                                   "--max-steps", step + 2))
    assert code == 0 and f"continuing from {out / f'step_{step:06d}'}" in said, err
    assert load_checkpoint(out).step == step + 2


def test_ctrl_c_ends_in_one_line_and_resume_goes_on(tmp_path, corpus):
    out = tmp_path / "run"
    proc = start(*TRAIN, "--data", corpus, "--out", out, "--max-steps", 100000, "--save-every", 3)
    wait_for_checkpoint(out, proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    line = one_line(err)
    match = re.fullmatch(r"minillada train: interrupted at step (\d+); the last checkpoint is step "
                         r"(\d+) \(intact\); continue with --resume", line)
    assert code == 130 and match, err
    reached, saved = map(int, match.groups())
    assert saved <= reached and saved % 3 == 0 and load_checkpoint(out).step == saved
    code, said, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--resume",
                                   "--max-steps", saved + 1))
    assert code == 0 and f"step {saved})" in said, err


def test_a_full_disk_names_the_file_and_the_intact_checkpoint(tmp_path, corpus):
    out = tmp_path / "run"
    code, _, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--max-steps", 2))
    assert code == 0, err
    limit = 16 << 10                                   # 16 KB: less than a model.pt
    assert (out / "step_000002" / "model.pt").stat().st_size > limit
    code, _, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--resume",
                                "--max-steps", 4, limit_file_size=limit))
    line = one_line(err)
    assert code == 1, err
    assert re.fullmatch(r"minillada train: error: no space left writing \S+/model\.pt \(a file-size "
                        r"limit, ulimit -f, was reached\); the last checkpoint is step 2 \(intact\)",
                        line), line
    assert sorted(p.name for p in out.iterdir()) == ["latest", "step_000002"]   # nothing half-written
    code, said, err = finish(start(*TRAIN, "--data", corpus, "--out", out, "--resume",
                                   "--max-steps", 4))
    assert code == 0 and load_checkpoint(out).step == 4, err

