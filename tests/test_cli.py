import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "minillada", *args], capture_output=True, text=True,
                          timeout=300)


def test_help_lists_the_commands():
    out = run("--help")
    assert out.returncode == 0
    assert "reversal" in out.stdout


def test_info():
    out = run("info")
    assert out.returncode == 0 and "diffusion_loss" in out.stdout
