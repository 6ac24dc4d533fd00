"""Mechanisms shared by several ops: chunking and the delta rule in canonical form."""
