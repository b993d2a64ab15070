"""Tiny random-weight Borzoi and Enformer networks (the real architectures at toy sizes).

Borzoi's convolution tower has fixed widths (512 to 1,280 channels) and its head 7,611
tracks, so a "tiny" Borzoi is tiny in its transformer (1 layer of 32 channels) and window
(4,096 bp -> 128 bins of 32 bp, 32 kept); about 34 M parameters, 0.1 s per sequence on a CPU.
"""

from __future__ import annotations

import torch

#: Window (bp) and kept output bins of the tiny Borzoi.
BORZOI_LENGTH, BORZOI_BINS = 4096, 32
#: Window (bp), bin size and kept bins of the tiny Enformer (human head of 5,313 tracks).
ENFORMER_LENGTH, ENFORMER_BIN, ENFORMER_BINS = 512, 8, 16


def tiny_borzoi(seed: int = 0) -> torch.nn.Module:
    """A random-weight ``borzoi_pytorch.Borzoi`` with a 1-layer, 32-channel transformer."""
    from borzoi_pytorch import Borzoi
    from borzoi_pytorch.config_borzoi import BorzoiConfig

    torch.manual_seed(seed)
    net = Borzoi(BorzoiConfig(dim=32, depth=1, heads=2, attn_dim_key=8, attn_dim_value=16, bins_to_return=BORZOI_BINS))
    with torch.no_grad():  # Borzoi zero-inits its biases; random ones make tracks differ
        net.human_head.bias.normal_(0.0, 1.0)
    return net.eval()


def tiny_enformer(seed: int = 0) -> torch.nn.Module:
    """A random-weight ``enformer_pytorch.Enformer``: 48 channels, 1 layer, 8 bp bins, 5,313 human tracks."""
    from enformer_pytorch import Enformer

    torch.manual_seed(seed)
    net = Enformer.from_hparams(
        dim=48, depth=1, heads=2, output_heads=dict(human=5313), target_length=ENFORMER_BINS,
        num_downsamples=3, dim_divisible_by=8,
    )
    return net.eval()
