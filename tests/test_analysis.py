"""Spotlight resonance and PPPM: the vectorised SRM equals the loop, the exact facts hold (an
isotropic activation changes nothing, Gaussians sit on the baseline, ReLU and tanh resonate where
the theory says), the spotlight is a true rotation, and bad input gets a clear error."""

import math

import pytest
import torch

from isolearn import analysis as an
from isolearn import planar
from isolearn.activations import intrinsic_tanh, isotropic_tanh, random_orthogonal

QUARTERS = torch.arange(9, dtype=torch.float64) * (math.pi / 4)  # 0, π/4, ..., 2π


def gaussian(n=4000, d=8, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def random_basis(k, d, seed=1):
    return torch.randn(k, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ---------------------------------------------------------------------------------------------
# From scratch and fast agree
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("basis", [None, "random"])
def test_vectorised_srm_equals_the_loop(signed, basis):
    x = gaussian(600, 6)
    x[::7] = 0.0  # some zero rows
    b = random_basis(4, 6) if basis == "random" else None
    a1, v1 = an.srm(x, b, epsilon=0.6, num_angles=37, signed=signed)
    a2, v2 = an.srm_loop(x, b, epsilon=0.6, num_angles=37, signed=signed)
    assert torch.equal(a1, a2) and torch.equal(v1, v2)
    k = 6 if b is None else 4
    assert v1.shape == (k * (k - 1), 37)


def test_angles_and_planes_follow_the_reference_conventions():
    angles, values = an.srm(gaussian(50, 3))
    assert angles.shape == (100,) and values.shape == (6, 100)
    assert angles[0] == 0 and angles[-1] == 2 * math.pi  # both ends, as in Bird's code
    assert torch.equal(values[:, 0], values[:, -1])  # the same spotlight
    assert an.planes(3) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    _, chosen = an.srm(gaussian(50, 3), angles=[0.0, 1.0])
    assert chosen.shape == (6, 2)


def test_srm_counts_what_the_definition_says():
    # points exactly on e_0, on e_1 and on the diagonal of the (0, 1) plane, in 3-D
    x = torch.tensor([[1.0, 0, 0], [0, 2.0, 0], [1.0, 1.0, 0], [0, 0, 1.0]])
    _, v = an.srm(x, epsilon=0.99, angles=QUARTERS)
    plane = an.planes(3).index((0, 1))  # s(θ) = cos θ e_0 − sin θ e_1
    assert v[plane].tolist() == [0.25, 0, 0, 0, 0, 0, 0.25, 0.25, 0.25]  # e_0, e_1 at 3π/2, diagonal at 7π/4
    _, s = an.srm(x, epsilon=0.99, angles=QUARTERS, signed=True)
    assert s[plane].tolist() == [0.25, 0, -0.25, -0.25, -0.25, 0, 0.25, 0.25, 0.25]


# ---------------------------------------------------------------------------------------------
# The exact facts
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("f", [isotropic_tanh, lambda z: intrinsic_tanh(z, 0.5),
                               lambda z: 3.7 * z])
def test_an_isotropic_activation_leaves_srm_unchanged_bit_for_bit(f):
    x = gaussian(2000, 8)
    for basis in (None, random_basis(5, 8)):
        _, before = an.srm(x, basis, epsilon=0.75)
        _, after = an.srm(f(x), basis, epsilon=0.75)
        assert torch.equal(before, after)


def test_an_elementwise_activation_changes_srm():
    x = gaussian(2000, 8)
    _, before = an.srm(x, epsilon=0.75)
    _, after = an.srm(torch.tanh(x), epsilon=0.75)
    assert (before - after).abs().max() > 5e-3


def test_gaussians_sit_on_the_isotropic_baseline():
    n, eps = 5000, 0.75
    cap = an.srm_isotropic_baseline(8, eps)
    se = math.sqrt(cap * (1 - cap) / n)  # one plane, one angle: a binomial proportion
    _, v = an.srm(gaussian(n, 8), epsilon=eps, num_angles=97)
    assert abs(v.mean() - cap) < 3 * se  # the mean over planes and angles is even tighter
    assert (v.mean(0) - cap).abs().max() < 5 * se  # the profile is flat
    _, signed = an.srm(gaussian(n, 8), epsilon=eps, num_angles=97, signed=True)
    assert signed.mean().abs() < 3 * se  # the signed baseline is 0


def test_relu_resonates_on_the_positive_axes_and_is_blind_elsewhere():
    eps = 0.75
    cap = an.srm_isotropic_baseline(8, eps)
    angles, v = an.srm(torch.relu(gaussian(5000, 8)), epsilon=eps, num_angles=97)
    profile = v.mean(0)
    # spotlight on +e_i (θ = 0) and on +e_j (θ = 3π/2)
    assert profile[0] > 5 * cap and profile[72] > 5 * cap
    # ReLU's points have no negative coordinate, so a spotlight pointing into a quadrant with a
    # negative coordinate beyond the cone sees nothing: exactly 0 for arccos ε < θ < 3π/2 − arccos ε
    blind = (angles > math.acos(eps) + 1e-9) & (angles < 1.5 * math.pi - math.acos(eps) - 1e-9)
    assert blind.sum() > 40 and (v[:, blind] == 0).all()
    # the signed variant resonates, with sign, at all four axis angles
    _, s = an.srm(torch.relu(gaussian(5000, 8)), epsilon=eps, angles=QUARTERS, signed=True)
    axes = s.mean(0)[[0, 2, 4, 6]]
    assert (axes[[0, 3]] > 5 * cap).all() and (axes[[1, 2]] < -5 * cap).all()


def test_tanh_resonates_between_the_axes():
    eps = 0.75
    angles, v = an.srm(torch.tanh(2 * gaussian(5000, 8)), epsilon=eps, num_angles=97)
    peak = angles[v.mean(0).argmax()].item()
    off = (peak - math.pi / 4) % (math.pi / 2)
    assert min(off, math.pi / 2 - off) < 0.1
    on_axes, on_diagonals = an.srm_axes_diagonals(torch.tanh(2 * gaussian(5000, 8)), epsilon=eps)
    assert on_axes < 0.2 * on_diagonals


def test_axes_and_diagonals_are_srm_at_those_angles():
    x = torch.relu(gaussian(500, 5))
    on_axes, on_diagonals = an.srm_axes_diagonals(x, epsilon=0.6)
    _, v = an.srm(x, epsilon=0.6, angles=QUARTERS[:8])
    assert on_axes == pytest.approx(v[:, 0::2].mean().item(), abs=1e-15)
    assert on_diagonals == pytest.approx(v[:, 1::2].mean().item(), abs=1e-15)


# ---------------------------------------------------------------------------------------------
# The spotlight is a rotation
# ---------------------------------------------------------------------------------------------
def test_spotlight_equals_rodrigues_and_the_matrix_exponential():
    gen = torch.Generator().manual_seed(3)
    angles = torch.linspace(0, 2 * math.pi, 50, dtype=torch.float64)
    for _ in range(50):
        b = torch.randn(2, 16, generator=gen, dtype=torch.float64)
        u, v = an.plane_frame(b[0], b[1])
        assert abs(u @ v) < 1e-12 and abs(u.norm() - 1) < 1e-12 and abs(v.norm() - 1) < 1e-12
        assert v @ b[1] > 0
        g = torch.outer(u, v) - torch.outer(v, u)  # generator: G u = −v, G v = u
        eye = torch.eye(16, dtype=torch.float64)
        rodrigues = (eye + torch.sin(angles)[:, None, None] * g
                     + (1 - torch.cos(angles))[:, None, None] * (g @ g))  # (a, d, d)
        s = an.spotlight(u, v, angles)  # (a, d)
        assert (rodrigues @ u - s).abs().max() < 1e-12
        assert (torch.linalg.matrix_exp(angles[:, None, None] * g) @ u - s).abs().max() < 1e-12
        assert (rodrigues @ rodrigues.transpose(1, 2) - eye).abs().max() < 1e-12  # orthogonal


def test_birds_rotation_is_exact_on_the_spotlight_but_not_orthogonal_in_general():
    angles = torch.linspace(0, 2 * math.pi, 25, dtype=torch.float64)
    e = torch.eye(8, dtype=torch.float64)
    standard = an.reference_rotation(e[2], e[5], angles)  # (a, d, d)
    assert (standard @ standard.transpose(1, 2) - e).abs().max() < 1e-12
    assert (standard @ e[2] - an.spotlight(e[2], e[5], angles)).abs().max() < 1e-12
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    for _ in range(20):
        q = random_orthogonal(1, 8, gen)[0]  # an orthonormal pair in a random direction
        r = an.reference_rotation(q[0], q[1], angles)
        assert (r @ q[0] - an.spotlight(q[0], q[1], angles)).abs().max() < 1e-12
        worst = max(worst, (r @ r.transpose(1, 2) - e).abs().max().item())
    assert worst > 0.1  # the full matrix is not orthogonal: only R(θ)û is used
    # a non-orthogonal pair: the spotlight turns in the plane, by the true angle
    b = torch.tensor([[1.0, 0, 0], [1.0, 1.0, 0]], dtype=torch.float64)
    s = an.spotlight(*an.plane_frame(b[0], b[1]), angles)
    r = an.reference_rotation(b[0], b[1], angles)
    assert (r @ (b[0] / b[0].norm()) - s).abs().max() < 1e-12


# ---------------------------------------------------------------------------------------------
# The isotropic baseline
# ---------------------------------------------------------------------------------------------
def test_baseline_is_exact_in_the_plane_and_matches_monte_carlo():
    for eps in (-0.5, 0.0, 0.3, 0.9):
        assert an.srm_isotropic_baseline(2, eps) == pytest.approx(math.acos(eps) / math.pi,
                                                                  abs=1e-12)
    gen = torch.Generator().manual_seed(11)
    n = 200_000
    for d, eps in [(3, 0.5), (8, 0.75), (8, -0.3), (16, 0.4), (32, 0.4)]:
        x_hat = an.directions(torch.randn(n, d, generator=gen, dtype=torch.float64))
        estimate = (x_hat[:, 0] >= eps).double().mean().item()
        p = an.srm_isotropic_baseline(d, eps)
        assert abs(estimate - p) < 4 * math.sqrt(p * (1 - p) / n), (d, eps)
    assert an.srm_isotropic_baseline(3, 0.5) == pytest.approx(0.25, abs=1e-12)  # (1 − ε)/2
    widths = [an.srm_isotropic_baseline(d, 0.9) for d in (2, 4, 8, 16, 64)]
    assert all(a > b for a, b in zip(widths, widths[1:])) and widths[-1] < 1e-20


def test_epsilon_for_a_baseline_inverts_it():
    for d in (2, 8, 32, 256):
        for target in (0.3, 0.01, 1e-4):
            eps = an.srm_epsilon(d, target)
            assert 0 < eps < 1
            assert an.srm_isotropic_baseline(d, eps) == pytest.approx(target, rel=1e-9)
    with pytest.raises(ValueError, match="baseline"):
        an.srm_epsilon(8, 0.7)


# ---------------------------------------------------------------------------------------------
# PPPM
# ---------------------------------------------------------------------------------------------
def test_pppm_keeps_the_points_near_each_plane_in_its_coordinates():
    x = gaussian(3000, 6)
    x[:10] = 0.0
    points, plane = an.pppm(x, epsilon=0.8)
    pairs = an.planes(6)
    for p in (0, 7, 29):
        i, j = pairs[p]
        near = (x[:, [i, j]].norm(dim=1) >= 0.8 * x.norm(dim=1)) & (x.norm(dim=1) > 0)
        assert torch.equal(points[plane == p], x[near][:, [i, j]])
        swapped = pairs.index((j, i))
        assert torch.equal(points[plane == swapped], points[plane == p].flip(1))
    # the isotropic kept fraction per plane
    share = len(points) / (len(pairs) * 2990)
    f = an.pppm_isotropic_fraction(6, 0.8)
    assert f == pytest.approx((1 - 0.64) ** 2)
    assert abs(share - f) < 4 * math.sqrt(f * (1 - f) / 2990)
    # in the plane itself (d = 2) every non-zero point is kept
    flat, _ = an.pppm(gaussian(100, 2), epsilon=0.99)
    assert len(flat) == 200 and an.pppm_isotropic_fraction(2, 0.99) == 1.0


def test_pppm_epsilon_inverts_the_kept_fraction():
    for d in (3, 8, 16):
        for fraction in (0.5, 0.08, 1e-3):
            eps = an.pppm_epsilon(d, fraction)
            assert an.pppm_isotropic_fraction(d, eps) == pytest.approx(fraction, rel=1e-12)
    with pytest.raises(ValueError, match="d=2"):
        an.pppm_epsilon(2, 0.5)
    with pytest.raises(ValueError, match="fraction"):
        an.pppm_epsilon(8, 1.0)


def test_pppm_density_and_the_cloud_statistics():
    density, extent = an.pppm_density(torch.zeros(1, 2), extent=1.0, resolution=51)
    assert density.shape == (51, 51) and density[25, 25] == 1.0 and extent == 1.0
    assert torch.allclose(density, density.T) and torch.allclose(density, density.flip(0))
    skewed, _ = an.pppm_density(torch.tensor([[0.5, 0.0]]), extent=1.0, resolution=41)
    assert skewed[20].argmax() == 30  # rows are y, columns x
    ring = torch.stack([torch.cos(t := torch.linspace(0, 2 * math.pi, 7201, dtype=torch.float64)[:-1]), torch.sin(t)], 1)
    assert an.angular_entropy(ring) > 0.999
    assert abs(an.circular_harmonic(ring)) < 1e-9
    axes = torch.tensor([[1.0, 0], [0, 2.0], [-3.0, 0], [0, -1.0]])
    assert an.angular_entropy(axes) == pytest.approx(math.log(4) / math.log(72))
    assert an.circular_harmonic(axes) == pytest.approx(1.0)
    diagonals = torch.tensor([[1.0, 1], [-1, 1], [-1, -1], [1, -1]])
    assert an.circular_harmonic(diagonals) == pytest.approx(-1.0)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------
def test_bad_input_gets_a_clear_error():
    x = gaussian(20, 4)
    with pytest.raises(ValueError, match=r"basis must have shape \(k, 4\)"):
        an.srm(x, torch.eye(5))
    with pytest.raises(ValueError, match="parallel"):
        an.srm(x, torch.tensor([[1.0, 0, 0, 0], [2.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    with pytest.raises(ValueError, match="zero"):
        an.srm(x, torch.tensor([[1.0, 0, 0, 0], [0.0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="at least 2"):
        an.pppm(x, torch.eye(4)[:1])
    for eps in (1.0, -1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="epsilon"):
            an.srm(x, epsilon=eps)
        with pytest.raises(ValueError, match="epsilon"):
            an.srm_isotropic_baseline(4, eps)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        an.srm(torch.randn(10))
    with pytest.raises(ValueError, match="NaN"):
        an.srm(torch.full((3, 4), float("nan")))
    with pytest.raises(TypeError, match="tensor"):
        an.srm([[1.0, 2.0]])
    with pytest.raises(ValueError, match="num_angles"):
        an.srm(x, num_angles=1)
    with pytest.raises(ValueError, match="d=1"):
        an.srm_isotropic_baseline(1, 0.5)
    with pytest.raises(ValueError, match="srm_loop: epsilon"):
        an.srm_loop(x, epsilon=2)


def test_zero_rows_count_as_having_no_direction():
    x = gaussian(300, 5)
    padded = torch.cat([x, torch.zeros(100, 5, dtype=torch.float64)])
    for eps in (0.6, 0.0, -0.4):
        _, v = an.srm(x, epsilon=eps, num_angles=13)
        _, w = an.srm(padded, epsilon=eps, num_angles=13)
        inside_for_zero = 1.0 if eps <= 0 else 0.0  # x̂ = 0, so x̂ · s = 0 ≥ ε iff ε ≤ 0
        assert torch.allclose(w, (300 * v + 100 * inside_for_zero) / 400, atol=1e-15)
    kept, _ = an.pppm(padded, epsilon=0.0)
    assert len(kept) == 300 * 20  # zero rows are left out of PPPM


# ---------------------------------------------------------------------------------------------
# Training: full batch, SGD or Adam; gradient descent commutes with rotating a hidden layer
# ---------------------------------------------------------------------------------------------
def _rotated(net, q):
    """The same function with hidden layer 1's basis turned by q: W1 → qW1, b1 → qb1, W2 → W2qᵀ."""
    import copy

    turned = copy.deepcopy(net)
    with torch.no_grad():
        turned[0].weight.copy_(q @ net[0].weight)
        turned[0].bias.copy_(q @ net[0].bias)
        turned[2].weight.copy_(net[2].weight @ q.T)
    return turned


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_sgd_commutes_with_rotating_an_isotropic_layer_and_adam_does_not(loss):
    torch.manual_seed(0)
    x = torch.randn(64, 5, dtype=torch.float64)
    target = torch.randint(0, 3, (64,)) if loss == "cross_entropy" else x[:, :3]
    q = random_orthogonal(1, 6, torch.Generator().manual_seed(2))[0]
    gaps = {}
    for optimizer in ("sgd", "adam"):
        net = planar.mlp("iso_tanh", 5, hidden=(6, 4), classes=3).double()
        turned = _rotated(net, q)
        planar.train_full_batch(net, x, target, steps=100, lr=0.05, optimizer=optimizer, loss=loss)
        planar.train_full_batch(turned, x, target, steps=100, lr=0.05, optimizer=optimizer,
                                loss=loss)
        h, h_turned = planar.hidden_states(net, x)[1], planar.hidden_states(turned, x)[1]
        gaps[optimizer] = (h_turned - h @ q.T).abs().max().item()
    assert gaps["sgd"] < 1e-10  # the trained layer is the rotated trained layer
    assert gaps["adam"] > 1e-3  # Adam's per-coordinate scaling breaks the symmetry


def test_train_full_batch_trains_a_stack_like_its_networks():
    x = torch.randn(40, 4)
    models = []
    for s in range(3):
        torch.manual_seed(s)
        models.append(planar.mlp("tanh", 4, hidden=(5, 2, 5), classes=4))
    stacked = planar.stack(models)
    losses = planar.train_full_batch(stacked, x, x, steps=30, lr=0.1, optimizer="sgd", loss="mse")
    for i, model in enumerate(models):
        alone = planar.train_full_batch(model, x, x, steps=30, lr=0.1, optimizer="sgd",
                                        loss="mse")
        assert losses[i].item() == pytest.approx(alone.item(), rel=1e-4)
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        planar.train_full_batch(models[0], x, x, optimizer="rmsprop")
    with pytest.raises(ValueError, match="loss='l1'"):
        planar.train_full_batch(models[0], x, x, loss="l1")
    with pytest.raises(ValueError, match="steps"):
        planar.train_full_batch(models[0], x, x, steps=0)
