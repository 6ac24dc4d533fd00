"""The base package needs no transformers: ``import myfla`` never imports it, and without it
the plain Cache stays and the models say what to install. Each check runs in a fresh
interpreter; "without" blocks the import (``sys.modules['transformers'] = None``)."""

import subprocess
import sys
import textwrap

BLOCK = "import sys; sys.modules['transformers'] = None\n"


def run(code: str, without_transformers: bool = False) -> None:
    code = (BLOCK if without_transformers else "") + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_import_myfla_imports_no_transformers():
    run(
        """
        import sys
        import myfla, myfla.layers, myfla.modules, myfla.ops
        from myfla import GatedDeltaNet, GatedLinearAttention, RWKV7Attention
        assert not [m for m in sys.modules if m.split(".")[0] == "transformers"]
        """
    )


def test_without_transformers_the_plain_cache_stays():
    run(
        """
        import torch
        import myfla
        from myfla.models import Cache
        from myfla.models.utils import Cache as UtilsCache
        assert Cache is UtilsCache and Cache.__mro__[1:] == (object,)
        cache = Cache()
        layer = myfla.GatedDeltaNet(hidden_size=32, head_dim=8, num_heads=2, layer_idx=0)
        layer(torch.randn(1, 3, 32), past_key_values=cache, use_cache=True)
        assert cache.get_seq_length() == 3
        """,
        without_transformers=True,
    )


def test_without_transformers_the_models_say_what_to_install():
    run(
        """
        import myfla
        for get in (lambda: myfla.GLAForCausalLM,
                    lambda: __import__("myfla.models", fromlist=["RWKV7Config"]).RWKV7Config):
            try:
                get()
            except ImportError as error:
                assert "myfla[hf]" in str(error), error
            else:
                raise AssertionError("no ImportError")
        """,
        without_transformers=True,
    )
