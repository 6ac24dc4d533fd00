"""A plugin that fails when imported: fla-encoders must report it and carry on."""

raise RuntimeError("broken_encoder_plugin fails to import, on purpose")
