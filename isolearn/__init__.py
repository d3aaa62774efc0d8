"""isolearn: the small, tested building blocks of the course-book *Isotropic deep learning*.

Every notebook imports from here, so what a chapter shows is what the tests check.
Modules, one concept each: :mod:`isolearn.runtime` (device, seeds), :mod:`isolearn.compat`
(the one place that adapts to library versions: Colab's and the book's), :mod:`isolearn.validate`
(argument checks with errors that say what to do), :mod:`isolearn.data` (digits, toy sets, MNIST
and CIFAR-10 loaders, device-resident batches), :mod:`isolearn.augment` (batched on the device),
:mod:`isolearn.conv`, :mod:`isolearn.norm`, :mod:`isolearn.patches`, :mod:`isolearn.attention`,
:mod:`isolearn.mixing`, :mod:`isolearn.models` (the registry: pyramid CNNs, ViT, MLP-Mixer,
ConvMixer), :mod:`isolearn.train`, :mod:`isolearn.schedules`, :mod:`isolearn.stack` (many small
models trained at once), :mod:`isolearn.recipes` (the book's GPU runs),
:mod:`isolearn.compare`, :mod:`isolearn.profile`, :mod:`isolearn.timing`,
:mod:`isolearn.activations` (elementwise and isotropic), :mod:`isolearn.planar` (networks with
2-D hidden layers), :mod:`isolearn.sweep` (many seeds trained at once), :mod:`isolearn.analysis`
(spotlight resonance and PPPM: what activations do to representations), :mod:`isolearn.neurons`
(diagonalise, grow, prune and compress isotropic layers), :mod:`isolearn.probe`,
:mod:`isolearn.table`, :mod:`isolearn.viz`, :mod:`isolearn.widgets` and :mod:`isolearn.exercises`.
"""

__version__ = "0.1.0"

from isolearn.runtime import device, in_colab, seed

__all__ = ["__version__", "device", "in_colab", "seed"]
