"""The package is the table of contents (issue 27): the chapters at the top, ``fast/`` and
``infra/`` one level down, imports that run one way, and a package that installs as it is listed.

The import graph is read with ``ast`` from the sources, every ``import`` inside a function
included, so that a lazy import cannot hide a cycle.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minillada"

CHAPTERS = ["tokenizer", "bpe", "model", "masking", "losses", "likelihood", "guidance", "sampling",
            "data", "train_config", "train", "reversal"]
TOP_LEVEL = {*CHAPTERS, "cli", "__init__", "__main__", "fast", "infra", "corpora"}

# what a chapter module may import from one level down; everything else there is off limits
ALLOWED = {
    "model": {"infra.checks", "fast.kv_cache"},               # the cache state the samplers pass in
    "train": {"infra.checks", "infra.rng", "infra.checkpoint", "infra.progress", "infra.run_dir",
              "fast.distributed", "fast.training",            # hands its fast step to fast.training
              "fast.block_diffusion"},                        # and objective "bd3" to its module
    "reversal": {"infra.checks"},
    "reversal.task": {"infra.checks"},
    "reversal.jsonl": {"infra.checks"},
    "tokenizer": {"infra.checks", "infra.files"},               # reads and writes its JSON file
    "data": {"infra.checks", "infra.rng", "infra.files"},       # re-exports the readers of --data
}
DEFAULT = {"infra.checks", "infra.rng"}                        # every chapter: argument checks, draws


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package's modules that ``path`` imports (relative to ``minillada``), wherever the import
    statement is."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("minillada"):
                target = node.module.removeprefix("minillada").lstrip(".")
            else:
                continue
            for alias in node.names:         # "from . import checks" names a module
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if (PACKAGE / sub.replace(".", "/")).with_suffix(".py").exists()
                          or (PACKAGE / sub.replace(".", "/")).is_dir() else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("minillada."):
                    found.add(alias.name.removeprefix("minillada."))
    return {m for m in found if m and m != me}


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_top_level_lists_the_chapters_and_the_command_line_only():
    listed = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())}
    assert listed == TOP_LEVEL, sorted(listed ^ TOP_LEVEL)


def test_no_import_cycles():
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in GRAPH:
                continue
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in GRAPH:
        if node not in state:
            visit(node)


@pytest.mark.parametrize("chapter", [m for m in GRAPH if m.split(".")[0] in CHAPTERS])
def test_a_chapter_imports_from_one_level_down_only_what_it_lists(chapter):
    below = {m for m in GRAPH[chapter] if m.split(".")[0] in ("fast", "infra")}
    allowed = ALLOWED.get(chapter, DEFAULT)
    assert below <= allowed, f"{chapter} imports {sorted(below - allowed)} from fast/ or infra/"


def test_the_plain_sampler_imports_nothing_fast():
    assert not {m for m in GRAPH["sampling"] if m.startswith("fast")}
    assert "sampling" in GRAPH["fast.sampling"]              # the fast one builds on it


def test_the_package_installs_as_listed_and_every_module_imports(tmp_path):
    """pip installs the package (pyproject.toml's list of packages) into a fresh folder; a Python
    that sees only that folder, started elsewhere, imports every module of the source tree."""
    source, target = tmp_path / "source", tmp_path / "site"
    source.mkdir()                  # a copy, so that the build leaves nothing in the checkout
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "minillada", ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--no-build-isolation", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("shakespeare", "shakespeare_ar"):              # the shipped models are package data
        run = target / "minillada" / "infra" / "weights" / name
        assert (run / (run / "latest").read_text().strip() / "model.pt").is_file(), name
    modules = sorted("minillada" + ("." + m if m else "") for m in GRAPH)
    code = ("import importlib, sys\n"
            f"sys.path.insert(0, {str(target)!r})\n"
            f"for name in {modules!r}:\n"
            "    module = importlib.import_module(name)\n"
            f"    assert module.__file__.startswith({str(target)!r}), module.__file__\n"
            "print(len(sys.modules))")
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("line, old, new", [
    ("raise ModuleNotFoundError(\"No module named 'minillada.checks'\", name='minillada.checks')",
     "minillada.checks", "minillada.infra.checks"),
    ("raise ImportError(\"cannot import name 'rng' from 'minillada' (x)\", name='minillada')",
     "minillada.rng", "minillada.infra.rng"),
])
def test_a_student_file_that_imports_a_moved_module_is_told_where_it_went(tmp_path, line, old, new):
    """A workspace made before the move keeps its imports: loading it says what to change. (The
    error is raised as Python raises it, since this checkout's own install may still find the
    module at its old place.)"""
    from exercises._impl import load_student
    (tmp_path / ".minillada-workspace").touch()
    (tmp_path / "03_masking").mkdir()
    (tmp_path / "03_masking" / "student.py").write_text(line + "\n")
    with pytest.raises(ImportError, match=f"{old} moved to {new} .*change that import in"):
        load_student("03_masking", tmp_path)


def test_a_stub_of_before_that_imports_a_renamed_helper_is_told_how_to_keep_its_name(tmp_path):
    """The stubs of chapters 3 and 4 imported ``_token_ce`` and ``resolve_mask_id``; a workspace
    of then is told the import that keeps its code as it is."""
    from exercises._impl import load_student
    (tmp_path / ".minillada-workspace").touch()
    (tmp_path / "03_masking").mkdir()
    (tmp_path / "03_masking" / "student.py").write_text(
        "from minillada.losses import _token_ce, resolve_mask_id\n")
    with pytest.raises(ImportError, match="import it as `from minillada.losses import token_ce as "
                                          "_token_ce`"):
        load_student("03_masking", tmp_path)


# ---- guards at the door (issue 27): an ast count, as benchmarks/guard_share.py makes it ---------

def _guard_share():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import guard_share
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return guard_share


KERNELS = {"sampling": ["denoise", "remask_step", "add_gumbel_noise"],
           "losses": ["diffusion_loss_from_logits", "autoregressive_loss_from_logits", "token_ce"],
           "likelihood": ["_batch_loss", "answer_log_probs"], "train": ["train_step"]}


def test_at_most_8_percent_of_the_chapters_code_is_guard():
    share = _guard_share().measure()["chapters"]
    assert share["share"] <= 0.08, share


def test_the_kernels_check_nothing_and_each_door_is_one_statement():
    gs = _guard_share()
    for module, names in KERNELS.items():
        functions = gs.module_counts(PACKAGE / f"{module}.py")["functions"]
        for name in names:
            assert functions[name][1] == 0, f"{module}.{name} checks its arguments"
    # the configuration dataclasses read bare: one call into the checks module
    for path in (PACKAGE / "model.py", PACKAGE / "train_config.py", PACKAGE / "reversal" / "__init__.py"):
        post_init = next(n for n in ast.walk(ast.parse(path.read_text()))
                         if isinstance(n, ast.FunctionDef) and n.name == "__post_init__")
        checks = [s for s in post_init.body if "checks." in ast.unparse(s)]
        assert len(checks) == 1, f"{path.name}: {[ast.unparse(s) for s in checks]}"


def test_the_license_file_is_the_one_the_package_declares():
    import tomllib
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    text = (ROOT / "LICENSE").read_text()
    assert declared == "MIT" and text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text and "minillada" in text
