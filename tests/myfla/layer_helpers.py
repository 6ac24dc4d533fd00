"""Small layers with every parameter moved off its initial value, and inputs for them."""

import torch


def perturbed_layer(layer_cls, kwargs: dict, seed: int = 0, dtype=torch.float64):
    """``layer_cls(**kwargs)`` in ``dtype`` and eval mode, each parameter plus N(0, 0.1^2) noise,
    as the golden fixtures perturb theirs (no parameter at a neutral value)."""
    torch.manual_seed(seed)
    layer = layer_cls(**kwargs).to(dtype)
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return layer.eval()


def hidden(B, T, dtype=torch.float64, seed=1, size=16):
    """``[B, T, size]`` standard normal hidden states from a fixed seed."""
    return torch.randn(B, T, size, generator=torch.Generator().manual_seed(seed)).to(dtype)
