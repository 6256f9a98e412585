"""minillada: masked diffusion language models (LLaDA, Nie et al. 2025) built from scratch.

The story, one module per chapter:

1. ``tokenizer.py``, ``bpe.py``: text to integers, with a ``[MASK]`` token
2. ``model.py``: the bidirectional Transformer (the mask predictor; ``kv_cache.py``: its cache and
   padding mask, for the samplers)
3. ``masking.py``: the forward process, masking each token with probability t (``losses.py``: the
   training losses it feeds)
4. ``likelihood.py``: the likelihood bound and its low-variance estimators
   (``guidance.py``: classifier-free guidance, shared with the sampler)
5. ``sampling.py``: the reverse process, LLaDA's remasking sampler (``sampling_fast.py``: the same
   loop with threshold decoding, the prefix cache and a trace; ``plotting.py`` draws it)
6. ``train.py``, ``data.py``: pre-training and SFT (``checkpoint.py``, ``distributed.py``,
   ``cuda_graph.py``, ``progress.py`` help)
7. ``reversal.py``: the reversal curse at toy scale, MDM against AR (``reversal_jsonl.py``: the same
   test on your own prompt/completion files)

``checks.py`` holds the input checks every public function calls; ``cli.py`` the command line.
"""

from .bpe import BPETokenizer
from .checkpoint import load_checkpoint, save_checkpoint
from .data import SFTDataset, TextDataset, synthetic_corpus
from .guidance import guided_logits
from .likelihood import (autoregressive_log_likelihood, choose, exact_elbo, log_likelihood,
                         mask_exactly, masked_token_ce, stratified_mask_counts)
from .losses import autoregressive_loss, diffusion_loss
from .masking import forward_process
from .model import ModelConfig, Transformer
from .plotting import plot_trace, render_trace
from .sampling import Trace, generate, generate_autoregressive, get_num_transfer_tokens, infill
from .train import TrainConfig, train
from .tokenizer import CharTokenizer, Tokenizer, WordTokenizer, load_tokenizer

__version__ = "0.1.0"

__all__ = [
    "BPETokenizer", "CharTokenizer", "WordTokenizer", "Tokenizer", "load_tokenizer",
    "ModelConfig", "Transformer",
    "forward_process", "mask_exactly",
    "diffusion_loss", "autoregressive_loss",
    "log_likelihood", "exact_elbo", "autoregressive_log_likelihood", "choose", "masked_token_ce",
    "stratified_mask_counts", "guided_logits",
    "generate", "infill", "generate_autoregressive", "get_num_transfer_tokens", "Trace",
    "plot_trace", "render_trace",
    "TrainConfig", "train", "TextDataset", "SFTDataset", "synthetic_corpus",
    "save_checkpoint", "load_checkpoint",
]
