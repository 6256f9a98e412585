"""The pictures of two chapters: the reverse process (5) and the reversal experiment (7).

Chapter 5, which token appeared when and how sure the model was: :func:`render_trace` prints one
line per step for a terminal; :func:`plot_trace` draws the same as a matplotlib grid (one row per
step, one column per position, masks in grey), like the visualisation in the LLaDA demo. Both read
a :class:`~minillada.sampling.Trace` from ``generate(..., return_trace=True)`` or ``infill(...,
return_trace=True)``.

Chapter 7, the results of :func:`minillada.reversal.run` (or ``reversal_jsonl.run``):
:func:`plot_reversal_bars` (accuracy of each query, MDM against AR) and
:func:`plot_reversal_curves` (accuracy during training).
"""

from __future__ import annotations

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
    """A Trace (``generate(..., return_trace=True)`` returns one), and a row and start inside it."""
    from .sampling import Trace

    if not isinstance(trace, Trace) or trace.start is None:
        raise ValueError(f"trace must be the Trace of generate(..., return_trace=True) or infill(..., "
                         f"return_trace=True), got {type(trace).__name__}")
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


def plot_reversal_bars(results: dict, ax=None):
    """Grouped bars: accuracy of each query for the MDM and the AR model (from reversal.run)."""
    import matplotlib.pyplot as plt

    acc = results["accuracy"]
    # a built-in task's four queries, or the test groups of JSONL files (reversal_jsonl.run)
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
