"""Deindividuated neurons: diagonalise, grow, prune and compress isotropic networks, exactly.

In an elementwise network every hidden unit is an *individual*: σ acts on its own coordinate,
so the standard basis of a hidden layer is part of the function. An isotropic activation
commutes with every orthogonal Q (chapter 7), so a hidden layer l may be written in any
orthonormal basis: the change

    W_l → Q W_l,   b_l → Q b_l,   ψ_{l−1} → Q ψ_{l−1},   W_{l+1} → W_{l+1} Qᵀ

leaves the network's function exactly as it was (:func:`rotate`). George Bird picks the basis
that the singular value decomposition W_l = U S Vᵀ offers ("Isotropic Activation Functions
Enable Deindividuated Neurons and Adaptive Topologies", 2026; reference code
GeorgeBird1/Isotropic-Adaptive-MLPs, ``Dependencies/IsotropicFunctions.py``):

- :func:`diagonalise`: Q = Uᵀ, so that row i of W_l becomes σᵢ vᵢᵀ, sorted by the singular
  value σᵢ: each unit of layer l now reads its own input direction vᵢ with strength σᵢ;
- :func:`diagonalise_full`: also turn layer l − 1 by Vᵀ, so that W_l becomes the diagonal S:
  unit i of layer l − 1 talks to unit i of layer l only;
- :func:`grow` (neurogenesis): add units whose weights, bias and ψ entry are 0; their
  pre-activation is exactly 0, so nothing changes (a small random column of W_{l+1} lets the
  gradient reach them);
- :func:`prune` (neurodegeneration): remove the k units of smallest σ, and hand the constant
  they carried (their bias b*) to the intrinsic length, o_l → o_l + Σ b*², and to the ψ
  correction, ψ_l → ψ_l + W* b*. Exact when the removed σ are 0 and their ψ_{l−1} entries
  are 0; otherwise the error grows in proportion to σ;
- :func:`compress`: the lossless QR compression of Ganev, van Laarhoven and Walters: a layer
  whose pre-activations only ever fill an r-dimensional subspace is written in a basis of it
  and cut to r units (r ≤ input width + depth);
- :func:`sparsify`: full diagonalisation of every other layer, which turns their n × m weight
  matrices into diagonals (:func:`sparsified_count` zeros).

**The networks.** Every function takes either an :class:`IsotropicMLP` (Bird's perceptron with
intrinsic lengths o and ψ corrections, built on chapter 7's
:class:`isolearn.activations.IsotropicMLP`) or an ``nn.Sequential`` of ``nn.Linear`` layers
with one activation module between consecutive ones (``planar.mlp``, a Mixer's MLP), and
returns a **new** network of the same kind; its input is left untouched. Only the linear
layers (and o, ψ) change, so the new network computes the same function only if the
activations are isotropic: run the same operation on an elementwise-tanh network and it
changes (the tests and chapter 9 measure by how much). The functions on :class:`Weights`
(:func:`weights_of`, :func:`with_weights`) are the linear algebra underneath.

**Optimiser state is not carried over**: make a new optimiser for the returned network, so
training restarts Adam's moments. Plain SGD keeps no state, so it loses nothing. Momentum and
Adam's first moment could be carried exactly (they are sums of gradients, and the gradient of
W_l turns with Q as W_l does), but Adam's second moment, a per-coordinate mean of *squared*
gradients, cannot: the turned version needs the gradients' full covariance, which Adam never
stores (Bird's code approximates it by (Q∘Q) v). Chapter 9 shows why it matters: SGD commutes
with these rotations and Adam does not.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn import activations
from isolearn.activations import INTRINSIC_LENGTH_INIT

MODES = ("trainable", "constant", None)


class IsotropicMLP(activations.IsotropicMLP):
    """Bird's isotropic-tanh perceptron, set up as his reference code does it.

    ``widths = [n_in, n_1, ..., n_H, n_out]``: H ≥ 1 hidden layers of isotropic tanh with
    intrinsic lengths o_l and ψ corrections (the forward pass is chapter 7's
    :class:`isolearn.activations.IsotropicMLP`, one implementation for both chapters):

        z_0 = W_0 x + b_0,   a_l = g_l z_l,   g_l = tanh(‖z_l; o_l‖)/‖z_l; o_l‖,
        z_l = W_l a_{l−1} + b_l + ψ_{l−1} g_{l−1},   out = W_H a_{H−1} + b_H + ψ_{H−1} g_{H−1}.

    ``intrinsic_length``: ``"trainable"`` (o = exp(λ), λ starts at log ``o`` = log 1e-6),
    ``"constant"`` (o stays at ``o`` while training, but :func:`prune` still adds to it) or
    ``None`` (o = 0: plain isotropic tanh, and pruning has nowhere to put a bias).
    ``psi``: ``"trainable"``, ``"constant"`` (ψ frozen at 0 while training, changed only by
    :func:`prune`) or ``None`` (ψ held at 0 for good). Weights start orthogonal and biases at 0
    (``init="orthogonal"``, Bird's choice; ``"default"`` is PyTorch's). ``dtype=torch.float64``
    for exactness checks.
    """

    def __init__(self, widths: Sequence[int], intrinsic_length: str | None = "trainable",
                 psi: str | None = "trainable", o: float = INTRINSIC_LENGTH_INIT,
                 init: str = "orthogonal", dtype: torch.dtype | None = None):
        if (isinstance(widths, (str, bytes)) or len(widths) < 3
                or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths)):
            raise ValueError(f"IsotropicMLP: widths={widths!r} must list at least three positive "
                             "ints, the input, hidden and output widths, e.g. [64, 100, 100, 10]")
        for name, mode in [("intrinsic_length", intrinsic_length), ("psi", psi)]:
            if mode not in MODES:
                raise ValueError(f"IsotropicMLP: {name}={mode!r} must be 'trainable', "
                                 "'constant' or None")
        super().__init__(widths[0], tuple(widths[1:-1]), widths[-1], o=o,
                         learn_o=intrinsic_length == "trainable", learn_psi=psi == "trainable",
                         init=init)
        self.intrinsic_length = intrinsic_length
        self.psi_mode = psi
        if dtype is not None:
            self.to(dtype)

    @property
    def o(self) -> torch.Tensor:
        if self.intrinsic_length is None:
            return torch.zeros_like(self.log_o)  # (H,): no intrinsic length
        return self.log_o.exp()  # (H,)

    @property
    def widths(self) -> list[int]:
        return [self.linears[0].in_features] + [lin.out_features for lin in self.linears]

    def extra_repr(self) -> str:
        return (f"widths={self.widths}, intrinsic_length={self.intrinsic_length!r}, "
                f"psi={self.psi_mode!r}")


# ---------------------------------------------------------------------------------------------
# The parameters as plain tensors, and the one change of basis that every operation uses
# ---------------------------------------------------------------------------------------------
@dataclass
class Weights:
    """An MLP's parameters as plain tensors: what every operation of this module transforms.

    ``weights[l]``: W_l ``(n_{l+1}, n_l)`` for the L linear layers; ``biases[l]``: b_l
    ``(n_{l+1},)`` or None; ``psi[l]``: ψ_l ``(n_{l+2},)`` for the hidden layers l = 0..L−2,
    or None (no ψ to absorb into); ``o``: the hidden layers' intrinsic lengths ``(L−1,)``, or
    None (none to absorb into)."""

    weights: list[torch.Tensor]
    biases: list[torch.Tensor | None]
    psi: list[torch.Tensor] | None = None
    o: torch.Tensor | None = None

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]


def _linears(net: nn.Module, fn: str) -> list[nn.Linear]:
    if isinstance(net, activations.IsotropicMLP):
        return list(net.linears)
    if isinstance(net, nn.Sequential):
        modules = list(net)
        linear_at = [isinstance(m, nn.Linear) for m in modules]
        if len(modules) % 2 == 0 or linear_at != [i % 2 == 0 for i in range(len(modules))]:
            raise ValueError(f"{fn}: the nn.Sequential must alternate Linear, activation, "
                             "Linear, ..., Linear (one activation module between consecutive "
                             f"linear layers), got {[type(m).__name__ for m in modules]}")
        return modules[::2]
    raise TypeError(f"{fn}: net must be an IsotropicMLP or an nn.Sequential of Linear layers "
                    f"and activations, got {type(net).__name__}")


def weights_of(net: nn.Module) -> Weights:
    """The :class:`Weights` of ``net`` (copies, detached): ψ and o only where the network can
    absorb into them (an :class:`IsotropicMLP` with ``psi``/``intrinsic_length`` not None)."""
    linears = _linears(net, "weights_of")
    weights = [lin.weight.detach().clone() for lin in linears]
    biases = [None if lin.bias is None else lin.bias.detach().clone() for lin in linears]
    psi = o = None
    if isinstance(net, activations.IsotropicMLP):
        if getattr(net, "psi_mode", "trainable") is not None:
            psi = [p.detach().clone() for p in net.psi]
        elif any(bool((p != 0).any()) for p in net.psi):
            raise ValueError("weights_of: this IsotropicMLP has psi=None, which holds ψ at 0, "
                             "but some ψ entries are not 0; build it with psi='constant' to "
                             "set ψ by hand")
        if getattr(net, "intrinsic_length", "trainable") is not None:
            o = net.o.detach().clone()
    return Weights(weights, biases, psi, o)


def with_weights(net: nn.Module, w: Weights) -> nn.Module:
    """A copy of ``net`` that holds the parameters ``w`` (whose widths may differ from
    ``net``'s); ``net`` itself is left untouched. Gradients are not copied."""
    new = copy.deepcopy(net)
    linears = _linears(new, "with_weights")
    if len(linears) != len(w.weights):
        raise ValueError(f"with_weights: w has {len(w.weights)} weight matrices, the network "
                         f"{len(linears)} linear layers")
    for lin, weight, bias in zip(linears, w.weights, w.biases):
        lin.weight = nn.Parameter(weight.detach().clone())
        lin.out_features, lin.in_features = weight.shape
        if bias is not None:
            lin.bias = nn.Parameter(bias.detach().clone())
    if isinstance(new, activations.IsotropicMLP):
        for i, old in enumerate(net.psi):
            value = (w.psi[i] if w.psi is not None
                     else old.new_zeros(w.weights[i + 1].shape[0]))  # held at 0
            new.psi[i] = nn.Parameter(value.detach().clone(), requires_grad=old.requires_grad)
        if w.o is not None:
            new.log_o = nn.Parameter(w.o.detach().log(), requires_grad=net.log_o.requires_grad)
    for p in new.parameters():
        p.grad = None
    return new


def change_basis(w: Weights, layer: int, q: torch.Tensor) -> Weights:
    """Write hidden layer ``layer`` in new coordinates z' = q z: W_l → q W_l, b_l → q b_l,
    ψ_{l−1} → q ψ_{l−1}, W_{l+1} → W_{l+1} qᵀ.

    For an orthogonal ``q`` ``(n, n)`` this is the symmetry of an isotropic layer. The same
    formula with ``q`` ``(n', n)`` does two more jobs: an isometry (qᵀq = I, n' > n) adds units
    whose weights are 0 (:func:`grow`), and a map with orthonormal rows (q qᵀ = I, n' < n)
    keeps only the coordinates along those rows (:func:`prune`, :func:`compress`), exact when
    z has no component outside them."""
    weights, biases = list(w.weights), list(w.biases)
    psi = None if w.psi is None else list(w.psi)
    weights[layer] = q @ weights[layer]  # (n', n_l)
    if biases[layer] is not None:
        biases[layer] = q @ biases[layer]
    if psi is not None and layer > 0:
        psi[layer - 1] = q @ psi[layer - 1]
    weights[layer + 1] = weights[layer + 1] @ q.T  # (n_{l+2}, n')
    return replace(w, weights=weights, biases=biases, psi=psi)


def _padded_diagonal(s: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """The m × n matrix with s on its diagonal and exact zeros elsewhere."""
    out = s.new_zeros(shape)
    out[range(len(s)), range(len(s))] = s
    return out


def diagonalise_weights(w: Weights, layer: int) -> tuple[Weights, torch.Tensor]:
    """Left diagonalisation on :class:`Weights`: W_l = U S Vᵀ, layer turned by Uᵀ. Returns
    the new weights and the singular value of every unit ``(n_{l+1},)`` (0 beyond min(m, n))."""
    u, s, vh = torch.linalg.svd(w.weights[layer], full_matrices=True)  # (m, m), (k,), (n, n)
    new = change_basis(w, layer, u.T)
    weights = list(new.weights)
    sv = _padded_diagonal(s, w.weights[layer].shape)  # (m, n): S
    weights[layer] = sv @ vh  # rows σᵢ vᵢᵀ, exactly 0 beyond min(m, n)
    strengths = s.new_zeros(w.weights[layer].shape[0])
    strengths[: len(s)] = s
    return replace(new, weights=weights), strengths


def diagonalise_full_weights(w: Weights, layer: int) -> Weights:
    """Full diagonalisation on :class:`Weights`: turn layer − 1 by Vᵀ and layer by Uᵀ, so that
    W_l = S exactly (a diagonal, zeros elsewhere)."""
    u, s, vh = torch.linalg.svd(w.weights[layer], full_matrices=True)
    new = change_basis(change_basis(w, layer - 1, vh), layer, u.T)
    weights = list(new.weights)
    weights[layer] = _padded_diagonal(s, w.weights[layer].shape)
    return replace(new, weights=weights)


# ---------------------------------------------------------------------------------------------
# Checking the arguments
# ---------------------------------------------------------------------------------------------
def _check_layer(fn: str, net: nn.Module, layer: int, first: int = 0) -> list[nn.Linear]:
    """The network's linear layers, after checking that ``layer`` is a hidden layer ≥ first."""
    linears = _linears(net, fn)
    last = len(linears) - 1  # the output layer
    if isinstance(layer, bool) or not isinstance(layer, int):
        raise TypeError(f"{fn}: layer={layer!r} must be an int, the index of a linear layer")
    if layer == last:
        raise ValueError(f"{fn}: layer={layer} is the output layer, whose units are the "
                         "network's outputs and have no activation to turn or to remove; "
                         f"choose a hidden layer {first}..{last - 1}")
    if not first <= layer < last:
        extra = (" (full diagonalisation also turns the layer before, which must be hidden "
                 "too)" if first else "")
        raise ValueError(f"{fn}: layer={layer} is out of range: this network has hidden "
                         f"layers 0..{last - 1}; choose one of {first}..{last - 1}{extra}")
    return linears


def _check_count(fn: str, k: int, most: int, what: str) -> None:
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"{fn}: k={k!r} must be an int, the number of units")
    if not 0 <= k <= most:
        raise ValueError(f"{fn}: k={k} is out of range: {what}; choose k from 0 to {most}")


# ---------------------------------------------------------------------------------------------
# The operations on networks
# ---------------------------------------------------------------------------------------------
def rotate(net: nn.Module, layer: int, q: torch.Tensor) -> nn.Module:
    """``net`` with hidden layer ``layer`` written in the basis z' = q z (q orthogonal,
    ``(n, n)``): the symmetry of an isotropic layer, so the function does not change."""
    linears = _check_layer("rotate", net, layer)
    n = linears[layer].out_features
    if not isinstance(q, torch.Tensor) or q.shape != (n, n):
        raise ValueError(f"rotate: q must be an orthogonal ({n}, {n}) tensor for layer {layer} "
                         f"of width {n}, got {getattr(q, 'shape', type(q).__name__)}")
    return with_weights(net, change_basis(weights_of(net), layer, q))


def singular_values(net: nn.Module, layer: int) -> torch.Tensor:
    """The singular values of W_layer, one per unit ``(n_{layer+1},)`` in decreasing order:
    after :func:`diagonalise`, unit i reads its input direction with strength σᵢ. A layer with
    more units than inputs has min(m, n) of them; the other units get σ = 0."""
    linears = _check_layer("singular_values", net, layer)
    s = torch.linalg.svdvals(linears[layer].weight.detach())
    return torch.cat([s, s.new_zeros(linears[layer].out_features - len(s))])


def diagonalise(net: nn.Module, layer: int) -> nn.Module:
    """Left diagonalisation of hidden layer ``layer`` (Bird's ``left_partial_diagonalise``):
    with W_l = U S Vᵀ, turn the layer by Uᵀ, so that W_l = S Vᵀ: unit i reads the direction vᵢ
    with strength σᵢ, sorted from the strongest. Exact for isotropic activations."""
    _check_layer("diagonalise", net, layer)
    return with_weights(net, diagonalise_weights(weights_of(net), layer)[0])


def diagonalise_full(net: nn.Module, layer: int) -> nn.Module:
    """Full diagonalisation of ``layer`` (Bird's ``full_diagonalise``): turn layer − 1 by Vᵀ and
    layer by Uᵀ, so that W_l = S is diagonal. Both neighbours must be hidden layers:
    1 ≤ layer ≤ L − 2."""
    _check_layer("diagonalise_full", net, layer, first=1)
    return with_weights(net, diagonalise_full_weights(weights_of(net), layer))


def grow(net: nn.Module, layer: int, k: int = 1, scale: float = 0.01,
         generator: torch.Generator | None = None) -> nn.Module:
    """Neurogenesis: diagonalise ``layer`` and append ``k`` *scaffold* units to it.

    A new unit's row of W_l, its bias and its ψ_{l−1} entry are 0, so its pre-activation is
    exactly 0: it adds nothing to ‖z_l‖ and outputs 0, so the function is unchanged. Its column
    of W_{l+1} is ``scale``·N(0, 1) (Bird: 0.01): with a zero column the unit would receive no
    gradient and stay 0 for ever."""
    linears = _check_layer("grow", net, layer)
    _check_count("grow", k, 10**9, "it is the number of units to add")
    if not scale >= 0:
        raise ValueError(f"grow: scale={scale!r} must be >= 0, e.g. 0.01")
    w, _ = diagonalise_weights(weights_of(net), layer)
    n = linears[layer].out_features
    w = change_basis(w, layer, torch.eye(n + k, n, dtype=w.weights[layer].dtype,
                                         device=w.weights[layer].device))  # k zero units
    weights = list(w.weights)
    nxt = weights[layer + 1]  # (n_{l+2}, n + k), last k columns 0
    column = torch.randn(nxt.shape[0], k, generator=generator, dtype=nxt.dtype,
                         device="cpu" if generator is not None else nxt.device)
    weights[layer + 1] = torch.cat([nxt[:, :n], scale * column.to(nxt.device)], dim=1)
    return with_weights(net, replace(w, weights=weights))


def prune(net: nn.Module, layer: int, k: int = 1, order: str = "smallest",
          generator: torch.Generator | None = None) -> nn.Module:
    """Neurodegeneration: diagonalise ``layer`` and remove ``k`` of its units, the k with the
    smallest singular values (``order="smallest"``, Bird's choice) or k at random
    (``order="random"``, a baseline).

    A removed unit's pre-activation is z* = σ (vᵀ a) + b* + ψ* g_{l−1} (ψ*: its entry of
    ψ_{l−1}). When σ = 0 and ψ* = 0 it is the constant b*, and Bird's updates keep the function
    exactly: it added b*² to ‖z_l‖², now added to the intrinsic length (o_l → o_l + b*²), and it
    sent W* g_l b* to the next layer (W*: its column of W_{l+1}), now sent by ψ_l → ψ_l + W* b*.
    Otherwise the error is proportional to σ and ψ*. An :class:`IsotropicMLP` with
    ``intrinsic_length=None`` or ``psi=None``, and an ``nn.Sequential``, skip the update they
    cannot hold."""
    linears = _check_layer("prune", net, layer)
    n = linears[layer].out_features
    _check_count("prune", k, n - 1, f"layer {layer} has {n} units and at least one must stay")
    if order not in ("smallest", "random"):
        raise ValueError(f"prune: order={order!r} must be 'smallest' or 'random'")
    w, _ = diagonalise_weights(weights_of(net), layer)
    if order == "smallest":
        drop = torch.arange(n - k, n)
    else:
        drop = torch.randperm(n, generator=generator)[:k].sort().values
    dropped = set(drop.tolist())
    keep = torch.tensor([i for i in range(n) if i not in dropped], dtype=torch.long)
    dtype, device = w.weights[layer].dtype, w.weights[layer].device
    b_star = (w.biases[layer][drop] if w.biases[layer] is not None
              else torch.zeros(k, dtype=dtype, device=device))  # (k,)
    w_star = w.weights[layer + 1][:, drop]  # (n_{l+2}, k)
    o, psi = w.o, w.psi
    if o is not None:
        o = o.clone()
        o[layer] = o[layer] + (b_star ** 2).sum()
    if psi is not None:
        psi = list(psi)
        psi[layer] = psi[layer] + w_star @ b_star
    select = torch.eye(n, dtype=dtype, device=device)[keep.to(device)]  # (n − k, n)
    return with_weights(net, change_basis(replace(w, o=o, psi=psi), layer, select))


def compressed_widths(widths: Sequence[int], psi: bool = False) -> list[int]:
    """The widths :func:`compress` reaches: r_0 = min(n_0, n_in + 1), then
    r_l = min(n_l, r_{l−1} + 1) (Ganev, van Laarhoven and Walters). With Bird's ψ the layers'
    *affine* dimensions e_l = min(e_{l−1} + 1, r_l) (e_0 = min(n_in, r_0)) set the bound
    instead: r_l = min(n_l, e_{l−1} + 2); the two agree unless a layer is narrower than the
    ones before."""
    n_in, hidden = widths[0], list(widths[1:-1])
    out, r, e = [n_in], n_in, n_in
    for l, n in enumerate(hidden):
        if psi and l > 0:
            r = min(n, e + 2)
            e = min(e + 1, r)
        else:
            r = min(n, r + 1)
            e = min(e, r)  # (used by the ψ bound from the next layer on)
        out.append(r)
    return out + [widths[-1]]


def compress(net: nn.Module) -> nn.Module:
    """Lossless QR compression: cut every hidden layer to the subspace its pre-activations fill.

    With the layer before already compressed to r_{l−1} units, z_l = W_l a_{l−1} + b_l lies in
    the span of the r_{l−1} + 1 columns of M = [b_l, W_l], whatever the input (a_{l−1} has only
    r_{l−1} coordinates). A QR decomposition M = QR gives an orthonormal basis of that span (the
    first columns of Q); writing the layer in it (:func:`change_basis`) leaves zeros in the
    other coordinates for every input, and an isotropic layer never sees them: cut them. With
    ψ, z_l = b_l + g_{l−1}(ψ_{l−1} + W_l z_{l−1}) and M collects b_l and the directions that
    z_{l−1} moves along (:func:`compressed_widths`)."""
    linears = _linears(net, "compress")
    w = weights_of(net)
    has_psi = w.psi is not None
    directions = None  # has_psi: the directions z_{l−1} moves along, (n_{l−1}, e_{l−1})
    for l in range(len(linears) - 1):
        weight, bias = w.weights[l], w.biases[l]
        if has_psi:
            directions = (weight if l == 0 else torch.cat(
                [(weight @ w.biases[l - 1] + w.psi[l - 1])[:, None], weight @ directions], 1))
            m = torch.cat([bias[:, None], directions], 1)
        else:
            m = weight if bias is None else torch.cat([bias[:, None], weight], 1)
        n, c = m.shape
        if c < n:
            q, _ = torch.linalg.qr(m, mode="complete")  # (n, n)
            basis = q[:, :c].T  # (c, n): orthonormal rows spanning the columns of m
            w = change_basis(w, l, basis)
            if has_psi:
                directions = basis @ directions
        if has_psi and directions.shape[1] > directions.shape[0]:
            directions = torch.eye(directions.shape[0], dtype=weight.dtype, device=weight.device)
    return with_weights(net, w)


def sparsified_count(widths: Sequence[int]) -> int:
    """How many weights :func:`sparsify` sets to exactly 0: Σ (n_l n_{l+1} − min(n_l, n_{l+1}))
    over the linear layers l = 1, 3, 5, ... that have hidden layers on both sides."""
    return sum(widths[l] * widths[l + 1] - min(widths[l], widths[l + 1])
               for l in range(1, len(widths) - 2, 2))


def sparsify(net: nn.Module) -> nn.Module:
    """Alternating full diagonalisation: :func:`diagonalise_full` on layers 1, 3, 5, ... (each
    turns only its two neighbours, which stay dense), so every other weight matrix becomes a
    diagonal and :func:`sparsified_count` weights become exactly 0."""
    linears = _linears(net, "sparsify")
    w = weights_of(net)
    for l in range(1, len(linears) - 1, 2):
        w = diagonalise_full_weights(w, l)
    return with_weights(net, w)


def zero_weights(net: nn.Module) -> int:
    """The number of weight-matrix entries that are exactly 0."""
    return sum(int((lin.weight == 0).sum()) for lin in _linears(net, "zero_weights"))


def widths(net: nn.Module) -> list[int]:
    """``[n_in, n_1, ..., n_out]`` of an :class:`IsotropicMLP` or an ``nn.Sequential``."""
    return weights_of(net).widths


# ---------------------------------------------------------------------------------------------
# Measuring and training
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def output_change(net: nn.Module, other: nn.Module, x: torch.Tensor) -> float:
    """max |net(x) − other(x)| over the batch and the outputs: 0 up to rounding when an
    operation kept the function."""
    return (net(x) - other(x)).abs().max().item()


@torch.no_grad()
def kl_divergence(before: torch.Tensor, after: torch.Tensor) -> float:
    """D_KL(softmax(before) ‖ softmax(after)) averaged over the batch, in nats, from logits
    ``(n, classes)``: how much an operation changed the predicted distributions."""
    return F.kl_div(after.log_softmax(-1), before.log_softmax(-1), log_target=True,
                    reduction="batchmean").item()


def train(net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float = 1e-2,
          optimizer: str = "adam", weight_decay: float = 0.0, batch_size: int | None = None,
          generator: torch.Generator | None = None) -> list[float]:
    """Train ``net`` in place on cross-entropy for ``steps`` steps; returns the losses.

    ``optimizer``: ``"adam"`` (AdamW with ``weight_decay``; Bird trains with AdamW, lr 1e-3,
    weight decay 1e-3, batches of 48) or ``"sgd"`` (plain gradient descent). ``batch_size=None``
    takes the whole set every step; otherwise batches are drawn at random with ``generator``.
    A fresh optimiser each call: after :func:`grow` or :func:`prune`, call it again on the new
    network."""
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"train: steps={steps!r} must be a non-negative int")
    if optimizer == "adam":
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"train: optimizer={optimizer!r} must be 'adam' or 'sgd'")
    losses = []
    for _ in range(steps):
        if batch_size is None:
            xb, yb = x, y
        else:
            pick = torch.randint(len(x), (batch_size,), generator=generator).to(x.device)
            xb, yb = x[pick], y[pick]
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def weaken(net: nn.Module, layer: int, sigma: float, psi: float = 0.0) -> nn.Module:
    """A copy of ``net`` whose weakest direction in hidden layer ``layer`` has singular value
    ``sigma`` and ψ entry ``psi`` (its component of ψ_{layer−1}; layer 0 has none): W_l moves
    by (σ − σ_min) u vᵀ along its last singular pair (u, v). The way to set up :func:`prune`'s
    conditions on purpose."""
    _check_layer("weaken", net, layer)
    if not sigma >= 0:
        raise ValueError(f"weaken: sigma={sigma!r} must be >= 0 (a singular value)")
    w = weights_of(net)
    weight = w.weights[layer]
    if weight.shape[0] > weight.shape[1]:
        raise ValueError(f"weaken: layer {layer} has more units ({weight.shape[0]}) than inputs "
                         f"({weight.shape[1]}), so its weakest units already have σ = 0")
    u, s, vh = torch.linalg.svd(weight)
    weights = list(w.weights)
    weights[layer] = weight + (sigma - s[-1]) * torch.outer(u[:, -1], vh[-1])
    psis = w.psi
    if layer > 0 and psis is not None:
        psis = list(psis)
        psis[layer - 1] = psis[layer - 1] + (psi - u[:, -1] @ psis[layer - 1]) * u[:, -1]
    elif psi != 0:
        raise ValueError(f"weaken: psi={psi!r}, but layer {layer} has no ψ before it to set")
    return with_weights(net, replace(w, weights=weights, psi=psis))
