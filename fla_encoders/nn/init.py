"""The package's weight initialisation policy (docs/encoders.md, "Initialisation")."""

from typing import Iterator

from torch import nn


def keeps_own_init(module: nn.Module) -> bool:
    """A myfla layer (or module), or one that sets ``keep_own_init = True``: left alone."""
    return type(module).__module__.startswith("myfla.") or getattr(module, "keep_own_init", False)


def policy_modules(root: nn.Module) -> Iterator[nn.Module]:
    """``root`` and its descendants, without the subtrees that keep their own init."""
    yield root
    for child in root.children():
        if not keeps_own_init(child):
            yield from policy_modules(child)


def init_module(module: nn.Module) -> None:
    """Initialise the parameters that ``module`` itself owns (not its children's)."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.RNNBase):
        for name, param in module.named_parameters():
            if name.startswith("weight_hh"):
                nn.init.orthogonal_(param)
            elif name.startswith("weight_ih"):
                nn.init.xavier_uniform_(param)
            else:
                nn.init.zeros_(param)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)


class WeightInitializerMixin:
    """Mixed into an ``nn.Module``: ``init_weights()`` applies one policy to its own layers.

    - ``nn.Linear``: Xavier-uniform weight, zero bias.
    - ``nn.GRU``/``nn.LSTM``/``nn.RNN``: Xavier-uniform input weights, orthogonal recurrent
      weights, zero biases.
    - ``nn.Embedding``: normal, std 0.02. Norms keep their defaults (weight 1, bias 0).
    - Left alone, with everything under them: modules whose class comes from ``myfla`` (their
      special inits, e.g. GatedDeltaNet's ``A_log``/``dt_bias`` and RWKV7's per-layer ones,
      survive) and modules that set the attribute ``keep_own_init = True``.
    """

    def init_weights(self) -> None:
        for module in policy_modules(self):  # type: ignore[arg-type]
            init_module(module)
