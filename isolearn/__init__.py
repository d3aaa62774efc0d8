"""isolearn: the small, tested building blocks of the course-book *Isotropic deep learning*.

Every notebook imports from here, so what a chapter shows is what the tests check.
Modules, one concept each: :mod:`isolearn.runtime` (device, seeds), :mod:`isolearn.data`
(digits, toy sets, MNIST and CIFAR-10 loaders), :mod:`isolearn.conv`, :mod:`isolearn.patches`,
:mod:`isolearn.attention`, :mod:`isolearn.models` (the registry: pyramid CNNs, ViT, MLP-Mixer,
ConvMixer), :mod:`isolearn.activations` (elementwise and isotropic), :mod:`isolearn.planar`
(networks with 2-D hidden layers), :mod:`isolearn.sweep` (many seeds trained at once),
:mod:`isolearn.analysis` (spotlight resonance and PPPM: what activations do to representations),
:mod:`isolearn.train`, :mod:`isolearn.profile`,
:mod:`isolearn.table`, :mod:`isolearn.viz`, :mod:`isolearn.widgets` and :mod:`isolearn.exercises`.
"""

__version__ = "0.1.0"

from isolearn.runtime import device, in_colab, seed

__all__ = ["__version__", "device", "in_colab", "seed"]
