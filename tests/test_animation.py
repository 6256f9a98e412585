"""The reverse process, moving: animate_traces writes a GIF with one frame per step, and plot_step
draws one of its frames; bad input is refused with a ValueError that names it."""

import matplotlib
import pytest
import torch
from PIL import Image

from minillada import Transformer
from minillada.infra.plotting import animate_traces, plot_step
from minillada.fast.sampling import Trace, generate_fast

from conftest import tiny_config

matplotlib.use("Agg")
MASK = 1


def hand_trace(order, prompt=(5, 6)):
    """A Trace revealing the answer positions in ``order`` (a list of lists: the positions each
    step reveals, counted from the end of the prompt); the answer token at position j is 7 + j."""
    L = sum(len(step) for step in order)
    x = torch.tensor([list(prompt) + [MASK] * L])
    trace = Trace(start=x.clone())
    for step in order:
        revealed = torch.zeros_like(x, dtype=torch.bool)
        for j in step:
            revealed[0, len(prompt) + j] = True
            x[0, len(prompt) + j] = 7 + j
        trace.tokens.append(x.clone())
        trace.confidence.append(torch.where(revealed, 0.9, float("-inf")))
        trace.revealed.append(revealed)
        trace.model_calls += 1
    return trace


def durations(im):
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(im.info["duration"])
    return out


def test_a_gif_with_one_frame_per_step_of_the_longest_trace(tmp_path):
    four = hand_trace([[3], [0], [1, 2], [4]])
    two = hand_trace([[0, 1, 2], [3, 4]])                    # shorter: keeps its last state
    path = animate_traces([four, two], None, ["four steps", "two steps"], tmp_path / "a.gif",
                          start=2, fps=4, hold=0, figsize=(3.0, 2.0), dpi=40)
    assert path == tmp_path / "a.gif"
    with Image.open(path) as im:
        assert im.format == "GIF" and im.size == (120, 80)
        assert im.n_frames == 4
        assert durations(im) == [250] * 4
        im.seek(0)
        first = im.convert("RGB").tobytes()
        im.seek(3)
        assert im.convert("RGB").tobytes() != first           # the frames differ


def test_the_last_frame_is_held_and_the_default_size_follows_the_positions(tmp_path):
    torch.manual_seed(0)
    model = Transformer(tiny_config()).eval()
    prompt = torch.tensor([[3, 4, 5]])
    _, trace = generate_fast(model, prompt, steps=3, gen_length=6, block_length=6, return_trace=True)
    path = animate_traces(trace, titles="low-confidence", path=tmp_path / "b.gif", start=3,
                          fps=2, hold=2, dpi=20)
    with Image.open(path) as im:
        assert im.format == "GIF"
        # 3 steps, the last shown 2 frames longer (Pillow merges the repeated frames into one)
        assert sum(durations(im)) == (3 + 2) * 500 and im.n_frames in (3, 3 + 2)
        width, height = im.size
    assert width > height > 0
    fig = plot_step(trace, 2, titles=["low-confidence"], start=3)
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) == 6
    assert "step 2 of 3" in fig._suptitle.get_text()


def test_bad_inputs_are_refused_with_a_clear_message(tmp_path):
    trace = hand_trace([[0], [1]])
    gif = tmp_path / "c.gif"
    bad = [
        (dict(traces=[]), "non-empty list of Traces"),
        (dict(traces="trace"), "Trace or a non-empty list"),
        (dict(traces=[trace, None]), "trace 1: trace must be the Trace"),
        (dict(traces=Trace(start=torch.zeros(1, 3, dtype=torch.long))), "no steps"),
        (dict(titles=["a", "b"]), "titles must be None or a list of 1 str"),
        (dict(path=tmp_path / "c.png"), "ending in .gif"),
        (dict(path=tmp_path / "missing" / "c.gif"), "does not exist"),
        (dict(rows=1), "row must be an int in 0..0"),
        (dict(rows=[0, 0]), "one per trace"),
        (dict(start=4), "start=4 leaves no position"),
        (dict(fps=0), "fps must be"),
        (dict(hold=-1), "hold must be"),
        (dict(dpi=0), "dpi must be"),
        (dict(figsize=(3, -1)), "figsize must be"),
        (dict(ncols=2), "ncols must be an int in 1..1"),
    ]
    for kwargs, message in bad:
        args = {**dict(traces=trace, path=gif), **kwargs}
        with pytest.raises(ValueError, match=message):
            animate_traces(**args)
    assert not gif.exists()
    with pytest.raises(ValueError, match="step must be an int in 1..2"):
        plot_step(trace, 3)
