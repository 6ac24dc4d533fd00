"""RWKV7 written out plainly in float64, token by token: the definition the tests hold myfla to."""

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F


def dplr_reference(
    r: torch.Tensor,
    w: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    scale: float,
    initial_state: Optional[torch.Tensor],
    bounds: List[Tuple[int, int, int]],
) -> Tuple[torch.Tensor, torch.Tensor]:
    """``[B, T, H, *]`` inputs; ``bounds``: ``(row, start, end)`` per sequence; float64 loop.

    ``S = diag(exp(w_t)) S + b_t (a_t^T S) + k_t v_t^T`` and ``o_t = scale S^T r_t`` per head.
    """
    r, w, k, v, a, b = (x.double() for x in (r, w, k, v, a, b))
    heads, key_dim, value_dim = k.shape[2], k.shape[3], v.shape[3]
    o = torch.zeros_like(v)
    states = []
    for n, (row, start, end) in enumerate(bounds):
        s = torch.zeros(heads, key_dim, value_dim, dtype=torch.float64)
        if initial_state is not None:
            s = initial_state[n].double().clone()
        for t in range(start, end):
            read = torch.einsum("hk,hkv->hv", a[row, t], s)
            s = w[row, t].exp()[..., None] * s + b[row, t][..., None] * read[:, None, :]
            s = s + k[row, t][..., None] * v[row, t][:, None, :]
            o[row, t] = scale * torch.einsum("hk,hkv->hv", r[row, t], s)
        states.append(s)
    return o, torch.stack(states)


def layer_reference(layer, x: torch.Tensor, v_first: Optional[torch.Tensor] = None):
    """``RWKV7Attention`` in float64 for one unmasked call without cache; ``x [B, T, D]``.

    Returns ``(o [B, T, D], v_first [B, T, value_dim])``.
    """
    p = {name: t.detach().double() for name, t in layer.state_dict().items()}
    x = x.detach().double()
    batch, seq_len, _ = x.shape
    heads, dk = layer.num_heads, layer.head_dim
    dv = layer.value_dim // heads
    previous = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
    mix = {n: x + (previous - x) * p[f"x_{n}"] for n in "rwkvag"}

    def lora(name, h, act):
        out = act(h @ p[f"{name}.lora.0.weight"].T) @ p[f"{name}.lora.2.weight"].T
        bias = p.get(f"{name}.lora.2.bias")
        return out if bias is None else out + bias

    def ident(t):
        return t

    r = mix["r"] @ p["r_proj.weight"].T
    w = (
        -torch.exp(torch.tensor(-0.5, dtype=torch.float64))
        * lora("w_lora", mix["w"], torch.tanh).sigmoid()
    )
    k = mix["k"] @ p["k_proj.weight"].T
    v = mix["v"] @ p["v_proj.weight"].T
    if layer.layer_idx == 0:
        v_first = v
    else:
        gate = lora("v_lora", mix["v"], ident).sigmoid()
        v = v + (v_first.double() - v) * gate
    alpha = lora("a_lora", mix["a"], ident).sigmoid()
    g = lora("g_lora", mix["g"], torch.sigmoid)
    kk = (k * p["k_k"]).view(batch, seq_len, heads, dk)
    if layer.fuse_norm:  # fla's l2_norm; the unfused path uses F.normalize, as fla's does
        kk = kk * (kk.pow(2).sum(-1, keepdim=True) + 1e-6).rsqrt()
    else:
        kk = F.normalize(kk, dim=-1)
    k = k * (1 + (alpha - 1) * p["k_a"])
    split = (batch, seq_len, heads, dk)
    r4, w4, k4, a4 = (t.reshape(split) for t in (r, w, k, alpha))
    v4 = v.reshape(batch, seq_len, heads, dv)
    o, _ = dplr_reference(
        r4, w4, k4, v4, -kk, kk * a4, 1.0, None, [(i, 0, seq_len) for i in range(batch)]
    )
    mean = o.mean(-1, keepdim=True)
    var = o.var(-1, unbiased=False, keepdim=True)
    o = ((o - mean) / (var + layer.g_norm.eps).sqrt()).reshape(batch, seq_len, -1)
    if "g_norm.weight" in p:
        o = o * p["g_norm.weight"] + p["g_norm.bias"]
    bonus = (r4 * k4 * p["r_k"]).sum(-1, keepdim=True) * v4
    o = (o + bonus.reshape(o.shape)) * g
    return o @ p["o_proj.weight"].T, v_first
