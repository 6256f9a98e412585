"""Progress bars that suit where they are written.

On a terminal (or in a notebook) a tqdm bar redraws itself about ten times a second, which is what
a person watching wants. Written to a file (a CI log, ``> log 2>&1``) every redraw is a new line
of text: a 4-minute run would leave megabytes of ``\\r`` updates. So when the output is not
interactive, :func:`progress_bar` redraws at most every ``LOG_INTERVAL`` seconds (and at the end),
which leaves a readable log of a few lines a minute.
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

LOG_INTERVAL = 30.0   # seconds between redraws when the output is a file or a pipe


def is_interactive(stream=None) -> bool:
    """True on a terminal and in a Jupyter notebook (where tqdm.auto draws a widget)."""
    if any(cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__):
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(iterable=None, file=None, **kwargs):
    """``tqdm(iterable, **kwargs)``, redrawn rarely when ``file`` (default stderr) is not
    interactive. Pass ``refresh=False`` to ``set_postfix``: tqdm otherwise redraws on every call,
    whatever the interval.

    >>> import io
    >>> bar = progress_bar(range(3), file=io.StringIO())
    >>> bar.mininterval
    30.0
    >>> bar.close()
    """
    if not is_interactive(file):
        kwargs.setdefault("mininterval", LOG_INTERVAL)
    return tqdm(iterable, file=file, **kwargs)
