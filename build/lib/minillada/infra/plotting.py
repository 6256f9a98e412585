"""The pictures of two chapters: the reverse process (5) and the reversal experiment (7).

Chapter 5, which token appeared when and how sure the model was: :func:`render_trace` prints one
line per step for a terminal; :func:`plot_trace` draws the same as a matplotlib grid (one row per
step, one column per position, masks in grey), like the visualisation in the LLaDA demo. Both read
a :class:`~minillada.fast.sampling.Trace` from ``generate_fast(..., return_trace=True)`` or ``infill_fast(...,
return_trace=True)``. The same process, moving: :func:`animate_traces` writes an animated GIF of
one or more traces, one frame per step, and :func:`plot_step` draws one of its frames (the picture
behind the notebook's slider).

Chapter 7, the results of :func:`minillada.reversal.run` (or ``reversal.jsonl.run``):
:func:`plot_reversal_bars` (accuracy of each query, MDM against AR) and
:func:`plot_reversal_curves` (accuracy during training).
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np


def _token_text(tokenizer, i: int) -> str:
    """A token as one printable cell: newlines and tabs shown escaped, so a trace stays a grid.

    >>> _token_text(None, 7)
    '7'
    """
    if tokenizer is None:
        return str(i)
    return tokenizer.decode([i]).replace("\n", "\\n").replace("\t", "\\t")


def _check_trace(trace, row, start) -> None:
    """A Trace (``generate_fast(..., return_trace=True)`` returns one), and a row and start inside it."""
    from ..fast.sampling import Trace

    if not isinstance(trace, Trace) or trace.start is None:
        raise ValueError(f"trace must be the Trace of generate_fast(..., return_trace=True) or "
                         f"infill_fast(..., return_trace=True), got {type(trace).__name__}")
    B, T = trace.start.shape
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < B:
        raise ValueError(f"row must be an int in 0..{B - 1} (the trace has {B} rows), got {row!r}")
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= T:
        raise ValueError(f"start must be an int in 0..{T} (the trace has {T} positions), got {start!r}")


def render_trace(trace, tokenizer=None, row: int = 0, mask_text: str = "_", start: int = 0) -> str:
    """One line per step: tokens revealed so far, ``mask_text`` for masks, ``*`` after new ones.

    ``start`` skips the first positions (pass the prompt length to show the answer only).
    A masked-out line reads like ``step   2: Daxo* _ is a brave pilot``.
    """
    _check_trace(trace, row, start)
    if not isinstance(mask_text, str):
        raise ValueError(f"mask_text must be a str, got {type(mask_text).__name__}")
    reveal = trace.reveal_step()[row].tolist()                       # step of each position, or -1
    lines = []
    for s, tokens in enumerate(trace.tokens):
        cells = []
        for j in range(start, len(reveal)):
            if reveal[j] > s:
                cells.append(mask_text)
            else:
                text = _token_text(tokenizer, int(tokens[row, j]))
                cells.append(text + "*" if reveal[j] == s else text)
        lines.append(f"step {s + 1:3d}: " + " ".join(cells))
    return "\n".join(lines)


def plot_trace(trace, tokenizer=None, row: int = 0, color_by: str = "step", start: int = 0,
               ax=None, cmap: str = "viridis"):
    """A grid of the denoising process: rows are steps, columns positions; returns the Figure.

    ``color_by="step"`` colours each token by the step that revealed it; ``"confidence"`` by the
    model's confidence at the moment it was revealed. Masks are light grey, fixed context white.
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    _check_trace(trace, row, start)
    if color_by not in ("step", "confidence"):
        raise ValueError(f"color_by must be 'step' or 'confidence', got {color_by!r}")
    n_steps = len(trace.tokens)
    if n_steps == 0:
        raise ValueError("the trace has no steps (was return_trace=True?)")
    reveal = trace.reveal_step()[row].numpy()[start:]                     # (T',) step or -1
    T = reveal.shape[0]
    value = np.zeros(T)
    for j in range(T):
        s = reveal[j]
        if s >= 0:
            value[j] = (s / max(n_steps - 1, 1) if color_by == "step"
                        else float(trace.confidence[s][row, start + j]))
    colours = colormaps[cmap]
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4, 0.7 * T), max(2, 0.35 * n_steps + 1)))
    else:
        fig = ax.figure
    for s in range(n_steps):
        tokens = trace.tokens[s][row].tolist()[start:]
        for j in range(T):
            if reveal[j] < 0:
                face, text = "white", _token_text(tokenizer, tokens[j])
            elif reveal[j] > s:
                face, text = "#dddddd", ""
            else:
                face, text = colours(value[j]), _token_text(tokenizer, tokens[j])
            ax.add_patch(plt.Rectangle((j, s), 1, 1, facecolor=face, edgecolor="white"))
            if text:
                # white text on dark cells, black on light ones (perceived luminance)
                r, g, b = plt.matplotlib.colors.to_rgb(face)
                ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                ax.text(j + 0.5, s + 0.5, text, ha="center", va="center", fontsize=7, color=ink,
                        fontweight="bold" if reveal[j] == s else "normal")
    ax.set_xlim(0, T)
    ax.set_ylim(n_steps, 0)
    ax.set_xlabel("position")
    ax.set_ylabel("step")
    ax.set_yticks(np.arange(n_steps) + 0.5, [str(s + 1) for s in range(n_steps)], fontsize=7)
    ax.set_xticks([])
    ax.set_title(f"reverse process, coloured by {'reveal step' if color_by == 'step' else 'confidence'}"
                 f" ({trace.model_calls} model calls)")
    return fig


# ---- the reverse process, moving: one frame per step ------------------------------------------

_MASK_FACE, _OLD_FACE, _NEW_FACE = "#d4d4d4", "#dce8f5", "#ffb74d"   # grey box, revealed, new


def _per_trace(value, n: int, name: str) -> list:
    """``value`` for each of n traces: one value for all, or a list or tuple of n values."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must be one value or one per trace ({n}), got {len(value)}")
        return list(value)
    return [value] * n


def _check_traces(traces, titles, rows, start):
    """The traces as a list, with one title, row and start each; ValueError for anything else."""
    from ..fast.sampling import Trace

    if isinstance(traces, Trace):
        traces = [traces]
    if not isinstance(traces, (list, tuple)) or not traces:
        raise ValueError(f"traces must be a Trace or a non-empty list of Traces (generate(..., "
                         f"return_trace=True) returns one), got {type(traces).__name__}"
                         + (" of length 0" if isinstance(traces, (list, tuple)) else ""))
    n = len(traces)
    rows, starts = _per_trace(rows, n, "rows"), _per_trace(start, n, "start")
    for i, (trace, row, s) in enumerate(zip(traces, rows, starts)):
        try:
            _check_trace(trace, row, s)
        except ValueError as e:
            raise ValueError(f"trace {i}: {e}") from None
        if not trace.tokens:
            raise ValueError(f"trace {i} has no steps (was return_trace=True?)")
        if s >= trace.start.shape[1]:
            raise ValueError(f"trace {i}: start={s} leaves no position to show "
                             f"(the trace has {trace.start.shape[1]})")
    if titles is None:
        titles = [""] * n
    elif isinstance(titles, str):
        titles = [titles] if n == 1 else None
    if not isinstance(titles, (list, tuple)) or len(titles) != n or \
            not all(isinstance(t, str) for t in titles):
        raise ValueError(f"titles must be None or a list of {n} str, one per trace")
    return list(traces), list(titles), rows, starts


def _check_layout(figsize, fontsize, ncols, n):
    if figsize is not None:
        ok = isinstance(figsize, (list, tuple)) and len(figsize) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in figsize)
        if not ok:
            raise ValueError(f"figsize must be None or (width, height) in inches, got {figsize!r}")
    if isinstance(fontsize, bool) or not isinstance(fontsize, numbers.Real) or fontsize <= 0:
        raise ValueError(f"fontsize must be a positive number, got {fontsize!r}")
    if ncols is None:
        return 1
    if isinstance(ncols, bool) or not isinstance(ncols, int) or not 1 <= ncols <= n:
        raise ValueError(f"ncols must be an int in 1..{n} (one column per trace at most), got {ncols!r}")
    return ncols


def _frames_figure(traces, starts, figsize, ncols):
    """A figure with one panel (an axis) per trace, ncols panels per line, and room above each
    panel for its title and above all for the step."""
    import matplotlib.pyplot as plt

    nrows = -(-len(traces) // ncols)
    width = max(t.start.shape[1] - s for t, s in zip(traces, starts))
    top, title, cells, gap = 0.34, 0.3, 0.55, 0.25                    # inches
    if figsize is None:
        figsize = (max(4.0, (0.62 * width + gap) * ncols + 0.1), top + nrows * (title + cells) + 0.1)
    W, H = figsize
    fig = plt.figure(figsize=figsize)
    panel_h = max((H - top - 0.1) / nrows - title, 0.1 * H)              # what the cells get
    panel_w = (W - 0.1) / ncols
    axes = []
    for i in range(len(traces)):
        r, c = divmod(i, ncols)
        bottom = H - top - r * (title + panel_h) - title - panel_h
        axes.append(fig.add_axes([(0.05 + c * panel_w) / W, max(bottom, 0) / H,
                                  (panel_w - gap * (ncols > 1)) / W, panel_h / H]))
    return fig, axes


def _frame_painter(fig, axes, traces, tokenizer, titles, rows, starts, fontsize):
    """Draw the boxes and labels of every panel once; returns paint(k), which sets them to frame k
    (0-based): every trace after its step k (its last step if it has fewer), with grey boxes for
    masks, the tokens revealed so far as text, and the ones step k revealed highlighted."""
    import matplotlib.pyplot as plt

    n_frames = max(len(t.tokens) for t in traces)
    panels = []
    for ax, trace, title, row, start in zip(axes, traces, titles, rows, starts):
        reveal = trace.reveal_step()[row].tolist()[start:]                 # step of each cell, or -1
        steps = [t[row].tolist()[start:] for t in trace.tokens]            # tokens after each step
        boxes, labels = [], []
        for x in range(len(reveal)):
            boxes.append(ax.add_patch(plt.Rectangle((x + 0.04, 0.08), 0.92, 0.84, lw=1)))
            labels.append(ax.text(x + 0.5, 0.5, "", ha="center", va="center", fontsize=fontsize,
                                  clip_on=True))
        ax.set_xlim(0, max(len(reveal), 1))
        ax.set_ylim(1, 0)
        ax.set_axis_off()
        heading = ax.set_title(title, fontsize=fontsize + 1, loc="left")
        panels.append((reveal, steps, boxes, labels, heading, title))
    step_title = fig.suptitle("", fontsize=fontsize + 2)

    def paint(k):
        for reveal, steps, boxes, labels, heading, title in panels:
            s = min(k, len(steps) - 1)
            new = masked = 0
            for j, (box, label) in enumerate(zip(boxes, labels)):
                text, weight, ink, edge = _token_text(tokenizer, steps[s][j]), "normal", "black", None
                if reveal[j] > s:                                      # still masked
                    face, text = _MASK_FACE, ""
                    masked += 1
                elif reveal[j] < 0:                                    # context, never masked
                    face, ink, edge = "white", "#666666", "#999999"
                elif reveal[j] == k:                                   # revealed by this step
                    face, weight = _NEW_FACE, "bold"
                    new += 1
                else:
                    face = _OLD_FACE
                box.set_facecolor(face)
                box.set_edgecolor(edge or face)
                label.set_text(text)
                label.set_color(ink)
                label.set_fontweight(weight)
            status = f"{new} new, {masked} masked" if k < len(steps) else "done"
            heading.set_text(f"{title}  ({status})" if title else status)
        step_title.set_text(f"step {k + 1} of {n_frames}")

    return paint


def plot_step(traces, step: int, tokenizer=None, titles=None, rows=0, start: int = 0,
              figsize=None, fontsize: float = 8, ncols=None):
    """One frame of :func:`animate_traces`: each trace after reveal step ``step`` (1-based; a
    trace with fewer steps shows its end). Masks are grey boxes, revealed tokens text, the tokens
    revealed at this very step highlighted. Returns the Figure.

    Example, the answer after step 5 (``start`` = the prompt length hides the prompt)::

        _, trace = generate_fast(model, prompt, steps=16, gen_length=16, return_trace=True)
        plot_step(trace, 5, tokenizer, titles=["low-confidence"], start=prompt.shape[1])
    """
    traces, titles, rows, starts = _check_traces(traces, titles, rows, start)
    ncols = _check_layout(figsize, fontsize, ncols, len(traces))
    n_frames = max(len(t.tokens) for t in traces)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= n_frames:
        raise ValueError(f"step must be an int in 1..{n_frames} (the longest trace's steps), got {step!r}")
    fig, axes = _frames_figure(traces, starts, figsize, ncols)
    _frame_painter(fig, axes, traces, tokenizer, titles, rows, starts, fontsize)(step - 1)
    return fig


def animate_traces(traces, tokenizer=None, titles=None, path="sampling.gif", rows=0,
                   start: int = 0, fps: float = 2.0, hold: int = 3, figsize=None, dpi: float = 80,
                   fontsize: float = 8, ncols=None) -> Path:
    """Write an animated GIF of the reverse process: frame k shows every trace after step k.

    ``traces``: one :class:`~minillada.fast.sampling.Trace` or a list of them (from ``generate_fast(...,
    return_trace=True)`` or ``infill_fast(..., return_trace=True)``), drawn as panels one above the
    other (``ncols`` panels per line to put them side by side), each titled by ``titles``. In a
    frame, masks are grey boxes, revealed tokens are text, and the tokens that step revealed are
    highlighted; a trace with fewer steps than the longest keeps its last state. ``rows`` picks the
    batch row of each trace, ``start`` skips the first positions (the prompt length shows the
    answer only); both take one value for all traces or one per trace. The GIF has one frame per
    step of the longest trace, ``fps`` frames a second, the last held ``hold`` frames longer, and
    loops; its size in pixels is ``figsize`` (inches; default from the number of positions) times
    ``dpi``. Written with matplotlib's animation and its Pillow writer. Returns the path.

    Example, low-confidence beside random remasking on one prompt::

        _, lc = generate_fast(model, prompt, steps=16, gen_length=16, return_trace=True)
        _, rnd = generate_fast(model, prompt, steps=16, gen_length=16, remasking="random",
                          return_trace=True, generator=torch.Generator().manual_seed(0))
        animate_traces([lc, rnd], tok, ["low-confidence", "random"], "sampling.gif",
                       start=prompt.shape[1])
    """
    import matplotlib.pyplot as plt
    from matplotlib import animation

    traces, titles, rows, starts = _check_traces(traces, titles, rows, start)
    ncols = _check_layout(figsize, fontsize, ncols, len(traces))
    if not isinstance(path, (str, os.PathLike)) or Path(path).suffix.lower() != ".gif":
        raise ValueError(f"path must be a file name ending in .gif, got {path!r}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path: the folder {str(path.parent)!r} does not exist")
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < fps <= 50:
        raise ValueError(f"fps must be a number in (0, 50] (frames a second), got {fps!r}")
    if isinstance(hold, bool) or not isinstance(hold, int) or hold < 0:
        raise ValueError(f"hold must be an int >= 0 (extra frames on the last step), got {hold!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or dpi <= 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    n_frames = max(len(t.tokens) for t in traces)
    fig, axes = _frames_figure(traces, starts, figsize, ncols)
    try:
        paint = _frame_painter(fig, axes, traces, tokenizer, titles, rows, starts, fontsize)
        writer = animation.PillowWriter(fps=fps)
        with writer.saving(fig, path, dpi):
            # the last frame repeated: Pillow merges identical frames into one that lasts longer
            for k in list(range(n_frames)) + [n_frames - 1] * hold:
                paint(k)
                writer.grab_frame()
    finally:
        plt.close(fig)
    return path


def plot_reversal_bars(results: dict, ax=None):
    """Grouped bars: accuracy of each query for the MDM and the AR model (from reversal.run)."""
    import matplotlib.pyplot as plt

    acc = results["accuracy"]
    # a built-in task's four queries, or the test groups of JSONL files (reversal.jsonl.run)
    queries = results.get("groups") or ["forward", "reversed", "infill", "ranking"]
    labels = {"forward": "forward\n(generate)", "reversed": "reversed\n(generate)",
              "infill": "left entity\n(MDM infill)", "ranking": "reversed\n(AR ranks names)"}
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    else:
        fig = ax.figure
    width = 0.38
    for k, (name, colour) in enumerate([("mdm", "#3b75af"), ("ar", "#e1812c")]):
        xs = [i + (k - 0.5) * width for i, q in enumerate(queries) if q in acc.get(name, {})]
        ys = [100 * acc[name][q] for q in queries if q in acc.get(name, {})]
        bars = ax.bar(xs, ys, width, label="MDM (LLaDA)" if name == "mdm" else "AR (causal)",
                      color=colour)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(range(len(queries)), [labels.get(q, q) for q in queries], fontsize=8)
    ax.set_ylabel("exact match on test facts (%)")
    ax.set_ylim(0, 110)
    ax.legend(fontsize=8, loc="upper right")
    what = "questions" if "groups" in results else "facts seen only forward"
    ax.set_title(f"the reversal curse at toy scale ({results['config']['task']}, "
                 f"{results['n_test_facts']} {what})", fontsize=9)
    fig.tight_layout()
    return fig


def plot_reversal_curves(results: dict, ax=None):
    """Forward and reversed accuracy against training step, for both models."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    else:
        fig = ax.figure
    queries = results.get("groups") or ["forward", "reversed"]
    styles = ["-o", "--s", ":^", "-.d"]
    for name, colour in [("mdm", "#3b75af"), ("ar", "#e1812c")]:
        curve = results["curves"].get(name, [])
        steps = [c["step"] for c in curve]
        for k, q in enumerate(queries):
            ax.plot(steps, [100 * c[q] for c in curve], styles[k % len(styles)], ms=3,
                    color=colour, label=f"{name.upper()} {q}")
    ax.set_xlabel("training step")
    ax.set_ylabel("exact match (%)")
    ax.set_ylim(-5, 105)
    ax.legend(fontsize=8)
    ax.set_title("accuracy during training", fontsize=9)
    fig.tight_layout()
    return fig
