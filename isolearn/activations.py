"""Elementwise and isotropic activation functions, and how to measure which symmetries they keep.

An **elementwise** activation applies one scalar function σ to every coordinate separately,

    f(x) = Σᵢ σ(x · eᵢ) eᵢ,

so it is tied to the standard basis e₁, ..., e_d: it commutes with permutations of the
coordinates, f(Px) = P f(x), but not with rotations. George Bird's *isotropic* activations act on
the length of the vector and keep its direction (Bird 2025, "Isotropic Deep Learning"),

    f(x) = σ(‖x‖) x / ‖x‖,        f(0) = 0,

and commute with every orthogonal matrix Q: f(Qx) = Q f(x), because ‖Qx‖ = ‖x‖.

How we compute them. With s = ‖x‖², every isotropic activation is x times a scalar *gain*,

    f(x) = g(s) · x,        g(s) = σ(√s) / √s,

which makes the origin easy to handle: for isotropic tanh, g(s) → 1 as s → 0 (tanh r / r → 1),
and near 0 we evaluate g by its Taylor series instead of dividing 0 by 0. The from-scratch
formula σ(‖x‖) x/‖x‖ (:func:`isotropic_naive`) gives NaN at x = 0, in the output and in the
gradient; the versions here are exact at 0 and pass ``torch.autograd.gradcheck`` there in
float64.

Every function acts over one axis ``dim`` (the feature vector): ``dim=-1`` for ``(b, d)`` and
tokens ``(b, n, d)``, ``dim=1`` for feature maps ``(b, c, h, w)``.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn as nn
from einops import einsum

from isolearn import validate

# The activations of the course by name; :func:`activation` builds one.
NAMES = ("tanh", "relu", "iso_tanh", "iso_relu", "intrinsic_tanh")


def _check_dim(x: torch.Tensor, dim: int, fn: str) -> torch.Tensor:
    """``x`` as a floating tensor (integers and bools become float32, as ``torch.tanh`` does)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{fn}: x must be a tensor, got {type(x).__name__}")
    if not isinstance(dim, int) or not -x.dim() <= dim < max(x.dim(), 1):
        raise ValueError(f"{fn}: dim={dim!r} is not an axis of x with shape {tuple(x.shape)}; "
                         f"use the feature axis, e.g. dim=-1 for (b, d) or dim=1 for (b, c, h, w)")
    return x if x.is_floating_point() else x.float()


def _threshold(value, name: str, fn: str, strict: bool, shape: torch.Size):
    """A threshold (b >= 0: a negative one would push the origin outwards and break f(0) = 0) or
    an intrinsic length (o > 0): a number, or a tensor that broadcasts to the lengths' ``shape``
    (one value, or one per network of a stack); a tensor that trains (a parameter) is the
    caller's to keep in range (the layers clamp it)."""
    if not isinstance(value, torch.Tensor):
        return validate.number(value, name, fn, minimum=0, strict=strict, example=0.1 if name == "threshold" else 1.0)
    try:
        fits = torch.broadcast_shapes(value.shape, shape) == shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f"{fn}: {name} must be one number, or a tensor that broadcasts to the lengths "
                         f"{tuple(shape)} (one per vector), got a tensor of shape {tuple(value.shape)}")
    if not value.requires_grad and value.device.type == "cpu" and value.numel():
        bad = value <= 0 if strict else value < 0
        if bad.any() or not torch.isfinite(value).all():
            raise ValueError(f"{fn}: {name}={value.flatten()[:4].tolist()} must be "
                             f"{'> 0' if strict else '>= 0'} and finite")
    return value


def _saturated(x: torch.Tensor, s: torch.Tensor, dim: int):
    """Where ``s = ‖x‖²`` overflowed to inf (a huge or infinite x), tanh of the length is 1 to
    every digit, so f(x) is the unit vector x/‖x‖: computed from x scaled by its largest entry
    before squaring, so the direction survives (an inf entry counts as the largest). Returns
    (mask (..., 1, ...) of such vectors, their unit vectors), or None if there are none."""
    big = torch.isinf(s)
    if not big.any():
        return None
    infinite = torch.isinf(x)
    top = x.abs().amax(dim=dim, keepdim=True)  # (..., 1, ...)
    scaled = torch.where(infinite.any(dim=dim, keepdim=True), torch.where(infinite, x.sign(), 0.0),
                         x / torch.where(big & torch.isfinite(top), top, 1.0))
    unit = scaled / scaled.norm(dim=dim, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)
    return big, unit


def _squared_norm(x: torch.Tensor, dim: int) -> torch.Tensor:
    return (x * x).sum(dim=dim, keepdim=True)  # (..., 1, ...): s = ‖x‖² over the feature axis


def isotropic_naive(x: torch.Tensor,
                    sigma: Callable[[torch.Tensor], torch.Tensor],
                    dim: int = -1) -> torch.Tensor:
    """The definition, from scratch: σ(‖x‖) x / ‖x‖ over axis ``dim``.

    Correct for x ≠ 0, but 0/0 = NaN at the origin, in the output and in
    the gradient: read it to understand the formula, and compute with
    :func:`isotropic_tanh` and friends.
    """
    x = _check_dim(x, dim, "isotropic_naive")
    r = x.norm(dim=dim, keepdim=True)  # (..., 1, ...): one length per vector
    return sigma(r) * x / r


def tanh_gain(s: torch.Tensor) -> torch.Tensor:
    """g(s) = tanh(√s)/√s: isotropic tanh's gain at squared length s ≥ 0.

    Dividing fails at s = 0 (0/0), and the derivative of tanh(r)/r
    cancels catastrophically as r → 0 (sech²r/r − tanh r/r²: two huge,
    nearly equal terms). Below s₀ = √ε (ε: machine epsilon; s₀ ≈ 1.5e-8 in
    float64, 3.5e-4 in float32) we use the Taylor series
    1 − s/3 + 2s²/15 − 17s³/315, exact to rounding there; the "double
    where" keeps √ away from 0, so no gradient becomes inf or NaN.
    """
    small = s < torch.finfo(s.dtype).eps ** 0.5
    if not small.any():  # the usual case: no vector near 0, just divide
        r = torch.sqrt(s)
        return torch.tanh(r) / r
    series = 1 + s * (-1 / 3 + s * (2 / 15 - s * 17 / 315))
    r = torch.sqrt(torch.where(small, 1.0, s))  # never √0
    return torch.where(small, series, torch.tanh(r) / r)


def isotropic_tanh(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Isotropic tanh: tanh(‖x‖) x/‖x‖ over axis ``dim``, with f(0) = 0.

    It squashes every vector into the open unit ball and keeps its direction (elementwise tanh
    squashes into the cube instead)."""
    x = _check_dim(x, dim, "isotropic_tanh")
    s = _squared_norm(x, dim)
    saturated = _saturated(x, s, dim)
    if saturated is None:
        return tanh_gain(s) * x
    big, unit = saturated
    return torch.where(big, unit, tanh_gain(torch.where(big, 1.0, s)) * torch.where(big, 0.0, x))


def isotropic_relu(x: torch.Tensor, threshold: float | torch.Tensor = 0.1,
                   dim: int = -1) -> torch.Tensor:
    """Isotropic ReLU with a threshold b ≥ 0: max(‖x‖ − b, 0) x/‖x‖ over axis ``dim``.

    Vectors shorter than b become 0; longer ones keep their direction and lose b of their
    length. With b = 0 it is max(‖x‖, 0) x/‖x‖ = x, the identity: ReLU of a length does nothing,
    so the threshold is what makes it nonlinear. The gain is g = max(1 − b/‖x‖, 0).
    """
    x = _check_dim(x, dim, "isotropic_relu")
    s = _squared_norm(x, dim)  # (..., 1, ...)
    threshold = _threshold(threshold, "threshold", "isotropic_relu", False, s.shape)
    r = torch.where(s > 0, torch.sqrt(torch.where(s > 0, s, 1.0)), 0.0)  # ‖x‖, finite gradient
    active = r >= threshold  # at x = 0 only when b = 0: the identity, with gradient I
    # divide only where the result is used and 1/r² (in the gradient) cannot overflow
    safe_r = torch.where(active & (r > torch.finfo(x.dtype).tiny ** 0.25), r, 1.0)
    return torch.where(active, 1 - threshold / safe_r, 0.0) * x


def intrinsic_length(x: torch.Tensor, o: float | torch.Tensor, dim: int = -1) -> torch.Tensor:
    """‖x; o‖ = √(o + ‖x‖²) over axis ``dim``: a length that never reaches 0 when o > 0."""
    return torch.sqrt(o + _squared_norm(x, dim))


def intrinsic_tanh(x: torch.Tensor, o: float | torch.Tensor = 1.0, dim: int = -1) -> torch.Tensor:
    """Isotropic tanh with Bird's *intrinsic length* o > 0: tanh(‖x; o‖) x / ‖x; o‖.

    Since ‖x; o‖ ≥ √o > 0 nothing divides by 0, and f is smooth everywhere with f(0) = 0. Near
    the origin f(x) ≈ (tanh √o / √o) x, a contraction; far away it tends to x/‖x‖, like
    isotropic tanh. As o → 0 it becomes isotropic tanh."""
    x = _check_dim(x, dim, "intrinsic_tanh")
    if isinstance(o, (int, float)) and not isinstance(o, bool) and not o > 0:
        raise ValueError(f"intrinsic_tanh: o={o!r} must be > 0 (it is a squared length added "
                         "under the root); use e.g. o=1.0")
    o = _threshold(o, "o", "intrinsic_tanh", True, x.sum(dim=dim, keepdim=True).shape)
    length = intrinsic_length(x, o, dim)  # (..., 1, ...), >= √o
    saturated = _saturated(x, length, dim)
    if saturated is None:
        return torch.tanh(length) / length * x
    big, unit = saturated
    length = torch.where(big, 1.0, length)
    return torch.where(big, unit, torch.tanh(length) / length * torch.where(big, 0.0, x))


def _short(value: torch.Tensor) -> str:
    return f"{value.item():.3g}" if value.numel() == 1 else f"<{value.numel()} values>"


class _OverDim(nn.Module):
    """An activation that acts over the feature axis ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        if not isinstance(dim, int):
            raise ValueError(f"{type(self).__name__}: dim={dim!r} must be an int axis, e.g. -1 or 1")
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class IsoTanh(_OverDim):
    """Isotropic tanh as a layer: ``IsoTanh(dim=1)`` for feature maps ``(b, c, h, w)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return isotropic_tanh(x, self.dim)


class IsoReLU(_OverDim):
    """Isotropic ReLU with threshold b: max(‖x‖ − b, 0) x/‖x‖. ``learnable=True`` trains b
    (clamped at 0 in the forward pass, so it stays a valid threshold). The default b = 0.1 lies
    well below the typical length of a layer's input at PyTorch's default initialisation (0.6 for
    the 2-D toy sets, 1.6 for the digits' first layer), so a fresh layer is not dead."""

    def __init__(self, threshold: float = 0.1, dim: int = -1, learnable: bool = False):
        super().__init__(dim)
        validate.number(threshold, "threshold", "IsoReLU", minimum=0, example=0.1)
        value = torch.tensor(float(threshold))
        if learnable:
            self.threshold = nn.Parameter(value)
        else:
            self.register_buffer("threshold", value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return isotropic_relu(x, self.threshold.clamp(min=0), self.dim)

    def extra_repr(self) -> str:
        return f"threshold={_short(self.threshold)}, dim={self.dim}"


class IntrinsicTanh(_OverDim):
    """Isotropic tanh with a learnable intrinsic length o > 0 (stored as log o, so it stays > 0)."""

    def __init__(self, o: float = 1.0, dim: int = -1, learnable: bool = True):
        super().__init__(dim)
        validate.number(o, "o", "IntrinsicTanh", minimum=0, strict=True, example=1.0)
        log_o = torch.tensor(float(o)).log()
        if learnable:
            self.log_o = nn.Parameter(log_o)
        else:
            self.register_buffer("log_o", log_o)

    @property
    def o(self) -> torch.Tensor:
        return self.log_o.exp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return intrinsic_tanh(x, self.o, self.dim)

    def extra_repr(self) -> str:
        return f"o={_short(self.o)}, dim={self.dim}"


def activation(name: str, dim: int = -1, **options) -> nn.Module:
    """A fresh activation layer by name: one of ``tanh``, ``relu`` (elementwise), ``iso_tanh``,
    ``iso_relu`` (options: threshold, learnable) and ``intrinsic_tanh`` (options: o, learnable).
    ``dim`` is the feature axis of the isotropic ones (elementwise ones ignore it)."""
    builders = {"tanh": lambda: nn.Tanh(), "relu": lambda: nn.ReLU(),
                "iso_tanh": lambda: IsoTanh(dim), "iso_relu": lambda: IsoReLU(dim=dim, **options),
                "intrinsic_tanh": lambda: IntrinsicTanh(dim=dim, **options)}
    if name not in builders:
        raise ValueError(f"activation: name={name!r} is unknown; choose one of {', '.join(NAMES)}")
    if options and name not in ("iso_relu", "intrinsic_tanh"):
        raise ValueError(f"activation: {name!r} takes no options, got {sorted(options)}")
    return builders[name]()


def is_activation(module: nn.Module) -> bool:
    """True for the activation layers of this module and PyTorch's tanh and ReLU."""
    return isinstance(module, (nn.Tanh, nn.ReLU, _OverDim))


# ---------------------------------------------------------------------------------------------
# Measuring symmetry: ‖f(Gx) − G f(x)‖ for random group elements G
# ---------------------------------------------------------------------------------------------
GROUPS = ("rotation", "permutation", "orthogonal")


def random_orthogonal(n: int, d: int, generator: torch.Generator | None = None,
                      dtype: torch.dtype = torch.float64, rotation: bool = True) -> torch.Tensor:
    """``n`` Haar-random orthogonal matrices ``(n, d, d)``; rotations (det = +1) if ``rotation``.

    QR of a Gaussian matrix gives an orthogonal Q; multiplying its columns by the signs of R's
    diagonal makes Q uniformly (Haar) distributed. Flipping one column turns det −1 into +1."""
    validate.positive_int(n, "n", "random_orthogonal", 4)
    validate.positive_int(d, "d", "random_orthogonal", 3)
    a = torch.randn(n, d, d, generator=generator, dtype=dtype)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]  # (n, d, d)
    if rotation:
        flip = torch.linalg.det(q) < 0  # (n,)
        q[flip, :, 0] = -q[flip, :, 0]
    return q


def random_permutation(n: int, d: int, generator: torch.Generator | None = None,
                       dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` random permutation matrices ``(n, d, d)``: each row and column holds one 1."""
    validate.positive_int(n, "n", "random_permutation", 4)
    validate.positive_int(d, "d", "random_permutation", 3)
    order = torch.rand(n, d, generator=generator).argsort(dim=1)  # (n, d)
    return torch.eye(d, dtype=dtype)[order]  # (n, d, d)


def _check_group_args(group: str, dim: int, n: int) -> None:
    if group not in GROUPS:
        raise ValueError(f"equivariance_error: group={group!r} is unknown; choose one of "
                         f"{', '.join(GROUPS)}")
    if not isinstance(dim, int) or dim < 2:
        raise ValueError(f"equivariance_error: dim={dim!r} must be an int >= 2 (no rotations "
                         "of a line); e.g. dim=8")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"equivariance_error: n={n!r} must be a positive int, e.g. 256")


def equivariance_error(f: Callable[[torch.Tensor], torch.Tensor],
                       group: str = "rotation", dim: int = 8, n: int = 256,
                       scale: float = 2.0, seed: int = 0,
                       dtype: torch.dtype = torch.float64) -> float:
    """The largest ‖f(Gx) − G f(x)‖ over n random pairs (G, x) in R^dim.

    ``group``: ``rotation`` (Haar-random G in SO(dim)), ``orthogonal``
    (O(dim): rotations and reflections) or ``permutation``. x ~ N(0, scale²I).
    ``f`` acts over the last axis of ``(n, dim)``. Rounding-level error
    means f commutes with the group (it is *equivariant*); anything clearly
    larger is a counterexample.
    """
    _check_group_args(group, dim, n)
    fn = "equivariance_error"
    validate.function(f, "f", fn)
    validate.number(scale, "scale", fn, minimum=0, strict=True, example=2.0)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"{fn}: dtype={dtype!r} must be a floating dtype, e.g. torch.float64")
    gen = torch.Generator().manual_seed(validate.seed(seed, "seed", fn))
    if group == "permutation":
        g = random_permutation(n, dim, gen, dtype)  # (n, d, d)
    else:
        g = random_orthogonal(n, dim, gen, dtype, rotation=group == "rotation")
    x = scale * torch.randn(n, dim, generator=gen, dtype=dtype)  # (n, d)
    with torch.no_grad():
        f_of_gx = f(einsum(g, x, "n i j, n j -> n i"))  # (n, d)
        f_of_x = f(x)
        if not isinstance(f_of_x, torch.Tensor) or f_of_x.shape != x.shape:
            raise ValueError(f"{fn}: f must map points (n, dim) to points of the same shape "
                             f"{tuple(x.shape)}, got {validate.describe(f_of_x)}")
        g_of_fx = einsum(g, f_of_x, "n i j, n j -> n i")  # (n, d)
    return (f_of_gx - g_of_fx).norm(dim=1).max().item()


# ---------------------------------------------------------------------------------------------
# Isotropy on blocks: from elementwise (blocks of 1) to isotropic (one block)
# ---------------------------------------------------------------------------------------------
def block_isotropic_tanh(x: torch.Tensor, block: int, dim: int = -1) -> torch.Tensor:
    """Isotropic tanh on consecutive blocks of ``block`` units of axis ``dim``.

    The n units are split into n/block groups, and each group's vector gets its own isotropic
    tanh: n/block nonlinearities instead of one. ``block=1`` is elementwise tanh
    (tanh(|t|) t/|t| = tanh t), ``block=n`` is :func:`isotropic_tanh`. Such *norm
    nonlinearities on groups* are what equivariant libraries (escnn, e3nn) use for vectors of
    features; here they let us compare networks with equal numbers of nonlinearities.
    """
    _check_dim(x, dim, "block_isotropic_tanh")
    n = x.shape[dim]
    if not isinstance(block, int) or block < 1 or n % block:
        raise ValueError(f"block_isotropic_tanh: block={block!r} must be a positive int that "
                         f"divides the {n} units of axis {dim}, e.g. block=2")
    if block == 1:  # tanh(|t|) t/|t| = tanh t, without the detour
        return torch.tanh(x)
    moved = x.movedim(dim, -1)  # (..., n)
    grouped = moved.reshape(*moved.shape[:-1], n // block, block)  # (..., n/block, block)
    return isotropic_tanh(grouped).reshape(moved.shape).movedim(-1, dim)


class BlockIsoTanh(_OverDim):
    """:func:`block_isotropic_tanh` as a layer: ``BlockIsoTanh(2)`` squashes each pair of units
    as one vector of the plane."""

    def __init__(self, block: int = 2, dim: int = -1):
        super().__init__(dim)
        if not isinstance(block, int) or block < 1:
            raise ValueError(f"BlockIsoTanh: block={block!r} must be a positive int, e.g. 2")
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return block_isotropic_tanh(x, self.block, self.dim)

    def extra_repr(self) -> str:
        return f"block={self.block}, dim={self.dim}"


# ---------------------------------------------------------------------------------------------
# Bird's parametrisation, as his public reference code writes it
# ---------------------------------------------------------------------------------------------
# Bird stores the intrinsic length as o = exp(λ) and starts λ at log(1e-6): a fresh layer is
# isotropic tanh up to a relative change of about o/3 in its gain (repository
# GeorgeBird1/Isotropic-Adaptive-MLPs, Dependencies/IsotropicFunctions.py).
INTRINSIC_LENGTH_INIT = 1e-6


def reference_isotropic_tanh(x: torch.Tensor, eps: float = 1e-2, dim: int = -1) -> torch.Tensor:
    """Isotropic tanh as Bird's reference implementation computes it (repository
    GeorgeBird1/Spotlight-Resonance-Method, ``eps = 1e-2``): the identity inside the ball
    ‖x‖ ≤ eps, and tanh(m) x / max(m, eps) with m = ‖x‖ outside.

    Since tanh(m)/m → 1, the identity is the right limit, but it is not the value at the ball's
    edge: the gain jumps by 1 − tanh(eps)/eps ≈ eps²/3 (3.3e-5 for eps = 1e-2) there.
    :func:`isotropic_tanh` uses the Taylor series below √(machine epsilon) instead, which is
    exact to rounding and continuous. Kept to compare with, not to train.
    """
    _check_dim(x, dim, "reference_isotropic_tanh")
    m = x.norm(dim=dim, keepdim=True)  # (..., 1, ...)
    return torch.where(m <= eps, x, torch.tanh(m) * x / m.clamp(min=eps))


def reference_intrinsic_gain(x: torch.Tensor, o: float | torch.Tensor, eps: float = 1e-3,
                             dim: int = -1) -> torch.Tensor:
    """The gain g of Bird's ``IsotropicTanhIntrinsicLength`` (his layer returns g and x, and the
    network forms a = g·x), as his code writes it: with r = ‖x‖² and m = √|o + r|,

    g = tanh(m)/max(m, eps) outside the small ball m ≤ eps (eps = 1e-3), and inside it
    tanh(√|o|)/√|o| if |o| > 0.01, else 1.

    For o > 0 and m > eps it equals ``tanh_gain(o + r)``, our :func:`intrinsic_tanh` gain.
    Kept to compare with, not to train (√ of 0 has no finite gradient at o = 0, x = 0).
    """
    _check_dim(x, dim, "reference_intrinsic_gain")
    o = torch.as_tensor(o, dtype=x.dtype, device=x.device)
    m = torch.sqrt(torch.abs(o + _squared_norm(x, dim)))  # (..., 1, ...)
    root = torch.sqrt(o.abs())
    inside = torch.where(o.abs() > 0.01, torch.tanh(root) / root.clamp(min=eps), 1.0)
    return torch.where(m <= eps, inside, torch.tanh(m) / m.clamp(min=eps))


class IsotropicMLP(nn.Module):
    """Bird's isotropic-tanh perceptron with intrinsic lengths and ψ corrections, from scratch.

    For hidden layers l = 0 … L−1 (weights W_l, biases b_l) and the read-out W_L, b_L:

        z_0 = W_0 x + b_0,
        g_l = tanh(‖z_l; o_l‖) / ‖z_l; o_l‖        (one scalar gain per layer and input),
        a_l = g_l z_l,
        z_l = W_l a_{l−1} + b_l + ψ_{l−1} g_{l−1}    (l ≥ 1),
        out = W_L a_{L−1} + b_L + ψ_{L−1} g_{L−1}.

    The *ψ correction* ψ_l (a vector, one entry per unit of the next layer) hands the scalar
    gain itself to the next layer, as if the gain were one more unit whose weights are ψ; Bird
    starts it at 0. The intrinsic lengths are o_l = exp(λ_l) with λ_l = log(``o``) at the
    start (Bird: ``o`` = :data:`INTRINSIC_LENGTH_INIT` = 1e-6). ``learn_o``/``learn_psi``
    choose whether they train. Weights start as PyTorch's ``nn.Linear`` does (``init=
    "default"``) or orthogonal with zero biases (``init="orthogonal"``, Bird's choice).
    """

    def __init__(self, in_features: int, hidden: Sequence[int], classes: int,
                 o: float = INTRINSIC_LENGTH_INIT, learn_o: bool = True, learn_psi: bool = True,
                 init: str = "default"):
        super().__init__()
        if not hidden or any(not isinstance(w, int) or w < 1 for w in hidden):
            raise ValueError(f"IsotropicMLP: hidden={hidden!r} must be a non-empty list of "
                             "positive widths, e.g. (8, 8)")
        if not o > 0:
            raise ValueError(f"IsotropicMLP: o={o!r} must be > 0 (it is stored as log o), "
                             f"e.g. o={INTRINSIC_LENGTH_INIT}")
        if init not in ("default", "orthogonal"):
            raise ValueError(f"IsotropicMLP: init={init!r} must be 'default' or 'orthogonal'")
        widths = [in_features, *hidden, classes]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        if init == "orthogonal":
            for layer in self.linears:
                nn.init.orthogonal_(layer.weight)
                nn.init.zeros_(layer.bias)
        log_o = torch.full((len(hidden),), math.log(o))  # λ_l, one per hidden layer
        self.log_o = nn.Parameter(log_o, requires_grad=learn_o)
        self.psi = nn.ParameterList(nn.Parameter(torch.zeros(w), requires_grad=learn_psi)
                                    for w in widths[2:])  # ψ_l: (width of layer l + 1,)

    @property
    def o(self) -> torch.Tensor:
        return self.log_o.exp()  # (L,)

    def layers(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``[(z_l, g_l)]`` for every hidden layer: pre-activations ``(n, width)`` and gains
        ``(n, 1)``; the read-out is ``W_L (g z)_{L−1} + b_L + ψ_{L−1} g_{L−1}``."""
        found, a, g = [], x, None
        for l, linear in enumerate(self.linears[:-1]):
            z = linear(a) if g is None else linear(a) + g * self.psi[l - 1]  # (n, width)
            g = tanh_gain(self.o[l] + _squared_norm(z, -1))  # (n, 1)
            a = g * z
            found.append((z, g))
        return found

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, g = self.layers(x)[-1]
        return self.linears[-1](g * z) + g * self.psi[-1]  # (n, classes)


# ---------------------------------------------------------------------------------------------
# Isotropic tanh at the scale of a wide layer (chapter 10)
# ---------------------------------------------------------------------------------------------
def scaled_isotropic_tanh(x: torch.Tensor, scale: float, dim: int = -1) -> torch.Tensor:
    """c · tanh(‖x‖/c) x/‖x‖ over axis ``dim``, with c = ``scale``: isotropic tanh whose ball
    has radius c instead of 1.

    Isotropic tanh maps a whole layer into the unit ball, while elementwise tanh on D units
    reaches lengths up to √D: in a hidden layer of D = 4C units each coordinate comes out about
    √D times smaller. With c = √D the two saturate at the same length, and near 0 both are the
    identity (gain 1). Still isotropic: c is a constant, not a function of x."""
    validate.number(scale, "scale", "scaled_isotropic_tanh", minimum=0, strict=True, example=8.0)
    return scale * isotropic_tanh(x / scale, dim)


def _scaled_tanh_branchless(x: torch.Tensor, scale: float, dim: int) -> torch.Tensor:
    """:func:`scaled_isotropic_tanh` without a Python ``if`` on the data, so that
    ``torch.func.vmap`` can batch it (training a stack of models, :mod:`isolearn.stack`): the
    same gain as :func:`tanh_gain`, both branches computed and one chosen by ``torch.where``.
    It leaves out isotropic_tanh's care for lengths that overflow to inf (NaN there)."""
    y = x / scale
    s = (y * y).sum(dim=dim, keepdim=True)  # (..., 1, ...)
    small = s < torch.finfo(s.dtype).eps ** 0.5
    series = 1 + s * (-1 / 3 + s * (2 / 15 - s * 17 / 315))
    r = torch.sqrt(torch.where(small, 1.0, s))  # never √0
    return x * torch.where(small, series, torch.tanh(r) / r)


class ScaledIsoTanh(_OverDim):
    """:func:`scaled_isotropic_tanh` as a layer. The scale is fixed when the layer is built
    (usually √width): it does not follow the width of its input, so growing or pruning the layer
    (chapter 9) leaves the activation, and the function, as they were."""

    def __init__(self, scale: float, dim: int = -1):
        super().__init__(dim)
        self.scale = float(validate.number(scale, "scale", "ScaledIsoTanh", minimum=0, strict=True,
                                           example=8.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_dim(x, self.dim, "ScaledIsoTanh")
        return _scaled_tanh_branchless(x, self.scale, self.dim)  # vmap-safe (isolearn.stack)

    def extra_repr(self) -> str:
        return f"scale={self.scale:.3g}, dim={self.dim}"
