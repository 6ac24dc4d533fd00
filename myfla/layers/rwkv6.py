"""``fla.layers.rwkv6``: fla keeps RWKV7's ``LoRA`` here; myfla has it in ``myfla.modules.lora``."""

from myfla.modules.lora import LoRA

__all__ = ["LoRA"]
