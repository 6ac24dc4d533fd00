"""``chunk_gla``: gated linear attention computed chunk by chunk (training, prefill)."""

from typing import Optional, Tuple

import torch

from myfla.ops.kernel_inputs import KernelInputs
from myfla.ops.kernels.gated_linear import chunk_gated_linear_attention

from .inputs import gla_tensors


def chunk_gla(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    scale: Optional[float] = None,
    initial_state: Optional[torch.Tensor] = None,
    output_final_state: bool = False,
    state_v_first: bool = False,
    cu_seqlens: Optional[torch.Tensor] = None,
    cu_seqlens_cpu: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Gated linear attention over chunks of 64 tokens, per-key decays in log space.

    Args:
        q, k: ``[B, T, H, K]``; v: ``[B, T, H, V]``; g: ``[B, T, H, K]`` log decays (``<= 0``).
        scale: default ``K ** -0.5``.
        initial_state: ``[N, H, K, V]`` (``[N, H, V, K]`` with ``state_v_first``), ``N`` the
            batch size or the number of packed sequences in ``cu_seqlens``.
    Returns:
        ``o: [B, T, H, V]`` and the final state (layout as ``initial_state``) or ``None``.
    ``cu_seqlens_cpu`` is accepted for fla compatibility and not needed.
    """
    if g is None:
        raise ValueError("g must be a [B, T, H, K] tensor of log decays, got None")
    inputs = KernelInputs.from_fla(
        gla_tensors(q, k, v, g=g), out_dtype=q.dtype, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, state_v_first=state_v_first, cu_seqlens=cu_seqlens,
    )  # fmt: skip
    return inputs.run(chunk_gated_linear_attention)
