"""Perturbation plans: lazy, hashable descriptions of the sequences a CREME test needs.

A test never builds one-hot arrays itself. It describes each sequence as a :class:`SeqSpec`:

* ``base``: the id of a registered sequence (usually a gene's wild-type window);
* ``background``: ``None`` for the base itself, or the seed key of a whole-sequence
  dinucleotide shuffle of the base (e.g. ``("sufficiency", 3)``);
* ``edits``: :class:`Paste` operations applied in order, each copying ``[src_start, ...)``
  of a registered sequence into ``[start, end)``, optionally dinucleotide-shuffled.

Specs are frozen and hashable, so the engine predicts each distinct sequence once (the WT,
the shared sufficiency controls, the backgrounds of the distance test...), and the seeds are
part of the description, so the results cannot depend on batch size or order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SeedKey = tuple


@dataclass(frozen=True, slots=True)
class Paste:
    """Copy ``source[src_start : src_start + (end - start)]`` into ``[start, end)`` (bp).

    Parameters
    ----------
    start, end : int
        Target interval in the sequence being built, bp, half-open.
    source : str or None
        Id of a registered sequence; ``None`` means the spec's base.
    src_start : int or None
        Where to copy from in the source; ``None`` means ``start`` (same coordinates).
    shuffle : tuple or None
        If given, the copied segment is dinucleotide-shuffled with the random stream of this
        seed key (the necessity test shuffles a tile of the WT in place this way).
    """

    start: int
    end: int
    source: str | None = None
    src_start: int | None = None
    shuffle: SeedKey | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start or self.start < 0:
            raise ValueError(f"paste interval [{self.start}, {self.end}) is empty or negative")
        if self.src_start is not None and self.src_start < 0:
            raise ValueError(f"paste source start {self.src_start} is negative")

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def relocates(self) -> bool:
        """Whether the segment comes from other coordinates (a moved or copied CRE)."""
        return self.src_start not in (None, self.start)


@dataclass(frozen=True, slots=True)
class SeqSpec:
    """One sequence to predict: a base, an optional shuffled background, and pastes."""

    base: str
    background: SeedKey | None = None
    edits: tuple[Paste, ...] = field(default_factory=tuple)

    def with_edits(self, *pastes: Paste) -> "SeqSpec":
        """A new spec with ``pastes`` appended."""
        return SeqSpec(self.base, self.background, self.edits + tuple(pastes))


def wild_type(base: str) -> SeqSpec:
    """The unperturbed registered sequence."""
    return SeqSpec(base)


def keep(start: int, end: int) -> Paste:
    """Paste the base's own ``[start, end)`` back (into a shuffled background)."""
    return Paste(int(start), int(end))


def move(src_start: int, src_end: int, to_start: int, source: str | None = None) -> Paste:
    """Paste ``[src_start, src_end)`` of ``source`` (default: the base) at ``to_start``."""
    return Paste(int(to_start), int(to_start + src_end - src_start), source, int(src_start))


def shuffled(start: int, end: int, key: SeedKey) -> Paste:
    """Replace ``[start, end)`` by a dinucleotide shuffle of the base's own segment."""
    return Paste(int(start), int(end), None, None, tuple(key))
