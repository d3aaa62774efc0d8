"""Linear probes: what a layer's features make *linearly* available.

Freeze a trained network, take the features ``z`` of one layer, and fit the simplest read-out:
a linear map, by ridge regression (least squares with a penalty ``alpha·|W|²``),

    W = (ZᵀZ + alpha·I)⁻¹ ZᵀY,

where ``Z`` holds the features of the training images, centred and divided by one number, their
overall standard deviation (plus a column of ones), and ``Y`` the targets. One scale for all
features, not one per feature: a unit that almost never fires would otherwise be blown up to the
size of the others. With more features than images (a wide map) the same ``W`` comes cheaper from
the *dual* form ``W = Zᵀ(ZZᵀ + alpha·I)⁻¹Y``: an n x n system instead of a d x d one.

Two targets tell two stories about a layer (Alain & Bengio 2016 probe the labels): the *labels*
(one-hot; how well can a linear map separate the classes here?) and the *input pixels* (how much
of the image can still be read back?). Both are scored on held-out images, so a probe cannot
simply memorise.
"""

from __future__ import annotations

from typing import Callable

import torch

from isolearn import validate


def _design(z: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    if validate.tensor(z, "z", "ridge").dim() < 2 or z.flatten(1).shape[1] != mean.numel():
        raise ValueError(f"ridge: the probe was fitted on {mean.numel()} features per row, but z has "
                         f"shape {tuple(z.shape)}; pass features of the same layer, (m, ...) with "
                         f"{mean.numel()} values per row")
    z = (z.flatten(1).float() - mean) / std  # (n, d), centred and scaled by the training statistics
    return torch.cat([z, torch.ones(len(z), 1)], dim=1)  # (n, d + 1): a bias column


def ridge(z_train: torch.Tensor, targets: torch.Tensor,
          alpha: float = 1.0) -> Callable:
    """Fit ``targets (n, ...) ≈ scaled(z_train (n, ...)) @ W`` by ridge
    regression; returns ``predict(z) -> (m, k)``, k values per target row."""
    validate.tensor(z_train, "z_train", "ridge"), validate.tensor(targets, "targets", "ridge")
    if z_train.dim() < 2:
        raise ValueError(f"ridge: z_train must be features (n, ...) with a row per image, got shape "
                         f"{tuple(z_train.shape)}; for one feature per image use z_train[:, None]")
    if len(z_train) != len(targets):
        raise ValueError(f"ridge: {len(z_train)} feature rows but "
                         f"{len(targets)} targets")
    if len(z_train) == 0:
        raise ValueError("ridge: z_train is empty (0 rows); a probe needs training images")
    validate.number(alpha, "alpha", "ridge", minimum=0, strict=True, example=1.0)
    flat = z_train.flatten(1).float()
    mean, std = flat.mean(0), flat.std().clamp_min(1e-12)  # one scale for all
    design = _design(z_train, mean, std)  # (n, d + 1)
    y = targets.flatten(1).double()  # (n, k)
    n, d = design.shape
    eye = lambda m: alpha * torch.eye(m, dtype=torch.float64)  # noqa: E731
    if d <= n:  # primal: (ZᵀZ + alpha·I) W = ZᵀY, a d x d system
        gram = (design.T @ design).double() + eye(d)
        weights = torch.linalg.solve(gram, design.T.double() @ y)
    else:  # dual: W = Zᵀ (ZZᵀ + alpha·I)⁻¹ Y, an n x n system
        gram = (design @ design.T).double() + eye(n)
        weights = design.T.double() @ torch.linalg.solve(gram, y)
    # weights: (d + 1, k)
    return lambda z: _design(z, mean, std).double() @ weights  # (m, k)


def read_out(z_train: torch.Tensor, y_train: torch.Tensor, x_train: torch.Tensor,
             z_test: torch.Tensor, y_test: torch.Tensor, x_test: torch.Tensor,
             alpha: float = 1.0) -> tuple[float, float]:
    """Both probes of one layer from one ridge fit: ``(label accuracy, image R²)`` on the test set.

    The label probe regresses one-hot labels and predicts the largest score; the image probe
    regresses the input pixels and reports ``R² = 1 − Σ(x − x̂)² / Σ(x − mean)²`` over all test
    pixels (1: the whole image comes back, 0: nothing beyond the average image).
    """
    for name, y in (("y_train", y_train), ("y_test", y_test)):
        validate.labels(y, len(y) if isinstance(y, torch.Tensor) else 0, "read_out", name=name)
    classes = int(max(y_train.max(), y_test.max())) + 1
    targets = torch.cat([torch.eye(classes)[y_train], x_train.flatten(1)], dim=1)  # (n, classes + pixels)
    predicted = ridge(z_train, targets, alpha)(z_test)  # (m, classes + pixels)
    accuracy = (predicted[:, :classes].argmax(1) == y_test).double().mean().item()
    pixels = x_test.flatten(1).double()
    residual = ((pixels - predicted[:, classes:]) ** 2).sum()
    total = ((pixels - x_train.flatten(1).double().mean(0)) ** 2).sum()
    if total == 0:
        raise ValueError("read_out: the test images are constant and equal to the mean training "
                         "image, so R² (1 − residual / variance) is undefined; probe images that vary")
    return accuracy, (1 - residual / total).item()
