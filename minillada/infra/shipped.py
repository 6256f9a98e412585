"""The trained models that come with the package: a name instead of a run directory.

``load_checkpoint("shakespeare")`` and ``python -m minillada sample --ckpt shakespeare ...`` read
the character-level MDM of the README's Shakespeare run; ``"shakespeare_ar"`` its AR twin, the same
network trained causally with the same flags. Both are the ``tiny`` preset (0.82M parameters,
about 3.3 MB of float32 weights each), stored as ordinary run directories under
``minillada/infra/weights/`` with the sha256 of every file in ``meta.json`` and no optimizer state,
and read weights-only like every checkpoint.

One command writes them, from the project's own training (the recipe is
``benchmarks.shakespeare_sample.TRAIN_FLAGS``)::

    python -m benchmarks.shakespeare_sample --ship

A directory of the same name in the working directory wins: ``--ckpt shakespeare`` means your own
``./shakespeare`` when there is one, and the shipped model only when there is not.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
# name -> what it is; the run directory is WEIGHTS / name
SHIPPED = {
    "shakespeare": "the README's Shakespeare MDM (character level, tiny preset)",
    "shakespeare_ar": "its AR twin: the same network and flags, trained causally",
}


def shipped_path(name: str) -> Path:
    """The run directory of the shipped model ``name``.

    >>> shipped_path("shakespeare").name
    'shakespeare'
    """
    if name not in SHIPPED:
        raise ValueError(f"no shipped model named {name!r}; the shipped ones: {', '.join(SHIPPED)}")
    return WEIGHTS / name


def shipped_name(path) -> str | None:
    """The shipped model ``path`` names (no such file or directory exists), else None."""
    return str(path) if str(path) in SHIPPED and not Path(path).exists() else None


def resolve_name(path) -> Path:
    """``path`` as given, or the shipped model it names when no such file or directory exists."""
    name = shipped_name(path)
    return Path(path) if name is None else shipped_path(name)
