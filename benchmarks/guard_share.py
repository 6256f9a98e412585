"""How much of the library's code is argument checking? An ast count, per module and in all.

    python benchmarks/guard_share.py                       # print the table
    python benchmarks/guard_share.py --record after        # and store it under "after" in the JSON

A function's *code lines* are the source lines its statements cover, leaving out its docstring,
blank lines, comment lines and nested functions (counted as functions of their own). Its *guard
lines* are the code lines of

- a ``raise`` or an ``assert``;
- an ``if`` whose whole body raises (``if x < 0: raise ValueError(...)``), condition included;
- a statement that calls the checks module (``checks.positive_int(n, "n")``, also as the value of
  an assignment ``mask_id = checks.mask_id_of(model)``).

The chapter modules are the ones a learner reads chapter by chapter: every module of the package
except the command line, the fast paths (``fast/``), the infrastructure (``infra/``) and the corpus
scripts (``is_chapter`` below); the share that matters is theirs. Writes
``benchmarks/results/guard_share.json``. (The "before" record was taken with an older rule, a list
of 11 module names, that left out ``data`` and ``reversal``; the "after" record gives both.)
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minillada"
OUT = ROOT / "benchmarks" / "results" / "guard_share.json"
NOT_CHAPTERS = ("cli", "__init__", "__main__")
OLD_CHAPTERS = ("bpe", "tokenizer", "model", "masking", "losses", "likelihood", "sampling", "guidance",
                "train", "train_config")            # the list the "before" record was taken with


def is_chapter(name: str) -> bool:
    """``name`` is a dotted module path inside the package: ``masking``, ``reversal.task``."""
    top = name.split(".")[0]
    return top not in ("fast", "infra", "corpora") and name not in NOT_CHAPTERS


def _checks_names(tree: ast.Module) -> set[str]:
    """Names under which this module reaches the checks module or its functions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[-1] == "checks":     # from .checks import token_ids
                names |= {a.asname or a.name for a in node.names}
            else:                                                  # from . import checks
                names |= {a.asname or a.name for a in node.names if a.name == "checks"}
    return names


def _calls_checks(node: ast.stmt, names: set[str]) -> bool:
    value = getattr(node, "value", None)
    if not isinstance(value, ast.Call):
        return False
    f = value.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in names:
        return True                                      # checks.positive_int(...)
    return isinstance(f, ast.Name) and f.id in names     # positive_int(...) imported from checks


def _is_guard(node: ast.stmt, names: set[str]) -> bool:
    if isinstance(node, (ast.Raise, ast.Assert)):
        return True
    if isinstance(node, ast.If) and not node.orelse and all(isinstance(s, ast.Raise) for s in node.body):
        return True
    return isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) and _calls_checks(node, names)


def _lines(node: ast.AST) -> set[int]:
    return set(range(node.lineno, node.end_lineno + 1))


def function_counts(fn: ast.FunctionDef, source_lines: list[str], names: set[str]) -> tuple[int, int]:
    """(code lines, guard lines) of one function."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                                  # the docstring
    code, guard = set(), set()

    def visit(stmts):
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue                                 # counted on its own
            if _is_guard(s, names):
                guard.update(_lines(s))
                code.update(_lines(s))
                continue
            children = [getattr(s, f) for f in ("body", "orelse", "finalbody", "handlers")
                        if isinstance(getattr(s, f, None), list)]
            if children:
                # the statement's own header lines, then its blocks
                first_child = min((c[0].lineno for c in children if c), default=s.end_lineno + 1)
                code.update(range(s.lineno, first_child))
                for block in children:
                    for item in block:
                        if isinstance(item, ast.ExceptHandler):
                            code.add(item.lineno)
                            visit(item.body)
                        else:
                            visit([item])
            else:
                code.update(_lines(s))

    visit(body)
    real = {n for n in code
            if source_lines[n - 1].strip() and not source_lines[n - 1].strip().startswith("#")}
    return len(real), len(real & guard)


def module_counts(path: Path) -> dict:
    source = path.read_text()
    tree = ast.parse(source)
    names = _checks_names(tree) if path.stem != "checks" else set()
    lines = source.splitlines()
    code = guard = 0
    functions = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            c, g = function_counts(node, lines, names)
            code, guard = code + c, guard + g
            functions[node.name] = (c, g)
    return {"code_lines": code, "guard_lines": guard, "functions": functions}


def measure() -> dict:
    modules = {p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", "."): module_counts(p)
               for p in sorted(PACKAGE.rglob("*.py"))}
    chapter = [m for name, m in modules.items() if is_chapter(name)]
    old_rule = [m for name, m in modules.items() if name in OLD_CHAPTERS]

    def share(ms):
        code = sum(m["code_lines"] for m in ms)
        guard = sum(m["guard_lines"] for m in ms)
        return {"code_lines": code, "guard_lines": guard, "share": round(guard / max(code, 1), 4)}

    return {"all": share(modules.values()), "chapters": share(chapter),
            "chapters_old_rule": share(old_rule),
            "modules": {name: {k: m[k] for k in ("code_lines", "guard_lines")}
                        for name, m in modules.items()}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--record", help="store this measurement under this key in the JSON (before, after)")
    args = ap.parse_args(argv)
    result = measure()
    for name, m in result["modules"].items():
        if m["code_lines"]:
            print(f"{name:<24} {m['guard_lines']:>4} / {m['code_lines']:<5} "
                  f"{m['guard_lines'] / m['code_lines']:6.1%}")
    for key in ("chapters", "chapters_old_rule", "all"):
        r = result[key]
        print(f"{key:<24} {r['guard_lines']:>4} / {r['code_lines']:<5} {r['share']:6.1%}")
    if args.record:
        record = json.loads(OUT.read_text()) if OUT.exists() else {}
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True).stdout.strip()
        record[args.record] = {"commit": commit or None, **result}
        OUT.write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {OUT} [{args.record}]")


if __name__ == "__main__":
    main()
