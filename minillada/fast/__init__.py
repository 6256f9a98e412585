"""The same algorithms as the chapters, computed faster: one level down, never needed to read them.

Each module here computes what a chapter module computes, with the machinery a fast run needs
around it, and a test checks that both give the same result wherever their meanings coincide:

* ``training``: a training step with micro-batches (gradient accumulation), data parallelism
  (DDP under ``torchrun``), bf16 autocast, ``torch.compile`` and CUDA graphs, for
  :func:`minillada.train.train`, which uses the chapter's plain ``train_step`` when none of them
  is asked for.
* ``decoding``: more decoding rules for ``generate_fast`` and ``infill_fast`` (margin and entropy
  confidence, top-k / top-p, taking decoded tokens back), each equal to chapter 5's step where
  their meanings coincide.
* ``block_diffusion``: block diffusion (BD3-LM), the one module here that is a different model
  rather than a faster path: its loss (``objective="bd3"``) and its sampler with an exact KV cache,
  tested equal to the same sampler without it, and to LLaDA's loss when the block is the sequence.
* ``bench``: ``python -m minillada bench``, what each decoder costs on a checkpoint.

Imports run one way: these modules import the chapters, a chapter imports only the fast module it
hands its fast path to.
"""
