"""LiSA training on PyTorch for the lisa workbench (see the README's "Scaling out" section)."""
__version__ = "0.1.0"
