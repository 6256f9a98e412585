"""The exercises, chapter by chapter: which library function each step rebuilds, and a hint.

This table is the single source of truth: ``python -m exercises._make_students`` writes every
chapter's ``student.py`` from it (the stubs copy the library's signatures and docstrings), the
grader names its steps from it, and ``tests/test_exercises.py`` checks the stubs against it.
"""

# folder -> (chapter number, title, [(step, library module, name, hint), ...])
CHAPTERS = {
    "01_tokenizer": (1, "Byte-level BPE", [
        (1, "minillada.bpe", "get_pair_counts",
         "loop over chunks, zip(ids, ids[1:]) gives the adjacent pairs; add each chunk's frequency"),
        (2, "minillada.bpe", "merge",
         "walk left to right with an index; when ids[i], ids[i + 1] is the pair, emit new_id and "
         "skip two"),
        (3, "minillada.bpe", "learn_merges",
         "repeat: count pairs, take the most frequent (ties: the smallest pair), stop when it occurs "
         "fewer than twice, merge it in every chunk"),
    ]),
    "02_transformer": (2, "The Transformer", [
        (1, "minillada.model", "RMSNorm",
         "x * rsqrt(mean(x^2, last dim) + eps) * weight, computed in float32, returned in x's dtype"),
        (2, "minillada.model", "rope_cache",
         "inv_freq = theta ** (-arange(0, D, 2) / D); angles = outer(positions, inv_freq)"),
        (3, "minillada.model", "apply_rope",
         "split the last dim in halves x1, x2; return cat(x1 cos - x2 sin, x1 sin + x2 cos)"),
        (4, "minillada.model", "attention",
         "scores = q @ k^T / sqrt(D); if causal, fill the strict upper triangle with -inf; "
         "softmax over the last dim, then @ v"),
        (5, "minillada.model", "SwiGLU",
         "down(silu(gate(x)) * up(x))"),
    ]),
    "03_masking": (3, "The forward process and the loss", [
        (1, "minillada.masking", "forward_process",
         "t ~ U(0, 1) per row; p_mask = (1 - eps) t + eps; mask where a uniform draw < p_mask"),
        (2, "minillada.masking", "prompt_mask",
         "compare arange(T)[None, :] with the lengths as a column: (B, 1)"),
        (3, "minillada.losses", "diffusion_loss",
         "draw the masks by calling forward_process (the tests hand it fixed masks that way); CE "
         "at the masked positions, divided by p_mask, summed, divided by B * T (SFT: each row by "
         "its answer length, then by B)"),
    ]),
    "04_likelihood": (4, "The likelihood bound", [
        (1, "minillada.likelihood", "mask_exactly",
         "a uniform score per position, prompt positions set above 1, mask the l smallest "
         "(argsort of argsort gives each position's rank)"),
        (2, "minillada.likelihood", "stratified_mask_counts",
         "a random start k in [1, L]; row j gets (k - 1 + floor(j L / b)) % L + 1"),
        (3, "minillada.likelihood", "log_likelihood",
         "estimator 'l' (Eq. 14): per batch, l from stratified_mask_counts, mask exactly l answer "
         "tokens, sum CE over masked tokens times L / l; return minus the mean over mc_num; "
         "raise ValueError when mc_num is not a multiple of batch_size"),
        (4, "minillada.likelihood", "exact_elbo",
         "enumerate every non-empty subset of answer positions (itertools.product); average the "
         "masked CE over the subsets of each size l, divide by l, sum over l, negate"),
    ]),
    "05_sampling": (5, "The reverse process", [
        (1, "minillada.sampling", "get_num_transfer_tokens",
         "n masks over s steps: n // s each, and one more in the first n % s steps"),
        (2, "minillada.sampling", "add_gumbel_noise",
         "temperature 0: return the logits; else logits / T - log(-log u) with u ~ U(0, 1), in float64"),
        (3, "minillada.sampling", "remask_step",
         "x0 = argmax (with Gumbel noise) after setting the [MASK] logit to -inf; confidence = "
         "softmax prob of x0 (or random); reveal the num_transfer most confident candidates"),
        (4, "minillada.guidance", "guided_logits",
         "run the model on x and on x with the prompt masked, in one batch; un + (w + 1)(cond - un)"),
    ]),
    "06_training": (6, "Training", [
        (1, "minillada.train", "lr_at",
         "linear warmup to config.lr over warmup_steps; then constant, cosine down to lr * min_lr_ratio, "
         "or warmup-stable-decay"),
        (2, "minillada.train", "train_step",
         "loss = diffusion_loss(...); zero the gradients, backward, clip the norm, optimizer.step()"),
    ]),
}

# A paragraph on top of each chapter's GUIDE.md: what the steps build, and why.
INTROS = {
    "01_tokenizer": (
        "A language model reads integers. Byte-level BPE (Sennrich et al. 2016; GPT-2) starts from "
        "the 256 bytes and repeatedly merges the most frequent adjacent pair into a new token, so "
        "that common words become one token while any string still round-trips. minillada's BPE "
        "keeps ids 0..3 for the special tokens `[PAD] [MASK] [BOS] [EOS]`, bytes at 4..259 and "
        "merges from 260. You write the three pieces of training; `BPETokenizer` does the rest."),
    "02_transformer": (
        "LLaDA's mask predictor is a LLaMA-style Transformer (LLaDA Sec. 2.2, Table 5): RMSNorm, "
        "rotary position embeddings, SwiGLU, and attention. Its one difference from a GPT is the "
        "attention mask: a masked token must see the words on both sides, so attention is not "
        "causal. You write each part; the tests compare them with PyTorch and with the library."),
    "03_masking": (
        "The forward process masks each token independently (LLaDA Eq. 7) with probability t, "
        "the linear schedule (Eq. 8), and the training loss is the cross-entropy of the masked "
        "tokens weighted by 1/t (Eq. 3), an upper bound on the negative log-likelihood (Eq. 4). For SFT "
        "the prompt is never masked and each row is normalised by its answer length (Eq. 5)."),
    "04_likelihood": (
        "The bound of chapter 3 can be estimated two ways: draw t and mask each token w.p. t "
        "(Eq. 12), or draw the number of masks l uniformly and mask exactly l tokens, weighting by "
        "L / l (Eq. 14), which has far lower variance. For short answers it can be computed "
        "exactly by enumerating every mask pattern; the exact value is the tests' oracle."),
    "05_sampling": (
        "Generation runs the forward process backwards (LLaDA Algorithms 4 and 5, `generate.py`): "
        "start from all masks, predict every mask at once, keep the most confident predictions "
        "and remask the rest, revealing the same number of tokens per step. Gumbel-max turns a "
        "prediction into a sample, and classifier-free guidance (Eq. 16) sharpens it."),
    "06_training": (
        "Training (LLaDA Algorithms 1 and 2) is the loss of chapter 3 inside an optimizer loop, "
        "with a learning-rate schedule: linear warmup, then cosine decay or LLaDA's "
        "warmup-stable-decay (Sec. 2.2). You write the schedule and one optimizer step."),
}
