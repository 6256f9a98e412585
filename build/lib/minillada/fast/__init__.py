"""The same algorithms as the chapters, computed faster: one level down, never needed to read them.

Each module here computes what a chapter module computes, with the machinery a fast run needs
around it, and a test checks that both give the same result wherever their meanings coincide:

* ``training``: a training step with micro-batches (gradient accumulation), data parallelism
  (DDP under ``torchrun``), bf16 autocast, ``torch.compile`` and CUDA graphs, for
  :func:`minillada.train.train`, which uses the chapter's plain ``train_step`` when none of them
  is asked for.

Imports run one way: these modules import the chapters, a chapter imports only the fast module it
hands its fast path to.
"""
