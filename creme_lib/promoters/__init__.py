"""Promoter sequence to expression: data sets, the contextual regression network, training, baselines.

Modules: :mod:`~creme_lib.promoters.data` (E. coli MPRA and Xpresso loaders),
:mod:`~creme_lib.promoters.model` (the Keras CR network and its CREME model),
:mod:`~creme_lib.promoters.training` (seeded, resumable training),
:mod:`~creme_lib.promoters.baselines` (k-mer ridge), :mod:`~creme_lib.promoters.evaluation`
(scores). ``data``, ``baselines`` and ``evaluation`` need no TensorFlow.
"""
