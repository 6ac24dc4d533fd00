"""The built-in encoders, one module each; registered as entry points (docs/encoders.md).

Nothing is imported here: the registry imports an encoder's module on its first use.
"""
