"""fla 0.6.0's public names, written out from its ``__all__`` lists: each one that myfla has is
importable from the module fla exports it from; the others are listed here with the reason."""

import importlib

import pytest

# fla 0.6.0's __all__ of the modules myfla covers.
FLA_LAYERS = [
    "ABCAttention", "Attention", "BasedLinearAttention", "BitAttention", "Comba",
    "CyclicFlowAttention", "DeltaFormerAttention", "DeltaNet", "ForgettingAttention",
    "GatedDeltaNet", "GatedDeltaNet2", "GatedDeltaProduct", "GatedLinearAttention",
    "GatedSlotAttention", "HGRN2Attention", "HGRNAttention", "KimiDeltaAttention",
    "LightNetAttention", "LinearAttention", "LogLinearMamba2", "Mamba", "Mamba2", "Mamba3",
    "MesaNet", "MoBA", "MomAttention", "MomentumDeltaNet", "MultiScaleRetention",
    "MultiheadLatentAttention", "NativeSparseAttention", "PaTHAttention", "Parallax",
    "PrecondGatedDeltaNet", "PrecondKDA", "RWKV6Attention", "RWKV7Attention", "Raven",
    "ReBasedLinearAttention", "RodimusAttention", "SlidingWindowSharedKeyAttention",
    "StickBreakingAttention", "WallAttention", "YOCOCrossAttention", "YOCOGatedRetention",
    "YOCOSharedKVBuilder",
]
FLA_MODEL_FAMILIES = [
    "ABC", "BitNet", "CAT", "Comba", "CyclicFlowAttention", "DeltaFormer", "DeltaNet",
    "ForgettingTransformer", "GLA", "GSA", "GatedDeltaNet", "GatedDeltaProduct", "HGRN2", "HGRN",
    "KDA", "LightNet", "LinearAttention", "LogLinearMamba2", "MLA", "Mamba2", "Mamba3", "Mamba",
    "MesaNet", "MoBA", "Mom", "NSA", "PaTHAttention", "Parallax", "PrecondGatedDeltaNet",
    "PrecondKDA", "RWKV6", "RWKV7", "Raven", "RetNet", "Rodimus", "Samba",
    "StickBreakingAttention", "Transformer", "WallTransformer", "YOCO",
]
FLA_MODELS = [f"{family}{kind}" for family in FLA_MODEL_FAMILIES
              for kind in ("Config", "ForCausalLM", "Model")]
FLA_ALL = {
    # fla's top level: the layers' and the models' __all__, less the configs.
    "": FLA_LAYERS + [name for name in FLA_MODELS if not name.endswith("Config")],
    "layers": FLA_LAYERS,
    "layers.rwkv6": ["LoRA"],  # fla's home of LoRA (the module has no __all__)
    "models": FLA_MODELS,
    "models.utils": ["Cache", "FLACache", "FLAGenerationMixin", "FLALayer",
                     "FLAUnsupportedCacheGenerationMixin", "LegacyFLACache"],
    "models.cache_utils": ["Cache", "FLACache", "FLALayer"],
    "models.gated_deltanet": ["GatedDeltaNetConfig", "GatedDeltaNetForCausalLM",
                              "GatedDeltaNetModel"],
    "models.gla": ["GLAConfig", "GLAForCausalLM", "GLAModel"],
    "models.rwkv7": ["RWKV7Config", "RWKV7ForCausalLM", "RWKV7Model"],
    "modules": [
        "BitLinear", "FusedBitLinear", "FusedCrossEntropyLoss", "FusedKLDivLoss",
        "FusedLayerNormGated", "FusedLayerNormSwishGate", "FusedLayerNormSwishGateLinear",
        "FusedLinearCrossEntropyLoss", "FusedRMSNormGated", "FusedRMSNormSwishGate",
        "FusedRMSNormSwishGateLinear", "GatedMLP", "GroupNorm", "GroupNormLinear",
        "ImplicitLongConvolution", "L2Norm", "LayerNorm", "LayerNormLinear", "LongConvolution",
        "RMSNorm", "RMSNormLinear", "RotaryEmbedding", "ShortConvolution", "TokenShift",
    ],
    "modules.activations": [
        "ACT2FN", "elu_p1", "fast_gelu_impl", "logsigmoid", "powglu", "powglu_linear",
        "sigmoid", "sigmoidglu", "sigmoidglu_linear", "sqrelu", "swiglu", "swiglu_linear",
        "swish",
    ],
    "modules.mlp": ["GatedMLP", "SwiGLULinear"],
    "modules.l2warp": ["l2_warp"],
    "ops": [
        "chunk_abc", "chunk_comba", "chunk_cyfa", "chunk_delta_rule", "chunk_dplr_delta_rule",
        "chunk_gated_delta_rule", "chunk_gdn", "chunk_gla", "chunk_gsa", "chunk_iplr_delta_rule",
        "chunk_kda", "chunk_lightning_attn", "chunk_linear_attn", "chunk_log_linear_attn",
        "chunk_mesa_net", "chunk_momentum_delta_rule", "chunk_precond_gated_delta_rule",
        "chunk_precond_kda", "chunk_retention", "chunk_rwkv6", "chunk_rwkv7", "chunk_simple_gla",
        "fused_attnres", "fused_chunk_based", "fused_chunk_delta_rule", "fused_chunk_gla",
        "fused_chunk_linear_attn", "fused_chunk_retention", "fused_chunk_simple_gla",
        "fused_recurrent_comba", "fused_recurrent_cyfa", "fused_recurrent_delta_rule",
        "fused_recurrent_dplr_delta_rule", "fused_recurrent_gated_delta_rule",
        "fused_recurrent_gdn", "fused_recurrent_gla", "fused_recurrent_gsa",
        "fused_recurrent_hgrn", "fused_recurrent_iplr_delta_rule", "fused_recurrent_kda",
        "fused_recurrent_lightning_attn", "fused_recurrent_linear_attn",
        "fused_recurrent_momentum_delta_rule", "fused_recurrent_precond_gated_delta_rule",
        "fused_recurrent_precond_kda", "fused_recurrent_retention", "fused_recurrent_rwkv6",
        "fused_recurrent_rwkv7", "fused_recurrent_simple_gla", "parallel_attn",
        "parallel_based", "parallel_forgetting_attn", "parallel_nsa", "parallel_parallax",
        "parallel_path_attn", "parallel_retention", "parallel_simple_gla",
        "parallel_stickbreaking_attn", "parallel_wall_attn", "parallel_wall_attn_decode",
    ],
    "ops.gla": ["chunk_gla", "fused_chunk_gla", "fused_recurrent_gla"],
    "ops.gated_delta_rule": [
        "chunk_gated_delta_rule", "chunk_gdn", "fused_recurrent_gated_delta_rule",
        "fused_recurrent_gdn", "naive_chunk_gated_delta_rule", "naive_recurrent_gated_delta_rule",
    ],
    "ops.generalized_delta_rule": ["chunk_dplr_delta_rule", "chunk_iplr_delta_rule",
                                   "fused_recurrent_dplr_delta_rule",
                                   "fused_recurrent_iplr_delta_rule"],
    "ops.generalized_delta_rule.dplr": ["chunk_dplr_delta_rule",
                                        "fused_recurrent_dplr_delta_rule"],
    "ops.rwkv7": ["chunk_rwkv7", "fused_mul_recurrent_rwkv7", "fused_recurrent_rwkv7"],
    "ops.utils": [
        "addmm", "chunk_global_cumsum", "chunk_global_cumsum_scalar",
        "chunk_global_cumsum_vector", "chunk_local_cumsum", "chunk_local_cumsum_scalar",
        "chunk_local_cumsum_vector", "get_max_num_splits", "logsumexp_fwd", "matmul",
        "mean_pooling", "pack_sequence", "prepare_block_csr", "prepare_chunk_indices",
        "prepare_chunk_indices_static", "prepare_chunk_offsets", "prepare_cu_seqlens_from_lens",
        "prepare_cu_seqlens_from_mask", "prepare_lens", "prepare_lens_from_mask",
        "prepare_position_ids", "prepare_sequence_ids", "prepare_token_indices", "sinkhorn",
        "softmax_bwd", "softmax_fwd", "softplus", "solve_tril", "unpack_sequence",
    ],
}  # fmt: skip

# What myfla leaves out, and why.
# In the modules that list every family (top level, layers, models, ops), the names of myfla's.
OUR_FAMILIES = {
    "GatedDeltaNet", "GatedLinearAttention", "RWKV7Attention",
    *(f"{family}{kind}" for family in ("GatedDeltaNet", "GLA", "RWKV7")
      for kind in ("Config", "ForCausalLM", "Model")),
    "chunk_dplr_delta_rule", "chunk_gated_delta_rule", "chunk_gdn", "chunk_gla", "chunk_rwkv7",
    "fused_chunk_gla", "fused_recurrent_dplr_delta_rule", "fused_recurrent_gated_delta_rule",
    "fused_recurrent_gdn", "fused_recurrent_gla", "fused_recurrent_rwkv7",
}  # fmt: skip
OTHER_FAMILY = "a layer, model or op family outside myfla (GatedDeltaNet, GLA, RWKV7 only)"
TRITON_HELPER = "a building block of fla's Triton kernels; myfla's ops do not need it"
NOT_IMPLEMENTED = {
    "models.utils": {"LegacyFLACache": "fla's deprecated shared-counter cache; "
                                       "Cache.from_legacy_cache converts one"},
    "modules": {
        "BitLinear": OTHER_FAMILY, "FusedBitLinear": OTHER_FAMILY,
        "FusedCrossEntropyLoss": "Triton loss; the models use torch's cross-entropy for it",
        "FusedLinearCrossEntropyLoss": "Triton loss; the models use torch's cross-entropy",
        "FusedKLDivLoss": "Triton loss, used by no myfla model",
        "FusedLayerNormSwishGateLinear": "norm fused with a linear layer, used by no myfla layer",
        "FusedRMSNormSwishGateLinear": "norm fused with a linear layer, used by no myfla layer",
        "GroupNormLinear": "norm fused with a linear layer, used by no myfla layer",
        "LayerNormLinear": "norm fused with a linear layer, used by no myfla layer",
        "RMSNormLinear": "norm fused with a linear layer, used by no myfla layer",
        "ImplicitLongConvolution": OTHER_FAMILY, "LongConvolution": OTHER_FAMILY,
        "RotaryEmbedding": "for softmax attention, which myfla does not have",
        "TokenShift": "the module form; myfla.modules.token_shift.token_shift is the function",
    },
    "modules.activations": {
        "powglu": "GatedMLP's 'powlu' activation is not implemented",
        "powglu_linear": "GatedMLP's 'powlu' activation is not implemented",
        "sigmoidglu": "used by no myfla layer or model",
        "sigmoidglu_linear": "used by no myfla layer or model",
    },
    "ops": {"fused_attnres": "attention residuals (attnres_block_size) are not implemented"},
    "ops.generalized_delta_rule": {"chunk_iplr_delta_rule": OTHER_FAMILY,
                                   "fused_recurrent_iplr_delta_rule": OTHER_FAMILY},
    "ops.utils": dict.fromkeys(
        ("addmm", "chunk_global_cumsum", "chunk_global_cumsum_scalar",
         "chunk_global_cumsum_vector", "chunk_local_cumsum", "chunk_local_cumsum_scalar",
         "chunk_local_cumsum_vector", "get_max_num_splits", "logsumexp_fwd", "matmul",
         "mean_pooling", "prepare_block_csr", "prepare_chunk_indices_static", "sinkhorn",
         "softmax_bwd", "softmax_fwd", "softplus", "solve_tril"),
        TRITON_HELPER,
    ),
}  # fmt: skip
FAMILY_MODULES = ("", "layers", "models", "ops")
MODEL_MODULES = ("models", "models.gated_deltanet", "models.gla", "models.rwkv7")


def reason_missing(module: str, name: str):
    """Why myfla has no ``name`` in ``module``, or ``None`` if it should have it."""
    if name in NOT_IMPLEMENTED.get(module, {}):
        return NOT_IMPLEMENTED[module][name]
    if module in FAMILY_MODULES and name not in OUR_FAMILIES:
        return OTHER_FAMILY
    return None


@pytest.mark.parametrize("module", sorted(FLA_ALL), ids=lambda m: m or "fla")
def test_flas_names_are_where_fla_has_them(module):
    if module.startswith(MODEL_MODULES) or module == "":
        pytest.importorskip("transformers", reason="the models need transformers (myfla[hf])")
    ours = importlib.import_module("myfla" + ("." + module if module else ""))
    missing = [n for n in FLA_ALL[module] if not reason_missing(module, n) and not hasattr(ours, n)]
    listed_but_present = [
        n for n in FLA_ALL[module] if reason_missing(module, n) and hasattr(ours, n)
    ]
    assert missing == [] and listed_but_present == []
