"""Plausible single-change student mistakes for chapters 4-6 (the mutation catalogue)."""

# (step, library module, function or class whose source is changed, old text, new text, the mistake)
MUTANTS = [
    # ---- 4.1 mask_exactly ------------------------------------------------------------------------
    ("4.1", "minillada.likelihood", "mask_exactly", "scores.masked_fill(prompt, 2.0)",
     "scores.masked_fill(prompt, -1.0)",
     "gives the prompt the lowest scores, so the prompt is masked first"),
    ("4.1", "minillada.likelihood", "mask_exactly",
     "scores = scores.masked_fill(prompt, 2.0)", "scores = scores",
     "forgets to keep the prompt out of the candidates (ignores prompt_lengths)"),
    ("4.1", "minillada.likelihood", "mask_exactly", "rank = scores.argsort(dim=1).argsort(dim=1)",
     "rank = scores.argsort(dim=1)",
     "one argsort: takes the sorting permutation (indices) for each position's rank"),
    ("4.1", "minillada.likelihood", "mask_exactly", "scores.argsort(dim=1).argsort(dim=1)",
     "scores.argsort(dim=0).argsort(dim=0)",
     "ranks along the batch instead of along the sequence"),
    ("4.1", "minillada.likelihood", "mask_exactly", "scores.argsort(dim=1).argsort(dim=1)",
     "scores.argsort(dim=1, descending=True).argsort(dim=1)",
     "masks the l largest scores, where the prompt's sentinel scores sit"),
    ("4.1", "minillada.likelihood", "mask_exactly", "masked = rank < num[:, None]",
     "masked = rank <= num[:, None]",
     "off by one: masks l + 1 positions"),
    ("4.1", "minillada.likelihood", "mask_exactly", "masked = rank < num[:, None]",
     "masked = rank < num",
     "compares the (B, T) ranks with the (B,) counts without making the counts a column"),
    ("4.1", "minillada.likelihood", "mask_exactly", "torch.where(masked, mask_id, x0)",
     "torch.where(masked, x0, mask_id)",
     "swaps the branches of torch.where: writes [MASK] at the kept positions"),
    # (the learner writes the checks of checks.mask_exactly_args inline, one of them wrong)
    ("4.1", "minillada.likelihood", "mask_exactly",
     "prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)",
     'checks.token_ids(x0, "x0")\n'
     '    checks.token_id(mask_id, "mask_id")\n'
     "    B, T = x0.shape\n"
     "    if prompt_lengths is None:\n"
     "        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)\n"
     "    else:\n"
     "        lengths = checks.prompt_lengths(prompt_lengths, B, T).to(x0.device)\n"
     "        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]\n"
     '    num = checks.counts(num_masked, B, "num_masked").to(x0.device)\n'
     "    room = torch.full((B,), T, device=x0.device)\n"
     "    if bool(((num < 0) | (num > room)).any()):\n"
     '        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "\n'
     '                         "positions after the prompt")',
     "checks the count against the whole row instead of the positions after the prompt"),
    ("4.1", "minillada.likelihood", "mask_exactly",
     "scores = rng.rand(B, T, device=x0.device, generator=generator)",
     "scores = rng.rand(B, T, device=x0.device)",
     "ignores the generator (draws from the global RNG): masks not reproducible"),
    ("4.1", "minillada.likelihood", "mask_exactly",
     "prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)",
     'checks.token_ids(x0, "x0")\n'
     '    checks.token_id(mask_id, "mask_id")\n'
     "    B, T = x0.shape\n"
     "    if prompt_lengths is None:\n"
     "        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)\n"
     "    else:\n"
     "        lengths = checks.prompt_lengths(prompt_lengths, B, T).to(x0.device)\n"
     "        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]\n"
     '    num = checks.counts(num_masked, B, "num_masked").to(x0.device)\n'
     "    room = T - prompt.sum(dim=1)\n"
     "    if bool(((num < 0) | (num >= room)).any()):\n"
     '        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "\n'
     '                         "positions after the prompt")',
     "< vs <=: refuses to mask every position after the prompt"),
    ("4.1", "minillada.likelihood", "mask_exactly",
     "prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)",
     'checks.token_id(mask_id, "mask_id")\n'
     "    B, T = x0.shape\n"
     "    if prompt_lengths is None:\n"
     "        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)\n"
     "    else:\n"
     "        lengths = checks.prompt_lengths(prompt_lengths, B, T).to(x0.device)\n"
     "        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]\n"
     '    num = checks.counts(num_masked, B, "num_masked").to(x0.device)\n'
     "    room = T - prompt.sum(dim=1)\n"
     "    if bool(((num < 0) | (num > room)).any()):\n"
     '        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "\n'
     '                         "positions after the prompt")',
     "does not check x0: a float tensor is masked like ids"),
    ("4.1", "minillada.likelihood", "mask_exactly",
     "prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)",
     'checks.token_ids(x0, "x0")\n'
     '    checks.token_id(mask_id, "mask_id")\n'
     "    B, T = x0.shape\n"
     "    if prompt_lengths is None:\n"
     "        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)\n"
     "    else:\n"
     "        lengths = checks.prompt_lengths(prompt_lengths, B, T).to(x0.device)\n"
     "        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]\n"
     '    num = checks.counts(num_masked, B, "num_masked").to(x0.device)\n'
     "    room = T - prompt.sum(dim=1)\n"
     "    if bool((num > room).any()):\n"
     '        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "\n'
     '                         "positions after the prompt")',
     "forgets that a count can be negative (rank < -1 masks nothing)"),
    # ---- 4.2 stratified_mask_counts --------------------------------------------------------------
    ("4.2", "minillada.likelihood", "stratified_mask_counts", "rng.randint(1, L + 1, ()",
     "rng.randint(1, L, ()",
     "off by one: the random start k is never L, so some l are drawn less often"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "k = int(rng.randint(1, L + 1, (), generator=generator))",
     "k = rng.randint(1, L + 1, (batch_size,), generator=generator)",
     "draws a random start per row: independent l, not stratified"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "k = int(rng.randint(1, L + 1, (), generator=generator))",
     "k = int(rng.randint(1, L + 1, ()))",
     "ignores the generator (draws the start from the global RNG)"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "torch.arange(batch_size) * L // batch_size", "torch.arange(batch_size) * (L // batch_size)",
     "integer-divides L by b before multiplying: the offsets bunch up when b does not divide L"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "torch.arange(batch_size) * L // batch_size", "torch.arange(batch_size) * batch_size // L",
     "swaps L and b in the step size"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts", "((k - 1 + offsets) % L + 1)",
     "((k - 1 + offsets) % L)",
     "forgets the + 1: l lies in [0, L - 1], and l = 0 divides by zero"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts", "((k - 1 + offsets) % L + 1)",
     "(k + offsets)",
     "forgets to wrap around: l runs past L"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts", "((k - 1 + offsets) % L + 1)",
     "((k + offsets) % L)",
     "wraps k + offset with % L but forgets the shift: l = L becomes 0"),
    # ---- 4.3 log_likelihood (and its helper _batch_loss) -----------------------------------------
    ("4.3", "minillada.likelihood", "_batch_loss", "weight = (L / l.float())[:, None]",
     "weight = (1 / l.float())[:, None]",
     "weights by 1/l instead of L/l (Eq. 14's L missing)"),
    ("4.3", "minillada.likelihood", "_batch_loss", "weight = (L / l.float())[:, None]",
     "weight = (l.float() / L)[:, None]",
     "inverts the weight: l/L instead of L/l"),
    ("4.3", "minillada.likelihood", "_batch_loss", "weight = (L / l.float())[:, None]",
     "weight = L / l.float()",
     "forgets to make the per-row weight a column (b,) -> (b, 1)"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "xt, masked = mask_exactly(x0, l, mask_id, prompt_lengths=[P] * batch_size,",
     "xt, masked = mask_exactly(x0, l, mask_id,",
     "masks positions in the prompt too (ignores the prompt length)"),
    ("4.3", "minillada.likelihood", "_batch_loss", "return (token_ce(logits, x0) * masked * weight).sum()",
     "return (token_ce(logits, xt) * masked * weight).sum()",
     "scores the noised tokens xt (mostly [MASK]) instead of the clean x0"),
    ("4.3", "minillada.likelihood", "_batch_loss", "(token_ce(logits, x0) * masked * weight).sum()",
     "(token_ce(logits, x0) * weight).sum()",
     "sums the CE of every position, not only the masked ones"),
    ("4.3", "minillada.likelihood", "_batch_loss", "(token_ce(logits, x0) * masked * weight).sum()",
     "(token_ce(logits, x0) * masked * weight).mean()",
     "means over all b * T positions instead of summing per row"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "logits = guided_logits(model, xt, prompt_index, cfg_scale=cfg_scale, mask_id=mask_id)",
     "logits = model(xt)",
     "calls the model directly: cfg_scale is ignored"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "prompt_index = torch.arange(P + L, device=seq.device) < P",
     "prompt_index = torch.arange(P + L, device=seq.device) <= P",
     "off by one: the guidance's unconditional pass also hides the first answer token"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "l = stratified_mask_counts(batch_size, L, generator, seq.device)",
     "l = stratified_mask_counts(batch_size, L, None, seq.device)",
     "does not pass the generator on to stratified_mask_counts (global RNG)"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "l = stratified_mask_counts(batch_size, L, generator, seq.device)",
     "l = stratified_mask_counts(batch_size, L, generator, seq.device) - 1",
     "counts masks from 0: l in [0, L - 1]"),
    ("4.3", "minillada.likelihood", "_batch_loss", "weight = 1.0 / p_mask", "weight = 1.0",
     "estimator 't': forgets the 1/t weight"),
    ("4.3", "minillada.likelihood", "log_likelihood", "return -total / mc_num",
     "return -total / (mc_num // batch_size)",
     "divides by the number of batches instead of the number of samples"),
    ("4.3", "minillada.likelihood", "log_likelihood", "return -total / mc_num",
     "return total / mc_num",
     "returns the loss (a negative log-likelihood) instead of minus it"),
    ("4.3", "minillada.likelihood", "log_likelihood", "return -total / mc_num",
     "return -total / (mc_num * L)",
     "averages per answer token instead of per sample"),
    # (the learner writes the checks of checks.log_likelihood_args inline, one of them wrong)
    ("4.3", "minillada.likelihood", "log_likelihood",
     "mask_id, seq, P, L = checks.log_likelihood_args(**locals())",
     "if estimator not in (\"l\", \"t\"):\n"
     '        raise ValueError(f"estimator must be \'l\' (LLaDA Eq. 14) or \'t\' (Eq. 12), "\n'
     '                         f"got {estimator!r}")\n'
     '    checks.positive_int(mc_num, "mc_num")\n'
     '    checks.positive_int(batch_size, "batch_size")\n'
     '    checks.number(cfg_scale, "cfg_scale (0 is no guidance)", 0)\n'
     '    checks.number(eps, "eps", 0, 1, open_high=True)\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "drops the ValueError when mc_num is not a multiple of batch_size"),
    ("4.3", "minillada.likelihood", "log_likelihood", "for _ in range(mc_num // batch_size))",
     "for _ in range(mc_num))",
     "runs mc_num batches (mc_num * batch_size samples) but divides by mc_num"),
    ("4.3", "minillada.likelihood", "log_likelihood",
     "mask_id, seq, P, L = checks.log_likelihood_args(**locals())",
     'checks.positive_int(mc_num, "mc_num")\n'
     '    checks.positive_int(batch_size, "batch_size")\n'
     '    checks.number(cfg_scale, "cfg_scale (0 is no guidance)", 0)\n'
     '    checks.number(eps, "eps", 0, 1, open_high=True)\n'
     "    if mc_num % batch_size:\n"
     '        raise ValueError(f"mc_num={mc_num} must be a positive multiple of batch_size={batch_size}")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "does not check the estimator's name: anything but 'l' runs estimator 't'"),
    ("4.3", "minillada.likelihood", "log_likelihood",
     "mask_id, seq, P, L = checks.log_likelihood_args(**locals())",
     "if estimator not in (\"l\", \"t\"):\n"
     '        raise ValueError(f"estimator must be \'l\' (LLaDA Eq. 14) or \'t\' (Eq. 12), "\n'
     '                         f"got {estimator!r}")\n'
     '    checks.number(cfg_scale, "cfg_scale (0 is no guidance)", 0)\n'
     '    checks.number(eps, "eps", 0, 1, open_high=True)\n'
     "    if mc_num % batch_size:\n"
     '        raise ValueError(f"mc_num={mc_num} must be a positive multiple of batch_size={batch_size}")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "checks only that mc_num is a multiple of batch_size: a negative one returns 0.0"),
    ("4.3", "minillada.likelihood", "log_likelihood",
     "mask_id, seq, P, L = checks.log_likelihood_args(**locals())",
     "if estimator not in (\"l\", \"t\"):\n"
     '        raise ValueError(f"estimator must be \'l\' (LLaDA Eq. 14) or \'t\' (Eq. 12), "\n'
     '                         f"got {estimator!r}")\n'
     '    checks.positive_int(mc_num, "mc_num")\n'
     '    checks.positive_int(batch_size, "batch_size")\n'
     '    checks.number(cfg_scale, "cfg_scale (0 is no guidance)", 0)\n'
     '    checks.number(eps, "eps", 0, 1, open_high=True)\n'
     "    if mc_num % batch_size:\n"
     '        raise ValueError(f"mc_num={mc_num} must be a positive multiple of batch_size={batch_size}")\n'
     "    mask_id = model.config.mask_id if mask_id is None else mask_id\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "reads model.config.mask_id itself: an AttributeError, not a ValueError, without a config"),
    # ---- 4.4 exact_elbo --------------------------------------------------------------------------
    ("4.4", "minillada.likelihood", "exact_elbo", "per_pattern[sizes == l].mean() / l",
     "per_pattern[sizes == l].mean()",
     "forgets the 1/l weight"),
    ("4.4", "minillada.likelihood", "exact_elbo", "per_pattern[sizes == l].mean() / l",
     "per_pattern[sizes == l].mean() * L / l",
     "weights by L/l but forgets the mean over l (the 1/L)"),
    ("4.4", "minillada.likelihood", "exact_elbo",
     "elbo = sum(per_pattern[sizes == l].mean() / l for l in range(1, L + 1))",
     "elbo = (per_pattern / sizes).mean() * L",
     "averages over all patterns at once: sizes weighted by C(L, l), not uniformly"),
    ("4.4", "minillada.likelihood", "exact_elbo", "for l in range(1, L + 1))",
     "for l in range(1, L))",
     "off by one: leaves out l = L (everything masked)"),
    # (the learner writes the checks of checks.exact_elbo_args inline, one of them wrong)
    ("4.4", "minillada.likelihood", "exact_elbo",
     "mask_id, seq, P, L = checks.exact_elbo_args(**locals())",
     'checks.positive_int(batch_size, "batch_size")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)\n"
     "    if L >= MAX_EXACT_ANSWER:\n"
     '        raise ValueError(f"exact_elbo enumerates all 2^L - 1 mask patterns; L={L} is more than "\n'
     '                         f"{MAX_EXACT_ANSWER}: use log_likelihood")',
     "< vs <=: refuses L = 12, which is allowed"),
    ("4.4", "minillada.likelihood", "exact_elbo",
     "mask_id, seq, P, L = checks.exact_elbo_args(**locals())",
     'checks.positive_int(batch_size, "batch_size")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)\n"
     "    if P > MAX_EXACT_ANSWER:\n"
     '        raise ValueError(f"exact_elbo enumerates all 2^L - 1 mask patterns; L={L} is more than "\n'
     '                         f"{MAX_EXACT_ANSWER}: use log_likelihood")',
     "checks the prompt length instead of the answer length"),
    ("4.4", "minillada.likelihood", "exact_elbo", "ce = token_ce(model(x0.masked_fill(m, mask_id)), x0)",
     "ce = token_ce(model(x0), x0)",
     "forgets to mask the input: the model sees the tokens it scores"),
    ("4.4", "minillada.likelihood", "exact_elbo", "x0.masked_fill(m, mask_id)",
     "x0.masked_fill(~m, mask_id)",
     "inverts the pattern: masks the positions that should stay"),
    ("4.4", "minillada.likelihood", "exact_elbo", "per_pattern.append((ce * m).sum(dim=1))",
     "per_pattern.append(ce.sum(dim=1))",
     "sums the CE of every position, not only the masked ones"),
    ("4.4", "minillada.likelihood", "exact_elbo", "per_pattern.append((ce * m).sum(dim=1))",
     "per_pattern.append((ce * m).mean(dim=1))",
     "means the masked CE over all P + L positions instead of summing"),
    ("4.4", "minillada.likelihood", "exact_elbo",
     "torch.zeros(len(patterns), P, dtype=torch.bool",
     "torch.ones(len(patterns), P, dtype=torch.bool",
     "masks the prompt in every pattern"),
    ("4.4", "minillada.likelihood", "exact_elbo", "return -float(elbo)", "return float(elbo)",
     "returns the bound on the loss, not on the log-likelihood (sign)"),
    ("4.4", "minillada.likelihood", "exact_elbo",
     "mask_id, seq, P, L = checks.exact_elbo_args(**locals())",
     'checks.positive_int(batch_size, "batch_size")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "forgets the length guard: runs 2^L - 1 passes for any answer length"),
    ("4.4", "minillada.likelihood", "exact_elbo",
     "mask_id, seq, P, L = checks.exact_elbo_args(**locals())",
     'checks.positive_int(batch_size, "batch_size")\n'
     "    mask_id = model.config.mask_id if mask_id is None else mask_id\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)\n"
     "    if L > MAX_EXACT_ANSWER:\n"
     '        raise ValueError(f"exact_elbo enumerates all 2^L - 1 mask patterns; L={L} is more than "\n'
     '                         f"{MAX_EXACT_ANSWER}: use log_likelihood")',
     "reads model.config.mask_id itself: an AttributeError, not a ValueError, without a config"),
    # ---- 5.1 get_num_transfer_tokens -------------------------------------------------------------
    ("5.1", "minillada.sampling", "get_num_transfer_tokens", "[None, :] < remainder",
     "[None, :] <= remainder",
     "off by one: one extra token in the first n % s + 1 steps"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens", "return base + extra.long()",
     "return base.expand(-1, steps)",
     "forgets the remainder: n % s masks are never revealed"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens",
     "torch.arange(steps, device=mask_index.device)[None, :]",
     "torch.arange(steps - 1, -1, -1, device=mask_index.device)[None, :]",
     "puts the extra tokens in the last steps instead of the first"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens",
     "mask_num = mask_index.sum(dim=1, keepdim=True)", "mask_num = mask_index.sum(dim=1)",
     "drops keepdim: (B,) counts do not broadcast against (B, steps)"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens",
     "mask_num = mask_index.sum(dim=1, keepdim=True)",
     "mask_num = mask_index.sum(dim=0, keepdim=True)",
     "counts the masks along the batch instead of along the sequence"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens",
     "base, remainder = mask_num // steps, mask_num % steps",
     "base, remainder = torch.round(mask_num / steps).long(), mask_num % steps",
     "rounds n / s instead of taking the floor"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens",
     "base, remainder = mask_num // steps, mask_num % steps",
     "base, remainder = mask_num // steps, steps % mask_num",
     "computes the remainder the wrong way round (s % n)"),
    # ---- 5.2 add_gumbel_noise --------------------------------------------------------------------
    ("5.2", "minillada.sampling", "add_gumbel_noise", "return logits.double() / temperature + gumbel",
     "return logits.double() + gumbel",
     "ignores the temperature"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "return logits.double() / temperature + gumbel",
     "return logits.double() * temperature + gumbel",
     "multiplies the logits by the temperature instead of dividing"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "return logits.double() / temperature + gumbel",
     "return (logits.double() + gumbel) / temperature",
     "divides the noise by the temperature too, which leaves the argmax unchanged"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "gumbel = -torch.log(-torch.log(",
     "gumbel = torch.log(-torch.log(",
     "sign error in the Gumbel noise: log(-log u) instead of -log(-log u)"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "gumbel = -torch.log(-torch.log(u.clamp_min(1e-300)))",
     "gumbel = -torch.log(u.clamp_min(1e-300))",
     "adds exponential noise -log u, not Gumbel noise -log(-log u)"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "u = rng.rand(*logits.shape,",
     "u = rng.rand(*logits.shape[:-1], 1,",
     "draws one noise value per position, shared by the whole vocabulary: greedy"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "generator=generator, dtype=torch.float64)",
     "generator=generator)",
     "draws the uniforms in float32 (the noise's tail is coarsely rounded)"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "generator=generator, dtype=torch.float64)",
     "dtype=torch.float64)",
     "ignores the generator (global RNG): samples not reproducible"),
    # ---- 5.3 remask_step -------------------------------------------------------------------------
    ("5.3", "minillada.sampling", "remask_step",
     'logits = logits.clone()\n    logits[..., mask_id] = float("-inf")',
     "logits = logits.clone()",
     "does not exclude [MASK] from the prediction"),
    ("5.3", "minillada.sampling", "remask_step", "logits = logits.clone()\n", "\n",
     "sets the [MASK] logit to -inf in the caller's tensor (no clone)"),
    ("5.3", "minillada.sampling", "remask_step",
     "x0 = add_gumbel_noise(logits, temperature, generator).argmax(dim=-1)",
     "x0 = logits.argmax(dim=-1)",
     "ignores the temperature: always greedy"),
    ("5.3", "minillada.sampling", "remask_step", "probs = logits.double().softmax(dim=-1)",
     "probs = add_gumbel_noise(logits, temperature, generator).double().softmax(dim=-1)",
     "takes the confidence from the Gumbel-noised scores"),
    ("5.3", "minillada.sampling", "remask_step", "probs = logits.double().softmax(dim=-1)",
     "probs = logits.double().softmax(dim=1)",
     "softmax over the sequence instead of the vocabulary"),
    ("5.3", "minillada.sampling", "remask_step", "probs = logits.double().softmax(dim=-1)",
     "probs = logits.double()",
     "ranks by the raw logit of x0, not its probability"),
    ("5.3", "minillada.sampling", "remask_step",
     "conf = probs.gather(-1, x0[..., None]).squeeze(-1)", "conf = probs.max(dim=-1).values",
     "confidence = the highest probability, not the probability of the sampled x0"),
    ("5.3", "minillada.sampling", "remask_step", 'if remasking == "low_confidence":',
     "if True:",
     "ignores remasking: always low-confidence"),
    ("5.3", "minillada.sampling", "remask_step",
     "conf = rng.rand(*x.shape, device=x.device, generator=generator, dtype=torch.float64)",
     "conf = rng.rand(*x.shape, device=x.device, dtype=torch.float64)",
     "random remasking ignores the generator (global RNG)"),
    ("5.3", "minillada.sampling", "remask_step",
     'conf = torch.where(candidates, conf, float("-inf"))',
     'conf = torch.where(candidates, float("-inf"), conf)',
     "swaps the branches: -inf on the candidates instead of off them"),
    ("5.3", "minillada.sampling", "remask_step", "descending=True", "descending=False",
     "reveals the least confident candidates"),
    ("5.3", "minillada.sampling", "remask_step", "rank = order.argsort(dim=1)", "rank = order",
     "takes the sort order (indices) for the ranks (one argsort)"),
    ("5.3", "minillada.sampling", "remask_step", "revealed = (rank < k) & candidates",
     "revealed = (rank <= k) & candidates",
     "off by one: reveals k + 1"),
    ("5.3", "minillada.sampling", "remask_step", "revealed = (rank < k) & candidates",
     "revealed = rank < k",
     "forgets & candidates: reveals non-candidates when k exceeds the candidates"),
    ("5.3", "minillada.sampling", "remask_step", "k = num_transfer.reshape(-1, 1)",
     "k = num_transfer",
     "compares (B, T) ranks with (B,) counts without making them a column"),
    ("5.3", "minillada.sampling", "remask_step", "revealed |= candidates & (conf >= threshold)",
     "revealed = candidates & (conf >= threshold)",
     "the threshold replaces the top-k instead of adding to it"),
    ("5.3", "minillada.sampling", "remask_step", "return torch.where(revealed, x0, x), conf, revealed",
     "return torch.where(candidates, x0, x), conf, revealed",
     "writes the prediction into every candidate, not only the revealed ones"),
    # ---- 5.4 guided_logits -----------------------------------------------------------------------
    ("5.4", "minillada.guidance", "guided_logits", "un + (cfg_scale + 1) * (cond - un)",
     "un + cfg_scale * (cond - un)",
     "uses w instead of w + 1 (at w = 1 no guidance at all)"),
    ("5.4", "minillada.guidance", "guided_logits", "un + (cfg_scale + 1) * (cond - un)",
     "cond + (cfg_scale + 1) * (cond - un)",
     "starts from cond instead of un (guides twice as hard)"),
    ("5.4", "minillada.guidance", "guided_logits", "un + (cfg_scale + 1) * (cond - un)",
     "un + (cfg_scale + 1) * (un - cond)",
     "wrong sign: pushes toward the unconditional prediction"),
    ("5.4", "minillada.guidance", "guided_logits", "cond, un = both.chunk(2, dim=0)",
     "un, cond = both.chunk(2, dim=0)",
     "unpacks the two halves of the batch in the wrong order"),
    ("5.4", "minillada.guidance", "guided_logits", "x.masked_fill(prompt_index.expand_as(x), mask_id)",
     "x.masked_fill(~prompt_index.expand_as(x), mask_id)",
     "hides the answer instead of the prompt in the unconditional pass"),
    ("5.4", "minillada.guidance", "guided_logits",
     "uncond = x.masked_fill(prompt_index.expand_as(x), mask_id)",
     "uncond = torch.full_like(x, mask_id)",
     "masks the whole sequence, not just the prompt, for the unconditional pass"),
    ("5.4", "minillada.guidance", "guided_logits", "torch.cat([x, uncond], dim=0)",
     "torch.cat([x, uncond], dim=1)",
     "concatenates along the sequence instead of the batch"),
    ("5.4", "minillada.guidance", "guided_logits", "    checks.guidance_scale(cfg_scale)\n", "",
     "drops the ValueError on a negative cfg_scale"),
    # ---- 6.1 lr_at -------------------------------------------------------------------------------
    ("6.1", "minillada.train", "lr_at", "return config.lr * (step + 1) / config.warmup_steps",
     "return config.lr * step / config.warmup_steps",
     "warmup off by one: step 0 has learning rate 0"),
    ("6.1", "minillada.train", "lr_at", "if step < config.warmup_steps:", "if step <= config.warmup_steps:",
     "< vs <=: one warmup step too many (lr overshoots at step warmup_steps)"),
    ("6.1", "minillada.train", "lr_at",
     "return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))",
     "return config.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))",
     "cosine without the min ratio: decays to 0"),
    ("6.1", "minillada.train", "lr_at", "max(1, config.max_steps - 1 - config.warmup_steps)",
     "max(1, config.max_steps - config.warmup_steps)",
     "off by one in the cosine length: the last step does not reach the floor"),
    ("6.1", "minillada.train", "lr_at", "0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))",
     "0.5 * (1 + math.cos(math.pi * progress))",
     "does not clamp the progress: past max_steps the cosine climbs back up"),
    ("6.1", "minillada.train", "lr_at", "(1 + math.cos(math.pi * min(progress, 1.0)))",
     "(1 + math.cos(math.pi / 2 * min(progress, 1.0)))",
     "a quarter cosine (pi / 2) instead of a half"),
    ("6.1", "minillada.train", "lr_at",
     "decay_start = config.max_steps - int(config.decay_fraction * config.max_steps)",
     "decay_start = int(config.decay_fraction * config.max_steps)",
     "wsd: starts the decay after the first fraction, not for the last fraction"),
    ("6.1", "minillada.train", "lr_at", "progress = (step - decay_start + 1) /",
     "progress = (step - decay_start) /",
     "wsd off by one: the last step does not reach the floor"),
    ("6.1", "minillada.train", "lr_at", "return config.lr + (floor - config.lr) * min(progress, 1.0)",
     "return config.lr * (1 - min(progress, 1.0))",
     "wsd decays to 0 instead of lr * min_lr_ratio"),
    ("6.1", "minillada.train", "lr_at", 'if config.schedule == "constant":\n        return config.lr',
     'if config.schedule == "constant":\n        return floor',
     "constant schedule at the floor lr * min_lr_ratio instead of lr"),
    # ---- 6.2 train_step --------------------------------------------------------------------------
    ("6.2", "minillada.train", "train_step", "optimizer.zero_grad(set_to_none=True)\n", "\n",
     "forgets zero_grad: gradients accumulate across steps"),
    ("6.2", "minillada.train", "train_step",
     "optimizer.zero_grad(set_to_none=True)\n    loss.backward()",
     "loss.backward()\n    optimizer.zero_grad(set_to_none=True)",
     "zeroes the gradients after backward: the step uses none"),
    ("6.2", "minillada.train", "train_step",
     "    if grad_clip > 0:                    # not in Algorithm 1: a guard against one bad batch\n"
     "        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n", "",
     "does not clip the gradients"),
    ("6.2", "minillada.train", "train_step",
     "loss.backward()\n"
     "    if grad_clip > 0:                    # not in Algorithm 1: a guard against one bad batch\n"
     "        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)",
     "if grad_clip > 0:\n        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n"
     "    loss.backward()",
     "clips before backward (there is nothing to clip yet)"),
    ("6.2", "minillada.train", "train_step",
     "if grad_clip > 0:                    # not in Algorithm 1: a guard against one bad batch\n"
     "        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n"
     "    optimizer.step()",
     "optimizer.step()\n    if grad_clip > 0:\n"
     "        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)",
     "clips after the optimizer step"),
    ("6.2", "minillada.train", "train_step", "clip_grad_norm_", "clip_grad_value_",
     "clips each gradient value instead of the total norm"),
    ("6.2", "minillada.train", "train_step", "diffusion_loss(model, x0, prompt_lengths,",
     "diffusion_loss(model, x0, None,",
     "ignores prompt_lengths (masks the prompt in SFT)"),
    ("6.2", "minillada.train", "train_step", "generator=generator, mask_id=mask_id",
     "mask_id=mask_id",
     "ignores the generator (global RNG masks)"),
    ("6.2", "minillada.train", "train_step", "generator=generator, mask_id=mask_id",
     "generator=generator",
     "ignores the mask_id argument (falls back to model.config.mask_id)"),
    ("6.2", "minillada.train", "train_step", "return float(loss.detach())", "return loss.detach()",
     "returns the loss tensor instead of a float"),
    ("6.2", "minillada.train", "train_step", "    optimizer.step()\n", "\n",
     "forgets optimizer.step(): the parameters never change"),

    # added with the probe/judge checks (issue 14): mistakes the reviewers wrote
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "offsets = torch.arange(batch_size) * L // batch_size",
     "offsets = torch.linspace(0, L, batch_size + 1)[:-1].round().long()",
     "spreads the offsets with round(linspace): some l come up more often when b does not divide L"),
    ("4.3", "minillada.likelihood", "_batch_loss",
     "prompt_lengths=[P] * batch_size,\n                                  generator=generator)",
     "prompt_lengths=[P] * batch_size,\n"
     "                                  generator=torch.Generator().manual_seed(0))",
     "reuses one fixed mask seed in every batch: the same masks again and again"),
    # ---- added with issue 30: the six kinds of mistake that no check saw ----------------------
    # 1. a result of another type than the contract names (the judges converted it before comparing)
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "return ((k - 1 + offsets) % L + 1).to(device)",
     "return ((k - 1 + offsets) % L + 1).int().to(device)",
     "converts the counts to int32 (.int()), not a LongTensor"),
    ("5.1", "minillada.sampling", "get_num_transfer_tokens", "return base + extra.long()",
     "return (base + extra).int()",
     "returns int32 counts (.int()), not a LongTensor"),
    ("5.3", "minillada.sampling", "remask_step", "probs = logits.double().softmax(dim=-1)",
     "probs = logits.softmax(dim=-1)",
     "takes the softmax in the logits' dtype: a float32 confidence, not float64"),
    # 2. an argument changed in place
    ("4.1", "minillada.likelihood", "mask_exactly", "return torch.where(masked, mask_id, x0), masked",
     "x0[masked] = mask_id\n    return x0, masked",
     "writes [MASK] into x0 itself: the caller's tokens are overwritten (and xt is x0)"),
    ("5.2", "minillada.sampling", "add_gumbel_noise", "return logits.double() / temperature + gumbel",
     "scores = logits.double()\n    scores /= temperature\n    scores += gumbel\n    return scores",
     "divides and adds in place on logits.double(), which for float64 logits is the caller's "
     "tensor"),
    ("5.3", "minillada.sampling", "remask_step", "revealed = (rank < k) & candidates",
     "revealed = candidates\n    revealed &= rank < k",
     "builds revealed in the caller's candidates tensor (&= on it): the caller's candidates "
     "change"),
    ("5.4", "minillada.guidance", "guided_logits",
     "    uncond = x.masked_fill(prompt_index.expand_as(x), mask_id)\n"
     "    both = model(torch.cat([x, uncond], dim=0))                  # (2B, T, V)\n"
     "    cond, un = both.chunk(2, dim=0)                              # each (B, T, V)\n",
     "    cond = model(x)\n"
     "    uncond = x\n"
     "    uncond[prompt_index.expand_as(x)] = mask_id                  # x itself: no clone\n"
     "    un = model(uncond)\n",
     "masks the prompt in x itself for the unconditional pass (after the conditional one): the "
     "caller's x is overwritten"),
    # 3. low precision where the guide says float64
    ("5.2", "minillada.sampling", "add_gumbel_noise", "return logits.double() / temperature + gumbel",
     "return (logits / temperature).double() + gumbel",
     "divides by the temperature in the logits' own dtype (bf16 rounding), then converts to float64"),
    ("5.3", "minillada.sampling", "remask_step", "probs = logits.double().softmax(dim=-1)",
     "probs = logits.softmax(dim=-1).double()",
     "takes the softmax in the logits' dtype (bf16) and converts the probabilities to float64 "
     "afterwards"),
    # 4. random draws in another order than the guide fixes
    ("4.1", "minillada.likelihood", "mask_exactly",
     "    scores = scores.masked_fill(prompt, 2.0)            # prompt positions sort last, never chosen\n"
     "    rank = scores.argsort(dim=1).argsort(dim=1)",
     "    scores = scores.masked_fill(prompt, -1.0)           # prompt positions sort last, never chosen\n"
     "    rank = scores.argsort(dim=1, descending=True).argsort(dim=1)",
     "masks the l largest scores (the prompt at -1): uniform too, but not the library's masks for "
     "a seed"),
    ("4.2", "minillada.likelihood", "stratified_mask_counts",
     "k = int(rng.randint(1, L + 1, (), generator=generator))",
     "k = int(float(rng.rand(1, generator=generator)) * L) + 1",
     "draws the start as int(u L) + 1 from a uniform: uniform on 1..L too, but not the draw the "
     "guide fixes"),
    ("4.3", "minillada.likelihood", "log_likelihood",
     "    total = sum(_batch_loss(model, seq, P, L, **batch).item() for _ in range(mc_num // batch_size))",
     "    if estimator == \"l\":                   # the mask counts of every batch first, then the masks\n"
     "        x0 = seq.expand(batch_size, -1)\n"
     "        prompt_index = torch.arange(P + L, device=seq.device) < P\n"
     "        counts = [stratified_mask_counts(batch_size, L, generator, seq.device)\n"
     "                  for _ in range(mc_num // batch_size)]\n"
     "        total = 0.0\n"
     "        for l in counts:\n"
     "            xt, masked = mask_exactly(x0, l, mask_id, prompt_lengths=[P] * batch_size,\n"
     "                                      generator=generator)\n"
     "            logits = guided_logits(model, xt, prompt_index, cfg_scale, mask_id)\n"
     "            total += float((token_ce(logits, x0) * masked * (L / l.float())[:, None]).sum())\n"
     "    else:\n"
     "        total = sum(_batch_loss(model, seq, P, L, **batch).item()\n"
     "                    for _ in range(mc_num // batch_size))",
     "draws the mask counts of every batch first, then the masks: an unbiased estimate, but not "
     "the library's for a seed"),
    # 5. a rule that the inputs never exercised (ties, a boundary where round and int differ)
    ("5.3", "minillada.sampling", "remask_step",
     "order = conf.argsort(dim=1, descending=True, stable=True)",
     "order = conf.argsort(dim=1, stable=True).flip(1)",
     "sorts ascending and flips the order: ties go to the rightmost position, not the leftmost"),
    ("5.3", "minillada.sampling", "remask_step", "descending=True, stable=True)", "descending=True)",
     "an unstable sort: tied confidences are revealed in whatever order the sort leaves them"),
    ("5.3", "minillada.sampling", "remask_step", "(conf >= threshold)", "(conf > threshold)",
     "reveals only candidates strictly above the threshold (the guide says: at least)"),
    ("6.1", "minillada.train", "lr_at",
     "decay_start = config.max_steps - int(config.decay_fraction * config.max_steps)",
     "decay_start = config.max_steps - round(config.decay_fraction * config.max_steps)",
     "rounds the number of decay steps instead of truncating it with int"),
    ("6.1", "minillada.train", "lr_at",
     "decay_start = config.max_steps - int(config.decay_fraction * config.max_steps)",
     "decay_start = config.max_steps - math.ceil(config.decay_fraction * config.max_steps)",
     "rounds the number of decay steps up (math.ceil) instead of truncating it"),
    ("6.2", "minillada.train", "train_step", "if grad_clip > 0:", "if grad_clip >= 0:",
     "clips at grad_clip = 0 too, which zeroes every gradient instead of turning clipping off"),
    # 6. an error to raise that no probe provoked
    ("4.1", "minillada.likelihood", "mask_exactly",
     "prompt, num = checks.mask_exactly_args(x0, num_masked, mask_id, prompt_lengths)",
     "if x0.is_floating_point():\n"
     '        raise ValueError("x0 must hold token ids, not floats")\n'
     '    checks.token_id(mask_id, "mask_id")\n'
     "    B, T = x0.shape\n"
     "    if prompt_lengths is None:\n"
     "        prompt = torch.zeros(B, T, dtype=torch.bool, device=x0.device)\n"
     "    else:\n"
     "        lengths = checks.prompt_lengths(prompt_lengths, B, T).to(x0.device)\n"
     "        prompt = torch.arange(T, device=x0.device)[None, :] < lengths[:, None]\n"
     '    num = checks.counts(num_masked, B, "num_masked").to(x0.device)\n'
     "    room = T - prompt.sum(dim=1)\n"
     "    if bool(((num < 0) | (num > room)).any()):\n"
     '        raise ValueError(f"cannot mask {num.tolist()} positions in rows with {room.tolist()} "\n'
     '                         "positions after the prompt")',
     "refuses float tensors only: int32 ids or a list of lists get through"),
    ("4.3", "minillada.likelihood", "log_likelihood",
     "mask_id, seq, P, L = checks.log_likelihood_args(**locals())",
     "if estimator not in (\"l\", \"t\"):\n"
     '        raise ValueError(f"estimator must be \'l\' (LLaDA Eq. 14) or \'t\' (Eq. 12), "\n'
     '                         f"got {estimator!r}")\n'
     '    checks.positive_int(mc_num, "mc_num", zero_ok=True)\n'
     '    checks.positive_int(batch_size, "batch_size")\n'
     '    checks.number(cfg_scale, "cfg_scale (0 is no guidance)", 0)\n'
     '    checks.number(eps, "eps", 0, 1, open_high=True)\n'
     "    if mc_num % batch_size:\n"
     '        raise ValueError(f"mc_num={mc_num} must be a positive multiple of batch_size={batch_size}")\n'
     "    mask_id = checks.mask_id_of(model, mask_id)\n"
     "    seq, P, L = checks.prompt_and_answer(model, prompt, answer, mask_id)",
     "refuses a negative mc_num but not 0 (which then divides by zero)"),
]
