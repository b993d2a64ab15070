"""Model backends: the :class:`Model` protocol and its implementations."""

from creme_lib.models.base import CallableModel, Model, resolve_bins, resolve_tracks

__all__ = ["Model", "CallableModel", "resolve_bins", "resolve_tracks"]
