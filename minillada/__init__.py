"""minillada: masked diffusion language models (LLaDA, Nie et al. 2025) built from scratch.

The story, one module per chapter:

1. ``tokenizer.py``, ``bpe.py``: text to integers, with a ``[MASK]`` token
2. ``model.py``: the bidirectional Transformer (the mask predictor)
3. ``masking.py``: the forward process, masking each token with probability t
4. ``likelihood.py``: the likelihood bound, its estimators, and the training losses
   (``guidance.py``: classifier-free guidance, shared with the sampler)
"""

from .bpe import BPETokenizer
from .guidance import guided_logits
from .likelihood import (autoregressive_log_likelihood, autoregressive_loss, choose, diffusion_loss,
                         exact_elbo, log_likelihood, stratified_mask_counts)
from .masking import forward_process, mask_exactly
from .model import ModelConfig, Transformer
from .tokenizer import CharTokenizer, Tokenizer, WordTokenizer, load_tokenizer

__version__ = "0.1.0"

__all__ = [
    "BPETokenizer", "CharTokenizer", "WordTokenizer", "Tokenizer", "load_tokenizer",
    "ModelConfig", "Transformer",
    "forward_process", "mask_exactly",
    "diffusion_loss", "autoregressive_loss",
    "log_likelihood", "exact_elbo", "autoregressive_log_likelihood", "choose",
    "stratified_mask_counts", "guided_logits",
]
