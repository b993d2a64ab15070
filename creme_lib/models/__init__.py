"""Model backends: the :class:`Model` protocol and its implementations.

``Enformer``, ``KerasModel`` and the embedded world's ``SyntheticModel`` import TensorFlow;
``TorchModel``, ``Borzoi`` and ``EnformerTorch`` import PyTorch. They are loaded on first
access so that ``import creme_lib.models`` stays light; the published models' windows, bins
and tracks are in :mod:`creme_lib.models.layouts`, which imports neither.
"""

from creme_lib.models.base import CallableModel, Model, resolve_bins, resolve_track_groups, resolve_tracks
from creme_lib.models.layouts import BORZOI_LAYOUT, ENFORMER_LAYOUT, LAYOUTS, ModelLayout

_LAZY = {
    "Enformer": "creme_lib.models.enformer",
    "KerasModel": "creme_lib.models.keras",
    "TFModel": "creme_lib.models.keras",
    "SyntheticModel": "creme_lib.world.model",
    "TorchModel": "creme_lib.models.pytorch",
    "Borzoi": "creme_lib.models.borzoi",
    "EnformerTorch": "creme_lib.models.enformer_torch",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'creme_lib.models' has no attribute {name!r}")


__all__ = [
    "Model", "CallableModel", "resolve_bins", "resolve_tracks", "resolve_track_groups",
    "ModelLayout", "ENFORMER_LAYOUT", "BORZOI_LAYOUT", "LAYOUTS", *_LAZY,
]
