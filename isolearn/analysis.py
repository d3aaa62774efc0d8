"""What activations do to representations: George Bird's Spotlight Resonance Method (SRM) and
Privileged Plane Projective Method (PPPM).

A layer's activations ``x: (n, d)`` are n points in d dimensions. Do they line up with some
special directions, a *privileged basis* (for an elementwise activation, the neuron axes), or do
they point every way alike? SRM answers with a spotlight (Bird 2025, "Spotlight Resonance
Method"; reference code GeorgeBird1/Spotlight-Resonance-Method). For each ordered pair (i, j) of
basis vectors, let û = b_i/‖b_i‖ and v̂⊥ the unit vector of b_j − (b_j·û)û (Gram–Schmidt, so
that û, v̂⊥ span the plane of b_i and b_j). The spotlight

    s(θ) = cos θ û − sin θ v̂⊥

sweeps that plane, starting at û, and SRM counts the fraction of points whose *direction*
x̂ = x/‖x‖ lies in a cone of half-angle arccos ε about it:

    SRM_ij(θ) = mean_n 1[x̂_n · s(θ) ≥ ε].

Peaks at θ = 0, π/2, π, 3π/2 mean the points crowd along the basis vectors (alignment), peaks at
π/4 + kπ/2 that they crowd between them (anti-alignment), and a flat curve at the height of the
isotropic baseline (:func:`srm_isotropic_baseline`) that nothing is special. The *signed*
variant subtracts the points in the opposite cone, 1[x̂ · s ≤ −ε].

Bird's code builds the spotlight as R(θ)û with R(θ) = exp(θB) for the bivector
B ∝ ûv̂ᵀ − v̂ûᵀ, computed from an eigendecomposition (:func:`reference_rotation`); for a
non-standard basis that matrix is not orthogonal, but the one product SRM uses, R(θ)û, is
exactly s(θ) above, which we compute directly (the tests compare the two, and both with
Rodrigues' rotation formula).

PPPM (same repository) keeps, for each plane, the points that lie close to it, ‖Px‖ ≥ ε‖x‖
with P the projection onto the plane, and returns their in-plane coordinates: a picture of how
the points sit in the plane, drawn as a density (:func:`pppm_density`, :func:`pppm_plot`).

Conventions, as in the reference code: planes are *ordered* pairs (Bird's "PERM"), so each
plane appears twice with its axes swapped, in the order of :func:`planes` (the reference shuffles
them); ``num_angles`` angles run from 0 to 2π *including both ends*, so the first and the last
spotlight coincide; a zero row of ``x`` has no direction and counts as x̂ = 0 in SRM (inside
the cone only when ε ≤ 0) and is left out of PPPM.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import numpy as np
import torch


# ---------------------------------------------------------------------------------------------
# Checking the inputs
# ---------------------------------------------------------------------------------------------
def _as_points(x, fn: str) -> torch.Tensor:
    """Activations as a float64 CPU tensor ``(n, d)``, or a ValueError that says what is wrong."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{fn}: x must be a tensor (n, d) of activations, got {type(x).__name__}")
    if x.dim() != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"{fn}: x must have shape (n, d) with n >= 1 points and d >= 2 units, "
                         f"got {tuple(x.shape)}; flatten a layer's output with x.flatten(1)")
    x = x.detach().to("cpu", torch.float64)
    if not torch.isfinite(x).all():
        raise ValueError(f"{fn}: x has NaN or inf entries; SRM needs finite activations")
    return x


def _as_basis(basis, d: int, fn: str) -> torch.Tensor:
    """The privileged basis as rows ``(k, d)`` in float64 (the standard basis when ``None``)."""
    if basis is None:
        return torch.eye(d, dtype=torch.float64)
    if isinstance(basis, np.ndarray):
        basis = torch.from_numpy(basis)
    if not isinstance(basis, torch.Tensor):
        raise TypeError(f"{fn}: basis must be a tensor (k, d) of basis vectors as rows, got "
                        f"{type(basis).__name__}")
    if basis.dim() != 2 or basis.shape[1] != d:
        raise ValueError(f"{fn}: basis must have shape (k, {d}), one basis vector of the layer's "
                         f"width d = {d} per row, got {tuple(basis.shape)}; pass basis=None for "
                         "the standard basis")
    if basis.shape[0] < 2:
        raise ValueError(f"{fn}: basis has {basis.shape[0]} vector(s); a plane needs at least 2")
    basis = basis.detach().to("cpu", torch.float64)
    if not torch.isfinite(basis).all() or (basis.norm(dim=1) == 0).any():
        raise ValueError(f"{fn}: every basis vector must be finite and non-zero; row(s) "
                         f"{torch.nonzero(basis.norm(dim=1) == 0).flatten().tolist()} are zero")
    return basis


def _check_epsilon(epsilon: float, fn: str) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) \
            or not -1 < epsilon < 1:
        raise ValueError(f"{fn}: epsilon={epsilon!r} must lie strictly between -1 and 1 (it is the "
                         "cosine of the cone's half-angle); e.g. epsilon=0.9 (25.8 degrees)")
    return float(epsilon)


def _angles(num_angles: int, angles, fn: str) -> torch.Tensor:
    if angles is not None:
        angles = torch.as_tensor(angles, dtype=torch.float64).flatten()
        if angles.numel() == 0 or not torch.isfinite(angles).all():
            raise ValueError(f"{fn}: angles must be a non-empty list of finite angles in radians")
        return angles
    if isinstance(num_angles, bool) or not isinstance(num_angles, int) or num_angles < 2:
        raise ValueError(f"{fn}: num_angles={num_angles!r} must be an int >= 2, e.g. 100 (as in "
                         "Bird's code) or 97 (then the angles are multiples of pi/48)")
    return torch.linspace(0, 2 * math.pi, num_angles, dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# The geometry: planes, their orthonormal frames, the spotlight
# ---------------------------------------------------------------------------------------------
def planes(k: int) -> list[tuple[int, int]]:
    """The ordered pairs (i, j), i ≠ j, of k basis vectors: k(k − 1) planes, in the order of
    ``itertools.permutations``. Row p of :func:`srm`'s values is plane ``planes(k)[p]``."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"planes: k={k!r} must be an int >= 2 (a plane needs two vectors)")
    return list(itertools.permutations(range(k), 2))


def directions(x: torch.Tensor) -> torch.Tensor:
    """x̂ = x/‖x‖ for every row of ``x: (n, d)``; a zero row stays 0 (it has no direction)."""
    norms = x.norm(dim=-1, keepdim=True)  # (n, 1)
    return x / torch.where(norms > 0, norms, 1.0)


def plane_frame(b_i: torch.Tensor, b_j: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An orthonormal frame (û, v̂⊥) of the plane of b_i and b_j, each ``(d,)``: û = b_i/‖b_i‖,
    and v̂⊥ is b_j with its û-component removed, normalised (Gram–Schmidt). So v̂⊥ · b_j > 0:
    for the standard basis (û, v̂⊥) = (e_i, e_j)."""
    u = b_i / b_i.norm()
    w = b_j - (b_j @ u) * u
    if w.norm() <= 1e-12 * b_j.norm():
        raise ValueError("plane_frame: the two basis vectors are parallel, so they span no "
                         "plane; remove one of them from the basis")
    return u, w / w.norm()


def spotlight(u: torch.Tensor, v_perp: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """The spotlight directions ``(a, d)``: s(θ) = cos θ û − sin θ v̂⊥ for each angle θ. It starts
    at û (θ = 0) and turns towards −v̂⊥ (θ = π/2): the rotation exp(θG) û with the generator
    G = ûv̂⊥ᵀ − v̂⊥ûᵀ of Bird's bivector."""
    return torch.cos(angles)[:, None] * u - torch.sin(angles)[:, None] * v_perp


def _frame(basis: torch.Tensor, i: int, j: int, fn: str) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`plane_frame` of basis vectors i and j, with an error that names them."""
    try:
        return plane_frame(basis[i], basis[j])
    except ValueError:
        raise ValueError(f"{fn}: basis vectors {i} and {j} are parallel, so they span no plane; "
                         "remove one of them from the basis") from None


def _frames(basis: torch.Tensor, fn: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The frames of all :func:`planes` of ``basis``: û ``(p, d)`` and v̂⊥ ``(p, d)``."""
    frames = [_frame(basis, i, j, fn) for i, j in planes(basis.shape[0])]
    return torch.stack([f[0] for f in frames]), torch.stack([f[1] for f in frames])


# ---------------------------------------------------------------------------------------------
# SRM: from scratch, then vectorised
# ---------------------------------------------------------------------------------------------
def srm_loop(x, basis=None, epsilon: float = 0.9, num_angles: int = 100,
             signed: bool = False, angles=None) -> tuple[torch.Tensor, torch.Tensor]:
    """SRM from scratch, one plane and one angle at a time: the definition as a loop.

    For every plane (i, j) of the basis and every angle θ, turn the spotlight s(θ) and count the
    fraction of directions x̂ with x̂ · s(θ) ≥ ε (minus those with x̂ · s(θ) ≤ −ε if
    ``signed``). Same arguments and result as :func:`srm`, which computes the same numbers
    without the loops.
    """
    x = _as_points(x, "srm_loop")
    basis = _as_basis(basis, x.shape[1], "srm_loop")
    epsilon = _check_epsilon(epsilon, "srm_loop")
    angles = _angles(num_angles, angles, "srm_loop")
    x_hat = directions(x)  # (n, d)
    pairs = planes(len(basis))
    values = torch.zeros(len(pairs), len(angles), dtype=torch.float64)  # (p, a)
    for p, (i, j) in enumerate(pairs):
        u, v_perp = _frame(basis, i, j, "srm_loop")  # plane_frame(basis[i], basis[j])
        for a, theta in enumerate(angles):
            s = torch.cos(theta) * u - torch.sin(theta) * v_perp  # (d,): the spotlight
            cosines = x_hat @ s  # (n,): cos of each point's angle to it
            count = (cosines >= epsilon).sum()  # the points inside the cone
            if signed:
                count = count - (cosines <= -epsilon).sum()  # minus those in the opposite one
            values[p, a] = count.double() / len(x_hat)
    return angles, values


def srm(x, basis=None, epsilon: float = 0.9, num_angles: int = 100, signed: bool = False,
        angles=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The Spotlight Resonance Method: ``(angles (a,), values (p, a))``.

    ``x: (n, d)`` are n activations of a layer of width d; ``basis: (k, d)`` the privileged
    basis as rows (default: the standard basis, the neuron axes; rows need not be orthogonal or
    of unit length, only not parallel); ``values[p, a]`` is the fraction of the points' directions
    within the cone {x̂ · s ≥ ε} about the spotlight s(θ_a) of plane p = ``planes(k)[p]``
    (``signed``: minus the fraction in the opposite cone). ``num_angles`` angles from 0 to 2π,
    both included, as in Bird's code, or your own ``angles`` (radians).

    Why it is fast: the loops of :func:`srm_loop` become array operations. All p·a spotlights
    s(θ) = cos θ û − sin θ v̂⊥ are built at once by broadcasting, ``(p, a, d)``, and one matrix
    product gives the cosine of every point with every spotlight (a chunk of planes at a time,
    so that memory stays small). The tests check that it equals :func:`srm_loop` exactly.
    """
    x = _as_points(x, "srm")
    basis = _as_basis(basis, x.shape[1], "srm")
    epsilon = _check_epsilon(epsilon, "srm")
    angles = _angles(num_angles, angles, "srm")
    u, v_perp = _frames(basis, "srm")  # (p, d) each
    spots = (torch.cos(angles)[None, :, None] * u[:, None, :]
             - torch.sin(angles)[None, :, None] * v_perp[:, None, :])  # (p, a, d)
    x_hat = directions(x)  # (n, d)
    p, a, d = spots.shape
    values = torch.empty(p, a, dtype=torch.float64)  # (p, a)
    chunk = max(1, 2 ** 21 // (len(x_hat) * a))  # planes per product: ~16 MB of cosines
    for start in range(0, p, chunk):
        cosines = x_hat @ spots[start:start + chunk].reshape(-1, d).T  # (n, chunk·a)
        inside = (cosines >= epsilon).sum(0)  # (chunk·a,) counts
        if signed:
            inside = inside - (cosines <= -epsilon).sum(0)
        values[start:start + chunk] = (inside.double() / len(x_hat)).reshape(-1, a)
    return angles, values


def srm_isotropic_baseline(d: int, epsilon: float) -> float:
    """The SRM value of directions uniform on the sphere S^{d−1}: the same at every angle,

        P(x̂ · s ≥ ε) = ½ I_{1−ε²}((d − 1)/2, ½)      for 0 ≤ ε < 1

    (I the regularised incomplete beta function; for ε < 0 it is 1 minus the value at |ε|).
    It is the area of a spherical cap of angular radius arccos ε as a fraction of the sphere:
    for d = 2 it is arccos(ε)/π, and it falls fast as d grows (at ε = 0.9 it is 0.14 for d = 2
    and below 1e−3 from d = 8 on), which is why ε must shrink for wider layers. The signed
    variant's baseline is 0, by the symmetry x̂ → −x̂.
    """
    from scipy.special import betainc

    if isinstance(d, bool) or not isinstance(d, int) or d < 2:
        raise ValueError(f"srm_isotropic_baseline: d={d!r} must be an int >= 2 (the layer's width)")
    epsilon = _check_epsilon(epsilon, "srm_isotropic_baseline")
    cap = 0.5 * float(betainc((d - 1) / 2, 0.5, 1 - epsilon ** 2))
    return cap if epsilon >= 0 else 1.0 - cap


def srm_epsilon(d: int, baseline: float) -> float:
    """The ε at which directions uniform on S^{d−1} give the SRM value ``baseline``: the inverse
    of :func:`srm_isotropic_baseline` for 0 < baseline < ½ (then 0 < ε < 1). Choosing ε this
    way gives layers of different widths the same isotropic level, e.g. 1 %."""
    from scipy.special import betaincinv

    if isinstance(d, bool) or not isinstance(d, int) or d < 2:
        raise ValueError(f"srm_epsilon: d={d!r} must be an int >= 2 (the layer's width)")
    if not 0 < baseline < 0.5:
        raise ValueError(f"srm_epsilon: baseline={baseline!r} must lie in (0, 0.5), the values "
                         "of a cone narrower than a half-space; e.g. baseline=0.01")
    return math.sqrt(1 - float(betaincinv((d - 1) / 2, 0.5, 2 * baseline)))


def srm_axes_diagonals(x, basis=None, epsilon: float = 0.9) -> tuple[float, float]:
    """SRM averaged over all planes at the four axis angles θ = 0, π/2, π, 3π/2 (the spotlight
    on ±û, ±v̂⊥) and at the four diagonal angles π/4 + kπ/2: ``(on_axes, on_diagonals)``.

    For directions uniform on the sphere both equal :func:`srm_isotropic_baseline`; their ratio
    says whether the points crowd along the basis (> 1) or between its vectors (< 1)."""
    _, values = srm(x, basis, epsilon, angles=torch.arange(8) * (math.pi / 4))  # (p, 8)
    return values[:, 0::2].mean().item(), values[:, 1::2].mean().item()


def reference_rotation(b_i: torch.Tensor, b_j: torch.Tensor, angles: torch.Tensor
                       ) -> torch.Tensor:
    """The rotation matrices ``(a, d, d)`` as Bird's reference code builds them, to compare with.

    The generator is the bivector B = ½(ûv̂ᵀ − v̂ûᵀ) of the normalised vectors; the code
    eigendecomposes B = VΛV⁻¹, keeps the imaginary parts of the eigenvalues, scales them so the
    largest has modulus 1 (unit angular speed), and returns Re(V e^{θΛ} Vᴴ). Since V is not
    unitary on B's null space when the pair is not a pair of coordinate axes, the matrix need
    not be orthogonal; its product with û, the spotlight, is exact (the tests check both).
    """
    u, v = b_i / b_i.norm(), b_j / b_j.norm()
    generator = 0.5 * (torch.outer(u, v) - torch.outer(v, u))  # (d, d)
    values, vectors = torch.linalg.eig(generator)  # (d,), (d, d) complex
    values = 1j * values.imag
    values = values / values.abs().max()
    phases = torch.exp(angles.to(values.dtype)[:, None] * values)  # (a, d)
    rotation = torch.einsum("ij, aj, kj -> aik", vectors, phases, vectors.conj())
    return rotation.real


# ---------------------------------------------------------------------------------------------
# PPPM: the points near each plane, in the plane's coordinates
# ---------------------------------------------------------------------------------------------
def pppm(x, basis=None, epsilon: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """The Privileged Plane Projective Method: ``(points (m, 2), plane (m,))``.

    For every plane p = (i, j) of :func:`planes`, with orthonormal frame (û, v̂⊥)
    (:func:`plane_frame`), a point x is kept when it lies within angle arccos ε of the plane,
    ‖c‖ ≥ ε‖x‖ for its in-plane coordinates c = (x · û, x · v̂⊥), and ``points`` holds those
    coordinates, unnormalised, as in Bird's code; ``plane[m]`` says which plane each came from.
    Zero rows are left out (they have no angle to any plane). With ordered planes each plane
    appears twice with its axes swapped, so the pooled cloud is symmetric about the diagonal.
    For directions uniform on the sphere the kept fraction per plane is
    :func:`pppm_isotropic_fraction`.
    """
    x = _as_points(x, "pppm")
    basis = _as_basis(basis, x.shape[1], "pppm")
    epsilon = _check_epsilon(epsilon, "pppm")
    u, v_perp = _frames(basis, "pppm")  # (p, d) each
    lengths = x.norm(dim=1)  # (n,)
    found, which = [], []
    for p in range(len(u)):
        c = torch.stack([x @ u[p], x @ v_perp[p]], dim=1)  # (n, 2): in-plane coordinates
        keep = (c.norm(dim=1) >= epsilon * lengths) & (lengths > 0)  # (n,)
        found.append(c[keep])
        which.append(torch.full((int(keep.sum()),), p, dtype=torch.int64))
    return torch.cat(found), torch.cat(which)


def pppm_isotropic_fraction(d: int, epsilon: float) -> float:
    """The fraction of directions uniform on S^{d−1} that PPPM keeps for one plane:
    P(‖Px̂‖ ≥ ε) = (1 − ε²)^{(d−2)/2} for 0 ≤ ε < 1 (‖Px̂‖² is Beta(1, (d − 2)/2)); 1 for d = 2,
    where the plane is the whole space."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 2:
        raise ValueError(f"pppm_isotropic_fraction: d={d!r} must be an int >= 2")
    epsilon = _check_epsilon(epsilon, "pppm_isotropic_fraction")
    return 1.0 if epsilon <= 0 else (1 - epsilon ** 2) ** ((d - 2) / 2)


def pppm_epsilon(d: int, fraction: float) -> float:
    """The ε at which PPPM keeps ``fraction`` of uniform directions per plane: the inverse of
    :func:`pppm_isotropic_fraction`, ε = √(1 − fraction^{2/(d−2)}) for d ≥ 3."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 3:
        raise ValueError(f"pppm_epsilon: d={d!r} must be an int >= 3 (in the plane, d = 2, "
                         "PPPM keeps every point whatever ε)")
    if not 0 < fraction < 1:
        raise ValueError(f"pppm_epsilon: fraction={fraction!r} must lie in (0, 1), e.g. 0.08")
    return math.sqrt(1 - fraction ** (2 / (d - 2)))


def pppm_density(points: torch.Tensor, extent: float | None = None, resolution: int = 200,
                 spread: float | None = None) -> tuple[torch.Tensor, float]:
    """A smooth density of 2-D points on a square grid: ``(density (r, r), extent)``.

    Every point adds a Gaussian splat exp(−‖g − p‖²/2σ²) at each grid point g of
    [−extent, extent]² (σ = ``spread``, default 2 % of the extent), as Bird draws PPPM.
    The Gaussian factorises into an x- and a y-part, so the whole sum is one matrix product.
    Row r of the result is the r-th grid value of the *second* coordinate (as ``imshow`` with
    ``origin="lower"`` expects). The density is scaled to a maximum of 1.
    """
    points = torch.as_tensor(points, dtype=torch.float64)
    if points.dim() != 2 or points.shape[1] != 2:
        raise ValueError(f"pppm_density: points must have shape (m, 2), got {tuple(points.shape)}")
    if extent is None:
        extent = 1.05 * points.abs().max().item() if len(points) else 1.0
    if not extent > 0:
        raise ValueError(f"pppm_density: extent={extent!r} must be > 0")
    spread = 0.02 * extent if spread is None else spread
    grid = torch.linspace(-extent, extent, resolution, dtype=torch.float64)  # (r,)
    gx = torch.exp(-(grid[None, :] - points[:, :1]) ** 2 / (2 * spread ** 2))  # (m, r)
    gy = torch.exp(-(grid[None, :] - points[:, 1:]) ** 2 / (2 * spread ** 2))  # (m, r)
    density = gy.T @ gx  # (r, r): rows y, columns x
    top = density.max()
    return (density / top if top > 0 else density), extent


def pppm_plot(points: torch.Tensor, ax=None, title: str = "", extent: float | None = None,
              resolution: int = 200, cmap: str = "magma"):
    """Draw the PPPM density of ``points`` (m, 2) on ``ax`` (a new figure if None), with the
    plane's two basis directions as faint lines; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3), layout="constrained")
    density, extent = pppm_density(points, extent, resolution)
    ax.imshow(density.sqrt().numpy(), origin="lower", cmap=cmap,
              extent=(-extent, extent, -extent, extent))
    for line in (ax.axhline, ax.axvline):
        line(0, color="w", lw=0.5, alpha=0.4)
    ax.set(title=title, xticks=[], yticks=[])
    return ax


# ---------------------------------------------------------------------------------------------
# Statistics of a cloud of in-plane points: is it a ring, or a few discrete clusters?
# ---------------------------------------------------------------------------------------------
def _plane_angles(points: torch.Tensor, fn: str) -> torch.Tensor:
    points = torch.as_tensor(points, dtype=torch.float64)
    if points.dim() != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"{fn}: points must be a non-empty (m, 2) tensor, got "
                         f"{tuple(points.shape)}")
    return torch.atan2(points[:, 1], points[:, 0])  # (m,)


def angular_entropy(points: torch.Tensor, bins: int = 72) -> float:
    """How evenly 2-D points spread over the angles: the entropy of the histogram of their polar
    angles (``bins`` equal sectors), divided by its largest value log(bins). 1: every sector
    holds the same share (a ring); small: the points sit in a few sectors (discrete clusters)."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"angular_entropy: bins={bins!r} must be an int >= 2, e.g. 72")
    theta = _plane_angles(points, "angular_entropy")
    sector = ((theta + math.pi) / (2 * math.pi) * bins).long().clamp(0, bins - 1)
    share = torch.bincount(sector, minlength=bins).double() / len(theta)  # (bins,)
    share = share[share > 0]
    return (-(share * share.log()).sum() / math.log(bins)).item()


def circular_harmonic(points: torch.Tensor, k: int = 4) -> complex:
    """The k-th circular moment mean(e^{ikφ}) of the points' polar angles φ.

    Its modulus is 1 when all angles agree modulo 2π/k and about 1/√m for m uniform angles;
    with k = 4 it detects the square symmetry of an elementwise activation: points on the
    axes give phase 0, points on the diagonals phase π."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"circular_harmonic: k={k!r} must be a positive int, e.g. 4")
    theta = _plane_angles(points, "circular_harmonic")
    return complex(torch.cos(k * theta).mean().item(), torch.sin(k * theta).mean().item())


def srm_plot(angles: torch.Tensor, values: torch.Tensor, ax=None, label: str = "",
             baseline: float | None = None, color=None, band: bool = True):
    """The mean SRM over all planes against the angle (with ``band``: ± one standard deviation
    across planes), ticks at multiples of π/2 and, if given, the isotropic ``baseline`` as a
    dotted line; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    mean = values.mean(0)
    line, = ax.plot(angles, mean, label=label, color=color)
    if band and len(values) > 1:
        std = values.std(0)
        ax.fill_between(angles, mean - std, mean + std, color=line.get_color(), alpha=0.2, lw=0)
    if baseline is not None:
        ax.axhline(baseline, color="0.3", ls=":", lw=1)
    ax.set_xticks([k * math.pi / 2 for k in range(5)], ["0", "π/2", "π", "3π/2", "2π"])
    for k in range(5):
        ax.axvline(k * math.pi / 2, color="0.85", lw=0.5, zorder=0)
    ax.set(xlim=(0, 2 * math.pi), xlabel="spotlight angle θ", ylabel="SRM")
    return ax


def spotlight_figure(points: torch.Tensor, epsilon: float = 0.9,
                     marked: Sequence[float] = (0.0, math.pi / 4, 3 * math.pi / 2)):
    """How SRM works, in one plane: points ``(n, 2)`` with the spotlight's cone drawn at the
    ``marked`` angles (left), and SRM of the plane (e₀, e₁) against the angle with the same
    angles marked (right). Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Wedge

    points = torch.as_tensor(points, dtype=torch.float64)
    half = math.degrees(math.acos(_check_epsilon(epsilon, "spotlight_figure")))
    angles, values = srm(points, epsilon=epsilon, num_angles=361)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained",
                                      gridspec_kw={"width_ratios": [1, 1.6]})
    radius = 1.15 * points.norm(dim=1).max().item()
    left.scatter(points[:, 0], points[:, 1], s=3, color="0.35", alpha=0.5, lw=0)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for theta, color in zip(marked, colors):
        centre = -math.degrees(theta)  # s(θ) = (cos θ, −sin θ): clockwise from e₀
        left.add_patch(Wedge((0, 0), radius, centre - half, centre + half, color=color,
                             alpha=0.25, lw=0))
        left.annotate("", xy=(radius * math.cos(theta), -radius * math.sin(theta)),
                      xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color, "lw": 1.5})
        right.axvline(theta, color=color, lw=2, alpha=0.7)
    left.set(xlim=(-radius, radius), ylim=(-radius, radius), aspect="equal",
             xlabel="e₀ (û)", ylabel="e₁ (v̂⊥)", title=f"the spotlight's cone, ε = {epsilon}")
    right.plot(angles, values[0], color="k")
    right.axhline(srm_isotropic_baseline(2, epsilon), color="0.3", ls=":", lw=1)
    right.set_xticks([k * math.pi / 4 for k in range(9)],
                     ["0", "π/4", "π/2", "3π/4", "π", "5π/4", "3π/2", "7π/4", "2π"])
    right.set(xlim=(0, 2 * math.pi), xlabel="spotlight angle θ",
              ylabel="fraction inside the cone", title="SRM of the plane (e₀, e₁)")
    return fig


__all__: Sequence[str] = (
    "planes", "directions", "plane_frame", "spotlight", "srm_loop", "srm",
    "srm_isotropic_baseline", "srm_epsilon", "srm_axes_diagonals", "reference_rotation", "pppm",
    "pppm_isotropic_fraction", "pppm_epsilon", "pppm_density", "pppm_plot", "angular_entropy",
    "circular_harmonic", "srm_plot", "spotlight_figure")
