"""Numeric primitives: numpy in, numpy out. Never imports a widget or a plot."""

from .backend import BACKEND_NAMES, ENGINES, PRIMITIVES, Backend, cuda_status, get_backend

__all__ = ["BACKEND_NAMES", "ENGINES", "PRIMITIVES", "Backend", "cuda_status", "get_backend"]
