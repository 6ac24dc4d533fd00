"""The built-in encoders, registered as entry points (docs/encoders.md): ``gru``, ``transformer``
(``pooled`` base), ``gated_deltanet``, ``gla``, ``rwkv7`` (``stacked``) and ``dual``.

Nothing is imported here: the registry imports an encoder's module on its first use.
"""
