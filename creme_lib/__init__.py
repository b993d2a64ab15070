"""creme_lib: CREME (cis-regulatory element model explanations) for genomic deep nets.

Modules: :mod:`~creme_lib.sequence` (one-hot, FASTA windows), :mod:`~creme_lib.shuffle`
(uniform dinucleotide shuffles), :mod:`~creme_lib.tiles` (tile layouts),
:mod:`~creme_lib.models` (Enformer, Keras, callables, the simulated ground truth),
:mod:`~creme_lib.perturb` and :mod:`~creme_lib.inference` (lazy perturbation plans and the
batched, deduplicating engine), :mod:`~creme_lib.experiments` (the eight tests),
:mod:`~creme_lib.analysis` (normalizations, thresholds), :mod:`~creme_lib.plots`.
"""

__version__ = "0.1.0"
