"""Adapters to other frameworks, the top layer beside the command line. Each module needs its
framework and imports it only when imported itself; this package imports nothing.

- ``fla_encoders.contrib.qlib``: ``FLAEncoderModel``, any registered encoder as a Qlib model
  (needs pyqlib); ``fla_encoders.contrib.qlib_data``: Qlib's frames as fla-encoders datasets
  (needs pandas only).
"""
