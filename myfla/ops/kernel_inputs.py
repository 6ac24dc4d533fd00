"""``KernelInputs``: one op call, checked and in the kernels' form, and the way back to fla's.

An op front end checks the arguments of its own family, applies the family's preprocessing and
hands the tensors, in fla's layout, to :meth:`KernelInputs.from_fla`, which checks what every op
shares (``scale``, ``cu_seqlens``, ``initial_state``) and builds the kernels' form;
:meth:`KernelInputs.run` calls the kernel and returns its results in fla's form.

fla's layout: ``[B, T, H, ...]`` tensors, states ``[N, H, K, V]`` (``[N, H, V, K]`` with
``state_v_first``), ``N`` the batch size or the number of packed sequences in ``cu_seqlens``.
Kernels' form (``myfla.ops.kernels``): head-first ``[B, H, T, ...]`` tensors in the compute
dtype, key-first states.
"""

import dataclasses
from typing import Callable, Dict, Optional, Tuple

import torch

from myfla._checks import autocast_off, check_float_tensor, check_optional_real, compute_dtype

from .utils.varlen import check_cu_seqlens, to_padded, unpad_packed

Kernel = Callable[..., Tuple[torch.Tensor, torch.Tensor]]


@dataclasses.dataclass(frozen=True)
class KernelInputs:
    """The kernel's arguments and what restoring fla's form needs.

    ``tensors``: head-first ``[B, H, T, ...]`` in the compute dtype (``None`` entries pass as
    ``None``); packed sequences run as a right-padded batch ``[N, H, L, ...]`` whose padding is
    made of identity steps, and ``unpad_index`` takes their outputs back to ``[1, T, ...]``.
    ``initial_state``: ``[B, H, K, V]``, key-first, zeros where none was given.
    """

    tensors: Dict[str, Optional[torch.Tensor]]
    scale: float
    initial_state: torch.Tensor
    output_final_state: bool
    state_v_first: bool
    out_dtype: torch.dtype
    unpad_index: Optional[torch.Tensor]

    @classmethod
    def from_fla(
        cls,
        tensors: Dict[str, Optional[torch.Tensor]],
        *,
        out_dtype: torch.dtype,
        scale: Optional[float],
        initial_state: Optional[torch.Tensor],
        output_final_state: bool,
        state_v_first: bool = False,
        cu_seqlens: Optional[torch.Tensor] = None,
    ) -> "KernelInputs":
        """Check the shared arguments and build the kernels' form of ``tensors``.

        ``tensors``: the family's checked tensors in fla's layout, ``q, k: [B, T, H, K]`` and
        ``v: [B, T, H, V]`` among them; the kernel gets them in the compute dtype of ``q``.
        ``scale``: default ``K ** -0.5``. ``out_dtype``: the dtype of the output ``o`` (that of
        the caller's ``q``).
        """
        q, k, v = tensors["q"], tensors["k"], tensors["v"]
        batch, seq_len = q.shape[:2]
        heads, key_dim, value_dim = v.shape[2], k.shape[-1], v.shape[-1]
        check_optional_real("scale", scale)
        num_seqs = batch
        if cu_seqlens is not None:
            check_cu_seqlens(cu_seqlens, batch, seq_len)
            num_seqs = cu_seqlens.numel() - 1
        dtype = compute_dtype(q)
        tensors = {name: None if x is None else x.to(dtype) for name, x in tensors.items()}
        if initial_state is not None:
            layout = (value_dim, key_dim) if state_v_first else (key_dim, value_dim)
            check_float_tensor(
                "initial_state",
                initial_state,
                (num_seqs, heads) + layout,
                "[N, H, V, K]" if state_v_first else "[N, H, K, V]",
            )
            initial_state = initial_state.to(dtype)
            if state_v_first:
                initial_state = initial_state.transpose(-1, -2)
        names = list(tensors)
        values = [tensors[name] for name in names]
        unpad_index = None
        if cu_seqlens is not None:
            values, unpad_index = to_padded(*values, cu_seqlens=cu_seqlens)
        head_first = {n: None if t is None else t.transpose(1, 2) for n, t in zip(names, values)}
        if initial_state is None:
            initial_state = head_first["k"].new_zeros(
                head_first["k"].shape[:2] + (key_dim, value_dim)
            )
        return cls(
            tensors=head_first,
            scale=key_dim**-0.5 if scale is None else scale,
            initial_state=initial_state,
            output_final_state=output_final_state,
            state_v_first=state_v_first,
            out_dtype=out_dtype,
            unpad_index=unpad_index,
        )

    def run(self, kernel: Kernel, **options) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``kernel(**tensors, scale=, initial_state=, **options)`` in fla's form.

        Returns ``o: [B, T, H, V]`` in ``out_dtype`` and the final state in fla's layout (compute
        dtype), or ``None`` unless ``output_final_state``. Inputs with no sequence or no time step
        never reach the kernel: the output is empty and the final state is the initial one.
        """
        v = self.tensors["v"]
        if v.shape[0] == 0 or v.shape[2] == 0:
            o, final_state = v * 0, self.initial_state  # empty: autograd still reaches v
        else:
            with autocast_off(v.device):
                o, final_state = kernel(
                    **self.tensors, scale=self.scale, initial_state=self.initial_state, **options
                )
        o = o.transpose(1, 2)
        if self.unpad_index is not None:
            o = unpad_packed(o, self.unpad_index)
        o = o.contiguous().to(self.out_dtype)
        if not self.output_final_state:
            return o, None
        if self.state_v_first:
            final_state = final_state.transpose(-1, -2)
        return o, final_state.contiguous()


def check_qkv(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    names: Tuple[str, str, str] = ("q", "k", "v"),
    **like_k: torch.Tensor,
) -> None:
    """``q: [B, T, H, K]``, ``k`` and each of ``like_k`` shaped as ``q``, ``v: [B, T, H, V]``.

    All floating tensors; ``names``: what the caller calls ``q, k, v``, for the messages (RWKV7
    says ``r`` for ``q``).
    """
    check_float_tensor(names[0], q, (None,) * 4, "[B, T, H, K]")
    check_float_tensor(names[1], k, q.shape, f"[B, T, H, K] as {names[0]}")
    check_float_tensor(names[2], v, (*q.shape[:3], None), "[B, T, H, V]")
    for name, x in like_k.items():
        check_float_tensor(name, x, q.shape, f"[B, T, H, K] as {names[0]}")
