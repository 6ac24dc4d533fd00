"""The maths of the ops, on tensors already checked and brought to canonical form.

Canonical form: head-first ``[B, H, T, ...]`` tensors sharing one floating dtype, key-first
states ``[B, H, K, V]``, as many key heads as value heads. Each kernel returns the output
``[B, H, T, V]`` and the final state. ``chunked`` and ``decays`` hold the pieces that several
chunked kernels share; ``gated_linear``, ``delta_rule`` and ``dplr`` one recurrence each, in a
chunked and a token-by-token form; ``l2norm`` the normalisation applied inside some ops.
"""
