"""Chapter 3: the forward process and the loss. Run: pytest exercises/03_masking [-m ex3_1]

Each check is a probe (runs your code, returns data) and a judge (the test, asserts on that data);
see ``exercises/_checks.py``. The checks of 3.1 run your ``forward_process`` with the library's
``prompt_mask`` (so a mistake in 3.2 costs only 3.2); those of 3.3 hand your ``diffusion_loss`` a
stand-in ``forward_process`` with fixed masks (so a mistake in 3.1 costs only 3.1).
"""

import math

import torch
import torch.nn.functional as F

from exercises._checks import (check, expect_error, expect_tensor, expect_tuple, expect_unchanged, library,
                               patched, raises, with_library)
from exercises._helpers import tiny_model

MASK = 1


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def clean(B=4, T=12, seed=0):
    return torch.randint(4, 16, (B, T), generator=seeded(seed))


# ---- 3.1 forward_process -------------------------------------------------------------------------

def run_forward(ex, *args, **kwargs):
    """Step 3.1 with the library's prompt_mask (step 3.2)."""
    with with_library(ex.forward_process, "prompt_mask"):
        return ex.forward_process(*args, **kwargs)


def expect_forward_outputs(got, B, T):
    """The tuple (xt long, masked bool, p_mask float32), each (B, T)."""
    xt, masked, p_mask = expect_tuple(got, 3, "forward_process")
    expect_tensor(xt, "forward_process", "xt", dtype=torch.long, shape=(B, T))
    expect_tensor(masked, "forward_process", "masked", dtype=torch.bool, shape=(B, T))
    expect_tensor(p_mask, "forward_process", "p_mask", dtype=torch.float32, shape=(B, T))
    return xt, masked, p_mask


def probe_forward_process_outputs(ex):
    x0 = clean()
    return {"out": run_forward(ex, x0, MASK, generator=seeded(0)), "after": {"x0": x0}}


@check("3.1", probe_forward_process_outputs)
def test_forward_process_outputs(got):
    """returns the tuple (xt, masked, p_mask), each (B, T): xt (torch.long) is x0 with [MASK] where
    masked (bool); p_mask (float32) is one rate per row, at least eps; the caller's x0 is left as it
    was (xt is a new tensor)"""
    x0 = clean()
    xt, masked, p_mask = expect_forward_outputs(got["out"], *x0.shape)
    expect_unchanged(got["after"], {"x0": x0}, "forward_process")
    assert torch.equal(xt, torch.where(masked, MASK, x0))
    assert (p_mask >= 1e-3 - 1e-7).all() and (p_mask <= 1).all()
    assert torch.allclose(p_mask, p_mask[:, :1].expand_as(p_mask))    # one rate per row


def probe_forward_process_rates(ex):
    x0 = clean(B=2, T=20000)
    return {"t1": run_forward(ex, x0, MASK, t=1.0, eps=0.0)[1],
            "t0": run_forward(ex, x0, MASK, t=0.0, eps=0.0)[1],
            "rows": run_forward(ex, x0, MASK, t=torch.tensor([0.25, 0.75]), eps=0.1,
                                generator=seeded(1)),
            "float64": run_forward(ex, clean(B=2, T=5), MASK, t=torch.tensor([0.3, 0.6], dtype=torch.float64),
                                   eps=0.1, generator=seeded(2))}


@check("3.1", probe_forward_process_rates)
def test_forward_process_rates(got):
    """t = 1 (eps 0) masks everything and t = 0 nothing; a (B,) tensor t gives row b the rate
    p_mask = (1 - eps) t_b + eps, and about that fraction of the row is masked; a float64 t is
    converted to float32 first, so p_mask is float32 all the same"""
    expect_tensor(got["t1"], "forward_process", "masked", dtype=torch.bool)
    expect_tensor(got["t0"], "forward_process", "masked", dtype=torch.bool)
    assert got["t1"].all() and not got["t0"].any()
    _, masked, p_mask = expect_forward_outputs(got["rows"], 2, 20000)
    assert torch.allclose(p_mask[:, 0], torch.tensor([0.9 * 0.25 + 0.1, 0.9 * 0.75 + 0.1]))
    assert torch.allclose(masked.float().mean(dim=1), p_mask[:, 0], atol=0.02)
    _, _, p_mask = expect_forward_outputs(got["float64"], 2, 5)
    assert torch.allclose(p_mask[:, 0], 0.9 * torch.tensor([0.3, 0.6]) + 0.1)


def probe_forward_process_seeded(ex):
    x0 = clean(B=200, T=50)
    return [run_forward(ex, x0, MASK, generator=seeded(3)),
            run_forward(ex, x0, MASK, generator=seeded(3)),
            run_forward(ex, x0, MASK, generator=seeded(4))]


@check("3.1", probe_forward_process_seeded)
def test_forward_process_draws_t_per_row_and_is_seeded(got):
    """draws t ~ U(0, 1) per row, and every random number from `generator`: the same seed gives the
    same masks, another seed other masks"""
    a, b, c = (expect_forward_outputs(out, 200, 50) for out in got)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[1], c[1])
    t = a[2][:, 0]
    assert t.std() > 0.2 and 0.35 < float(t.mean()) < 0.65


# (t, prompt_lengths, seed) of the comparisons with the library's draws; a list t is handed over
# as a (B,) tensor, built afresh for each call
DRAW_CASES = [(None, None, 8), (None, [3, 0, 5, 12], 9), ([0.2, 0.9, 0.5, 0.0], None, 10), (0.7, None, 11)]


def draw_inputs(t, pl, seed):
    t = torch.tensor(t) if isinstance(t, list) else t
    return dict(x0=clean(seed=seed), mask_id=MASK, t=t, prompt_lengths=pl, generator=seeded(seed))


def probe_forward_process_draws(ex):
    return [run_forward(ex, **draw_inputs(*case)) for case in DRAW_CASES]


@check("3.1", probe_forward_process_draws)
def test_forward_process_matches_library_draws(got):
    """draws in the order the guide fixes, first t (B,) when t is None, then the (B, T) uniforms,
    both from `generator`: xt, masked and p_mask equal the library's for the same seed (t drawn,
    t given per row and as one number, with and without a prompt)"""
    forward_process = library("forward_process")
    for (t, pl, seed), mine in zip(DRAW_CASES, got):
        want = forward_process(**draw_inputs(t, pl, seed))
        xt, masked, p_mask = expect_forward_outputs(mine, 4, 12)
        case = f"seed {seed}, t {'drawn' if t is None else 'given'}, prompt {pl}"
        assert torch.allclose(p_mask, want[2], rtol=1e-6, atol=1e-7), f"{case}: p_mask (t) differs"
        assert torch.equal(masked, want[1]), f"{case}: masked differs (the order of the draws?)"
        assert torch.equal(xt, want[0]), f"{case}: xt differs"


def sft_rows():
    x0 = clean(B=3, T=10, seed=5)
    x0[1, 7] = MASK                                 # a [MASK] already in the data: not a target
    return x0


def probe_forward_process_sft(ex):
    return {"all": run_forward(ex, sft_rows(), MASK, t=1.0, eps=0.0, prompt_lengths=[2, 4, 0]),
            "half": run_forward(ex, clean(B=64, T=40, seed=6), MASK, t=0.5,
                                prompt_lengths=torch.full((64,), 10), generator=seeded(7))}


@check("3.1", probe_forward_process_sft)
def test_forward_process_protects_the_prompt(got):
    """with prompt_lengths, the first prompt_lengths[b] tokens of row b are never masked (SFT); a
    [MASK] already in x0 is never a target"""
    xt, masked, _ = expect_forward_outputs(got["all"], 3, 10)
    want = torch.arange(10)[None, :] >= torch.tensor([2, 4, 0])[:, None]
    want[1, 7] = False
    assert torch.equal(masked, want)
    assert torch.equal(xt, torch.where(want, MASK, sft_rows()))
    _, masked, _ = expect_forward_outputs(got["half"], 64, 40)
    assert not masked[:, :10].any() and 0.4 < masked[:, 10:].float().mean() < 0.6


def forward_errors():
    """The bad arguments of forward_process, built afresh for each probe."""
    return {"x0 of floats": dict(x0=clean().float()), "x0 of int32 ids": dict(x0=clean().int()),
            "x0 as a list of lists": dict(x0=clean().tolist()), "a 1-D x0": dict(x0=clean()[0]),
            "eps = 1": dict(eps=1.0), "eps = -0.01": dict(eps=-0.01), "t = 1.5": dict(t=1.5),
            "t = -0.1 in one row": dict(t=torch.tensor([0.5, -0.1, 0.2, 0.3])),
            "3 values of t for 4 rows": dict(t=torch.tensor([0.1, 0.2, 0.3]))}


def probe_forward_process_errors(ex):
    out = {}
    for case, kwargs in forward_errors().items():
        kwargs = {"x0": clean(), "mask_id": MASK, "generator": seeded(0), **kwargs}
        out[case] = raises(run_forward, ex, **kwargs)
    return out


@check("3.1", probe_forward_process_errors)
def test_forward_process_rejects_bad_arguments(got):
    """raises ValueError when x0 is not a (B, T) tensor of torch.long ids (a float tensor, int32
    ids, a list of lists, a 1-D tensor), when eps is outside [0, 1) (1 and -0.01), and when a given
    t is outside [0, 1] (1.5, or -0.1 in one row) or is neither one number nor B numbers (3 values
    for 4 rows)"""
    for case, outcome in got.items():
        expect_error(outcome, case)


# ---- 3.2 prompt_mask -----------------------------------------------------------------------------

def probe_prompt_mask(ex):
    lengths = torch.tensor([4])
    return {"masks": [ex.prompt_mask([1, 3, 0], (3, 4), "cpu"), ex.prompt_mask(lengths, (1, 4), "cpu"),
                      ex.prompt_mask(2, (1, 4), "cpu")],
            "after": {"prompt_lengths": lengths}}


@check("3.2", probe_prompt_mask)
def test_prompt_mask(got):
    """bool (B, T), True at positions j < prompt_lengths[b]; lengths may be a list or a tensor (left
    as it was), and for B = 1 a bare int"""
    lists, tensor, bare = (expect_tensor(m, "prompt_mask", dtype=torch.bool) for m in got["masks"])
    want = torch.tensor([[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)
    assert torch.equal(lists, want)
    assert tensor.shape == (1, 4) and tensor.all()
    assert torch.equal(bare, torch.tensor([[True, True, False, False]])), \
        f"a bare int 2 for B = 1: got {bare!r}"
    expect_unchanged(got["after"], {"prompt_lengths": torch.tensor([4])}, "prompt_mask")


def probe_prompt_mask_errors(ex):
    return [raises(ex.prompt_mask, [1, 2], (3, 4), "cpu"), raises(ex.prompt_mask, [5], (1, 4), "cpu"),
            raises(ex.prompt_mask, [2, -1], (2, 4), "cpu")]


@check("3.2", probe_prompt_mask_errors)
def test_prompt_mask_rejects_bad_lengths(got):
    """raises ValueError when the number of lengths is not B, and when a length is above T or
    below 0"""
    for case, outcome in zip(["3 rows, 2 lengths", "length 5 > T = 4", "length -1"], got):
        expect_error(outcome, case)


# ---- 3.3 diffusion_loss ------------------------------------------------------------------------

def fixed_masks(x0, prompt_lengths=None, mask_id=MASK):
    """A deterministic stand-in for forward_process: row b masked at every (b + 2)-th token, and
    never in the prompt when prompt lengths are given."""
    B, T = x0.shape
    pos = torch.arange(T)[None, :].expand(B, T)
    masked = (pos % (torch.arange(B)[:, None] + 2)) == 1
    if prompt_lengths is not None:
        masked &= pos >= torch.as_tensor(prompt_lengths)[:, None]
    t = torch.linspace(0.2, 0.9, B)[:, None].expand(B, T)
    return torch.where(masked, mask_id, x0), masked, t


class Recorder:
    """forward_process for the tests: fixed masks (honouring prompt_lengths), and a note of what
    it was called with."""

    def __init__(self):
        self.calls = []

    def __call__(self, x0, mask_id, t=None, eps=1e-3, prompt_lengths=None, generator=None):
        self.calls.append({"mask_id": mask_id, "eps": eps, "generator": generator,
                           "prompt_lengths": prompt_lengths})
        return fixed_masks(x0, prompt_lengths, mask_id)


class Spy(torch.nn.Module):
    """A model that notes whether it was handed an attention_mask."""

    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.saw_attention_mask = model, model.config, []

    def forward(self, x, attention_mask=None):
        self.saw_attention_mask.append(attention_mask is not None)
        return self.model(x, attention_mask=attention_mask)


SFT_LENGTHS = [2, 4, 3]


def probe_diffusion_loss(ex, sft):
    record, x0 = Recorder(), clean(B=3, T=10)
    with patched(ex.diffusion_loss, forward_process=record):
        loss = ex.diffusion_loss(tiny_model(), x0, prompt_lengths=list(SFT_LENGTHS) if sft else None)
    return {"loss": loss, "calls": len(record.calls), "after": {"x0": x0}}


@check("3.3", probe_diffusion_loss, params=[False, True])
def test_diffusion_loss_weights_by_one_over_t(got, param):
    """draws its masks with forward_process (the check hands it fixed ones); returns the scalar,
    differentiable loss (a 0-d tensor): CE at the masked positions / p_mask, summed, divided by
    B * T; with prompt_lengths (SFT), passes them to forward_process and divides each row by its
    answer length T - prompt_length, then averages the rows; the caller's x0 is left as it was"""
    model, x0 = tiny_model(), clean(B=3, T=10)
    pl = torch.tensor(SFT_LENGTHS) if param else None
    xt, masked, p_mask = fixed_masks(x0, pl)
    with torch.no_grad():
        ce = F.cross_entropy(model(xt).transpose(1, 2), x0, reduction="none")     # (B, T)
    per_token = ce * masked / p_mask
    want = (per_token.sum(1) / (10 - pl)).mean() if param else per_token.sum() / x0.numel()
    loss = expect_tensor(got["loss"], "diffusion_loss", shape=())
    assert got["calls"] == 1, f"forward_process was called {got['calls']} times"
    assert loss.was_requires_grad, "the loss must be differentiable (do not detach it or call .item())"
    assert math.isclose(loss.item(), want.item(), rel_tol=1e-5)
    expect_unchanged(got["after"], {"x0": x0}, "diffusion_loss")


def probe_diffusion_loss_arguments(ex):
    record, g = Recorder(), seeded(0)
    model = Spy(tiny_model())
    am = torch.ones(3, 10, dtype=torch.bool)
    am[0, 8:] = False                                              # two padding positions
    with patched(ex.diffusion_loss, forward_process=record):
        loss = ex.diffusion_loss(model, clean(B=3, T=10), eps=0.05, generator=g, mask_id=2,
                                 attention_mask=am)
    call = record.calls[0] if record.calls else {}
    return {"loss": loss, "mask_id": call.get("mask_id"), "eps": call.get("eps"),
            "same_generator": call.get("generator") is g, "saw_attention_mask": model.saw_attention_mask}


@check("3.3", probe_diffusion_loss_arguments)
def test_diffusion_loss_passes_its_arguments_on(got):
    """hands eps, generator and mask_id (when given, else model.config.mask_id) to
    forward_process, and attention_mask to the model"""
    assert got["mask_id"] == 2, f"forward_process got mask_id={got['mask_id']}, not the mask_id given"
    assert got["eps"] == 0.05, f"forward_process got eps={got['eps']}, not the eps given"
    assert got["same_generator"], "forward_process did not get the generator"
    assert got["saw_attention_mask"] == [True], "the model did not get the attention_mask"
    expect_tensor(got["loss"], "diffusion_loss", shape=())
    model, x0 = tiny_model(), clean(B=3, T=10)
    am = torch.ones(3, 10, dtype=torch.bool)
    am[0, 8:] = False
    xt, masked, p_mask = fixed_masks(x0, None, 2)
    with torch.no_grad():
        ce = F.cross_entropy(model(xt, attention_mask=am).transpose(1, 2), x0, reduction="none")
    assert math.isclose(got["loss"].item(), float((ce * masked / p_mask).sum() / 30), rel_tol=1e-5)


class NoConfig(torch.nn.Module):
    """A model without a .config, so without a [MASK] id of its own: zero logits over 16 tokens."""

    def forward(self, x, attention_mask=None):
        return torch.zeros(*x.shape, 16, requires_grad=True)


def probe_diffusion_loss_errors(ex):
    x0 = clean(B=3, T=10)
    with patched(ex.diffusion_loss, forward_process=Recorder()):
        return {"no mask_id": raises(ex.diffusion_loss, NoConfig(), x0, generator=seeded(0)),
                "a prompt of T = 10 tokens": raises(ex.diffusion_loss, tiny_model(), x0,
                                                    prompt_lengths=[2, 10, 3], generator=seeded(0))}


@check("3.3", probe_diffusion_loss_errors)
def test_diffusion_loss_rejects_bad_arguments(got):
    """raises ValueError when mask_id is None and the model has no config.mask_id, and when a prompt
    length leaves its row no answer token (prompt_lengths[b] = T, which prompt_mask accepts); the
    check's stand-in forward_process raises nothing, so these are diffusion_loss's own checks"""
    for case, outcome in got.items():
        expect_error(outcome, case)
