"""minillada: masked diffusion language models (LLaDA, Nie et al. 2025) built from scratch.

The story, one module per chapter, in the order of the notebooks:

1. ``tokenizer.py``, ``bpe.py``: text to integers, with a ``[MASK]`` token
2. ``model.py``: the bidirectional Transformer, the mask predictor
3. ``masking.py``: the forward process, masking each token with probability t; ``losses.py``: the
   training losses it feeds
4. ``likelihood.py``: the likelihood bound and its low-variance estimators; ``guidance.py``:
   classifier-free guidance, shared with the sampler
5. ``sampling.py``: the reverse process, LLaDA's remasking sampler
6. ``train.py`` (``train_config.py``: its settings), ``data.py``: pre-training and SFT
7. ``reversal/``: the reversal curse at toy scale, MDM against AR (``task.py``: the made-up facts;
   ``jsonl.py``: the same test on your own prompt/completion files)

``cli.py`` is the command line. Two sub-packages hold the rest, and no chapter needs them to be read:

* ``fast/``: the same algorithms computed faster, each tested equal to its chapter: threshold
  decoding, the prefix cache, padding and the step-by-step ``Trace`` (``fast/sampling.py``), the
  KV-cache state, the training step with micro-batches, data parallelism, compile and CUDA graphs;
* ``infra/``: what no chapter teaches: the argument checks every public function calls, seeded
  draws, progress bars, checkpoints and run directories, plotting, and the helpers of the
  practice notebooks.
"""

from .bpe import BPETokenizer
from .data import SFTDataset, TextDataset, synthetic_corpus
from .fast.sampling import Trace, generate_fast, infill_fast
from .guidance import guided_logits
from .infra.checkpoint import load_checkpoint, save_checkpoint
from .infra.plotting import plot_trace, render_trace
from .likelihood import (autoregressive_log_likelihood, choose, exact_elbo, log_likelihood,
                         mask_exactly, masked_token_ce, stratified_mask_counts)
from .losses import autoregressive_loss, diffusion_loss
from .masking import forward_process
from .model import ModelConfig, Transformer
from .sampling import generate, generate_autoregressive, get_num_transfer_tokens, infill
from .tokenizer import CharTokenizer, Tokenizer, WordTokenizer, load_tokenizer
from .train import TrainConfig, train

__version__ = "0.1.0"

__all__ = [
    "BPETokenizer", "CharTokenizer", "WordTokenizer", "Tokenizer", "load_tokenizer",
    "ModelConfig", "Transformer",
    "forward_process", "mask_exactly",
    "diffusion_loss", "autoregressive_loss",
    "log_likelihood", "exact_elbo", "autoregressive_log_likelihood", "choose", "masked_token_ce",
    "stratified_mask_counts", "guided_logits",
    "generate", "infill", "generate_autoregressive", "get_num_transfer_tokens",
    "generate_fast", "infill_fast", "Trace",
    "plot_trace", "render_trace",
    "TrainConfig", "train", "TextDataset", "SFTDataset", "synthetic_corpus",
    "save_checkpoint", "load_checkpoint",
]
