"""Model backends: the :class:`Model` protocol and its implementations.

``Enformer``, ``KerasModel`` and the embedded world's ``SyntheticModel`` import TensorFlow;
they are loaded on first access so that ``import creme_lib.models`` stays light.
"""

from creme_lib.models.base import CallableModel, Model, resolve_bins, resolve_tracks

_LAZY = {
    "Enformer": "creme_lib.models.enformer",
    "KerasModel": "creme_lib.models.keras",
    "TFModel": "creme_lib.models.keras",
    "SyntheticModel": "creme_lib.world.model",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'creme_lib.models' has no attribute {name!r}")


__all__ = ["Model", "CallableModel", "resolve_bins", "resolve_tracks", *_LAZY]
