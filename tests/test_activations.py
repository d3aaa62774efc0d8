"""Isotropic activations equal their definitions, are exact and smooth at the origin, commute with
rotations (elementwise ones only with permutations), and bad input fails with a clear message."""

import copy
import math

import pytest
import torch
import torch.nn as nn
from torch.autograd import gradcheck

from isolearn import activations as A
from isolearn.planar import mlp
from isolearn.widgets import RotationExplorer, letter_f, rotation

ISOTROPIC = {  # name: (fast version, its definition σ(‖x‖) x/‖x‖ written out)
    "iso_tanh": (A.isotropic_tanh, lambda x, dim: A.isotropic_naive(x, torch.tanh, dim)),
    "iso_relu": (lambda x, dim: A.isotropic_relu(x, 0.3, dim),
                 lambda x, dim: A.isotropic_naive(x, lambda r: torch.relu(r - 0.3), dim)),
    "intrinsic_tanh": (lambda x, dim: A.intrinsic_tanh(x, 0.7, dim),
                       lambda x, dim: (torch.tanh(torch.sqrt(0.7 + (x * x).sum(dim, keepdim=True)))
                                       / torch.sqrt(0.7 + (x * x).sum(dim, keepdim=True)) * x)),
}
SCALES = [0.0, 1e-300, 1e-30, 1e-20, 1e-12, 1e-8, 1e-5, 1e-3, 0.05, 1.0, 30.0]


@pytest.mark.parametrize("name", ISOTROPIC)
@pytest.mark.parametrize("shape, dim", [((7, 5), -1), ((2, 6, 4), -1), ((2, 3, 4, 4), 1)])
def test_fast_versions_equal_the_definition(name, shape, dim):
    fast, definition = ISOTROPIC[name]
    x = 2 * torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(fast(x, dim), definition(x, dim))


def test_acting_over_an_axis_is_acting_on_each_feature_vector():
    # x: (b, c, h, w): the feature vectors run along c
    x = torch.randn(2, 3, 5, 4, generator=torch.Generator().manual_seed(8))
    moved = A.isotropic_tanh(x.movedim(1, -1)).movedim(-1, 1)
    torch.testing.assert_close(A.isotropic_tanh(x, dim=1), moved)
    torch.testing.assert_close(A.IsoTanh(dim=1)(x), moved)
    # each pixel's channel vector keeps its direction and gets length tanh(length)
    norms = x.norm(dim=1)
    torch.testing.assert_close(A.isotropic_tanh(x, dim=1).norm(dim=1), torch.tanh(norms))


@pytest.mark.parametrize("name", ISOTROPIC)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exact_at_zero_and_finite_nearby(name, dtype):
    fast, _ = ISOTROPIC[name]
    zero = torch.zeros(3, 4, dtype=dtype)
    assert torch.equal(fast(zero, -1), zero)  # f(0) = 0 exactly
    gen = torch.Generator().manual_seed(2)
    for scale in SCALES:
        x = (scale * torch.randn(5, 4, generator=gen, dtype=torch.float64)).to(dtype)
        x.requires_grad_(True)
        y = fast(x, -1)
        (y * torch.randn(y.shape, generator=gen, dtype=dtype)).sum().backward()
        assert torch.isfinite(y).all() and torch.isfinite(x.grad).all(), f"scale {scale}"


@pytest.mark.parametrize("name", ISOTROPIC)
def test_gradcheck_in_float64_at_and_near_zero(name):
    fast, _ = ISOTROPIC[name]
    gen = torch.Generator().manual_seed(3)
    for scale in [0.0, 1e-12, 1e-8, 1e-5, 1e-3, 0.1, 1.0]:
        x = (scale * torch.randn(3, 4, generator=gen, dtype=torch.float64)).requires_grad_(True)
        assert gradcheck(lambda v: fast(v, -1), (x,), eps=1e-9 if scale < 1e-3 else 1e-6,
                         atol=1e-6), f"scale {scale}"


def test_gradcheck_through_the_learnable_parameters():
    x = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    o = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda o: A.intrinsic_tanh(x, o), (o,))
    assert gradcheck(lambda b: A.isotropic_relu(3 * x, b), (b,))


def test_jacobian_at_the_origin():
    eye = torch.eye(3, dtype=torch.float64)
    at_zero = lambda f: torch.autograd.functional.jacobian(f, torch.zeros(3, dtype=torch.float64))
    torch.testing.assert_close(at_zero(A.isotropic_tanh), eye)  # tanh r / r -> 1
    torch.testing.assert_close(at_zero(lambda v: A.isotropic_relu(v, 0.0)), eye)  # identity
    torch.testing.assert_close(at_zero(lambda v: A.isotropic_relu(v, 0.5)), 0 * eye)  # flat
    gain = math.tanh(math.sqrt(0.5)) / math.sqrt(0.5)
    torch.testing.assert_close(at_zero(lambda v: A.intrinsic_tanh(v, 0.5)), gain * eye)


def test_tanh_gain_is_smooth_where_the_series_takes_over():
    for dtype in (torch.float32, torch.float64):
        s0 = torch.finfo(dtype).eps ** 0.5
        s = torch.tensor([s0 * 0.999, s0 * 1.001, 0.0, 1e-3, 0.5, 4.0], dtype=dtype)
        r = s.double().sqrt()
        exact = torch.where(r > 0, torch.tanh(r) / r.clamp_min(1e-300), torch.ones_like(r))
        torch.testing.assert_close(A.tanh_gain(s).double(), exact, rtol=2 * torch.finfo(dtype).eps,
                                   atol=0)
        # the derivative -1/3 + 4s/15 - ... on both sides of s0 agrees with its series
        s = torch.tensor([s0 * 0.99, s0 * 1.01], dtype=torch.float64, requires_grad=True)
        A.tanh_gain(s).sum().backward()
        torch.testing.assert_close(s.grad, -1 / 3 + 4 * s.detach() / 15, rtol=1e-6, atol=0)


def test_relu_of_the_length_is_the_identity():
    x = torch.randn(50, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(A.isotropic_naive(x, torch.relu), x)  # ReLU(‖x‖) x/‖x‖ = x
    assert torch.equal(A.isotropic_relu(x, 0.0), x)


def test_thresholded_relu_zeroes_the_ball_and_shortens_the_rest():
    x = torch.randn(400, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(10))
    y = A.isotropic_relu(x, 0.8)
    inside = x.norm(dim=1) < 0.8
    assert 0 < inside.sum() < 400 and torch.equal(y[inside], torch.zeros_like(y[inside]))
    torch.testing.assert_close(y[~inside].norm(dim=1), x[~inside].norm(dim=1) - 0.8)
    cosine = torch.cosine_similarity(y[~inside], x[~inside], dim=1)
    torch.testing.assert_close(cosine, torch.ones_like(cosine))


def test_intrinsic_length_interpolates():
    x = 3 * torch.randn(100, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(11))
    assert (A.intrinsic_tanh(x, 1.0).norm(dim=1) < 1).all()
    torch.testing.assert_close(A.intrinsic_tanh(x, 1e-12), A.isotropic_tanh(x), atol=1e-10, rtol=0)
    layer = A.IntrinsicTanh(o=0.5)
    assert torch.isclose(layer.o, torch.tensor(0.5))
    layer(x.float()).sum().backward()
    assert layer.log_o.grad is not None and layer.log_o.grad != 0
    assert "o=0.5" in repr(layer)


def test_modules_and_factory():
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(6))
    for name in A.NAMES:
        layer = A.activation(name)
        assert isinstance(layer, nn.Module) and A.is_activation(layer)
        assert layer(x).shape == x.shape
    assert torch.equal(A.activation("iso_tanh")(x), A.isotropic_tanh(x))
    torch.testing.assert_close(A.activation("iso_relu", threshold=0.2)(x), A.isotropic_relu(x, 0.2))
    learnable = A.activation("iso_relu", threshold=0.2, learnable=True)
    assert [p.item() for p in learnable.parameters()] == [pytest.approx(0.2)]
    assert list(A.activation("intrinsic_tanh", learnable=False).parameters()) == []
    assert not A.is_activation(nn.Linear(2, 2))


@pytest.mark.parametrize("call, words", [
    (lambda: A.activation("gelu"), ["name='gelu'", "iso_tanh"]),
    (lambda: A.activation("tanh", threshold=1.0), ["'tanh' takes no options"]),
    (lambda: A.isotropic_tanh(torch.zeros(3, 2), dim=2), ["dim=2", "(3, 2)"]),
    (lambda: A.isotropic_relu(torch.zeros(3, 2), threshold=-0.1), ["threshold=-0.1", ">= 0"]),
    (lambda: A.IsoReLU(threshold=-1.0), ["threshold=-1.0"]),
    (lambda: A.intrinsic_tanh(torch.zeros(3, 2), o=0.0), ["o=0.0", "> 0"]),
    (lambda: A.IntrinsicTanh(o=-2.0), ["o=-2.0"]),
    (lambda: A.IsoTanh(dim="c"), ["dim='c'"]),
    (lambda: A.equivariance_error(torch.tanh, group="scaling"), ["group='scaling'", "rotation"]),
    (lambda: A.equivariance_error(torch.tanh, dim=1), ["dim=1", ">= 2"]),
    (lambda: A.equivariance_error(torch.tanh, n=0), ["n=0"]),
])
def test_bad_input_names_the_parameter(call, words):
    with pytest.raises(ValueError) as error:
        call()
    for word in words:
        assert word in str(error.value)


def test_random_group_elements():
    gen = torch.Generator().manual_seed(0)
    q = A.random_orthogonal(200, 5, gen)
    eye = torch.eye(5, dtype=torch.float64).expand(200, 5, 5)
    torch.testing.assert_close(q.transpose(1, 2) @ q, eye)
    torch.testing.assert_close(torch.linalg.det(q), torch.ones(200, dtype=torch.float64))
    dets = torch.linalg.det(A.random_orthogonal(200, 5, gen, rotation=False))
    assert (dets > 0).any() and (dets < 0).any()  # reflections too
    p = A.random_permutation(50, 6, gen)
    assert set(p.unique().tolist()) == {0.0, 1.0}
    assert (p.sum(1) == 1).all() and (p.sum(2) == 1).all()


@pytest.mark.parametrize("group", A.GROUPS)
@pytest.mark.parametrize("f", [A.isotropic_tanh, A.IsoReLU(0.5), A.IntrinsicTanh(0.3)],
                         ids=["iso_tanh", "iso_relu", "intrinsic_tanh"])
def test_isotropic_activations_commute_with_every_group_element(group, f):
    assert A.equivariance_error(f, group, dim=6, n=300) < 1e-12


def test_elementwise_activations_commute_with_permutations_only():
    for f in (torch.tanh, torch.relu):
        assert A.equivariance_error(f, "permutation") == 0.0
        assert A.equivariance_error(f, "rotation") > 1e-2
        assert A.equivariance_error(f, "orthogonal") > 1e-2


def test_bias_free_isotropic_network_is_a_rescaled_linear_map():
    torch.manual_seed(0)
    x = torch.randn(500, 6, dtype=torch.float64)
    for act in ("iso_tanh", "intrinsic_tanh", "iso_relu"):
        net = mlp(act, 6, (8, 8, 8), 4, bias=False).double()
        linear = torch.linalg.multi_dot([l.weight for l in reversed(net[::2])])  # (4, 6)
        with torch.no_grad():
            out, reference = net(x), x @ linear.T  # (500, 4) each
        c = (out * reference).sum(1) / (reference * reference).sum(1)  # best scalar per input
        torch.testing.assert_close(out, c[:, None] * reference)
        assert (c >= 0).all()
        alive = c > 0
        assert (out[alive].argmax(1) == reference[alive].argmax(1)).all()
        if act != "iso_relu":
            assert alive.all()


def test_rotation_explorer_static_and_live():
    explorer = RotationExplorer()
    assert letter_f().shape == (3, 40, 2)
    torch.testing.assert_close(rotation(90) @ torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))
    for name in ("isotropic tanh", "isotropic ReLU"):
        assert max(explorer.gap(name, a) for a in range(0, 360, 15)) < 1e-5
    assert explorer.gap("tanh", 30) > 0.1 and explorer.gap("ReLU", 30) > 0.1
    assert explorer.gap("tanh", 90) < 1e-6  # a quarter turn only permutes and flips signs
    assert explorer.gap("ReLU", 90) > 0.1   # ... and ReLU is not odd
    fig = explorer.figure()
    assert len(fig.axes) == 3 * 4 and fig.axes[0].get_title().startswith("tanh")
    box = explorer.widget()
    slider = box.children[0].children[0]
    assert slider.value == explorer.degrees == 30
    slider.value = 45
    assert explorer.degrees == 45


def test_exercise_checker_explains_nan_at_the_origin():
    from isolearn.exercises import check

    def naive(x):  # the textbook formula: 0/0 at the origin
        r = x.norm(dim=-1, keepdim=True)
        return torch.tanh(r) * x / r

    verdict = check("iso_tanh", naive)
    assert verdict.status == "failed" and "NaN or inf" in verdict.detail
    assert "zero vectors" in verdict.detail


def test_block_isotropic_tanh_interpolates_between_elementwise_and_isotropic():
    x = 2 * torch.randn(6, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    torch.testing.assert_close(A.block_isotropic_tanh(x, 1), torch.tanh(x))  # blocks of 1 ...
    torch.testing.assert_close(A.isotropic_tanh(x[..., None])[..., 0], torch.tanh(x))  # ... are
    torch.testing.assert_close(A.block_isotropic_tanh(x, 8), A.isotropic_tanh(x))  # one block
    pairs = A.block_isotropic_tanh(x, 2).reshape(6, 4, 2)  # each pair squashed on its own
    torch.testing.assert_close(pairs, A.isotropic_tanh(x.reshape(6, 4, 2)))
    # feature maps (b, c, h, w): blocks of channels at every pixel
    maps = torch.randn(2, 6, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    moved = A.block_isotropic_tanh(maps.movedim(1, -1), 3).movedim(-1, 1)
    torch.testing.assert_close(A.BlockIsoTanh(3, dim=1)(maps), moved)
    # it commutes with a rotation of one block, and not with a rotation mixing two blocks
    q = A.random_orthogonal(1, 2, torch.Generator().manual_seed(2))[0]
    within = torch.block_diag(q, torch.eye(6, dtype=torch.float64))
    torch.testing.assert_close(A.block_isotropic_tanh(x @ within.T, 2),
                               A.block_isotropic_tanh(x, 2) @ within.T)
    across = torch.eye(8, dtype=torch.float64)
    across[1:3, 1:3] = q  # units 1 and 2 belong to different blocks
    gap = A.block_isotropic_tanh(x @ across.T, 2) - A.block_isotropic_tanh(x, 2) @ across.T
    assert gap.abs().max() > 1e-2
    assert A.is_activation(A.BlockIsoTanh(2)) and "block=2" in repr(A.BlockIsoTanh(2))
    with pytest.raises(ValueError, match="block=3"):
        A.block_isotropic_tanh(x, 3)
    with pytest.raises(ValueError, match="block=0"):
        A.BlockIsoTanh(0)


def test_reference_isotropic_tanh_is_ours_except_for_its_ball():
    gen = torch.Generator().manual_seed(13)
    x = torch.randn(500, 3, dtype=torch.float64, generator=gen)
    x = x * 10 ** (4 * torch.rand(500, 1, generator=gen, dtype=torch.float64) - 3)  # 1e-3 .. 10
    ours, reference = A.isotropic_tanh(x), A.reference_isotropic_tanh(x)
    outside = x.norm(dim=1) > 1e-2
    assert 0 < outside.sum() < 500
    torch.testing.assert_close(reference[outside], ours[outside], rtol=1e-12, atol=0)
    assert torch.equal(reference[~outside], x[~outside])  # the identity inside the ball
    # the gain jumps by 1 - tanh(eps)/eps ~ eps^2/3 at the ball's edge; ours is continuous
    eps = 1e-2
    edge = torch.tensor([[eps, 0.0], [eps * (1 + 1e-9), 0.0]], dtype=torch.float64)
    gains = A.reference_isotropic_tanh(edge)[:, 0] / edge[:, 0]  # (2,): inside, just outside
    jump = gains[0] - gains[1]
    assert jump.item() == pytest.approx(1 - math.tanh(eps) / eps, rel=1e-6)
    assert jump.item() == pytest.approx(eps ** 2 / 3, rel=1e-3)
    smooth = A.isotropic_tanh(edge)[:, 0] / edge[:, 0]
    assert abs(smooth[0] - smooth[1]) < 1e-12


def test_reference_intrinsic_gain_is_our_gain_of_o_plus_the_squared_length():
    gen = torch.Generator().manual_seed(14)
    x = 2 * torch.randn(300, 4, dtype=torch.float64, generator=gen)
    for o in (A.INTRINSIC_LENGTH_INIT, 0.3, 2.0):
        s = (x * x).sum(1, keepdim=True)
        torch.testing.assert_close(A.reference_intrinsic_gain(x, o), A.tanh_gain(o + s))
        torch.testing.assert_close(A.reference_intrinsic_gain(x, o) * x, A.intrinsic_tanh(x, o))
    # the small ball m <= 1e-3: gain 1 for tiny o (Bird's "factor" only applies for |o| > 0.01)
    tiny = torch.full((2, 4), 1e-5, dtype=torch.float64)
    assert torch.equal(A.reference_intrinsic_gain(tiny, 1e-7), torch.ones(2, 1, dtype=torch.float64))
    # Bird's start o = 1e-6 is isotropic tanh to within o/3 in the gain
    o = A.INTRINSIC_LENGTH_INIT
    assert (A.reference_intrinsic_gain(x, o) - A.tanh_gain(s)).abs().max() <= o / 3


def _bird_by_hand(net, x):
    """Bird's forward pass written out with this module's intrinsic_tanh, layer by layer."""
    lin, o, psi = net.linears, net.o, net.psi
    z = lin[0](x)
    for l in range(1, len(lin)):
        length = torch.sqrt(o[l - 1] + (z * z).sum(1, keepdim=True))
        gain = torch.tanh(length) / length
        a = A.intrinsic_tanh(z, o[l - 1])
        torch.testing.assert_close(a, gain * z)
        z = lin[l](a) + gain * psi[l - 1]
    return z


def test_isotropic_mlp_follows_birds_equations():
    torch.manual_seed(0)
    net = A.IsotropicMLP(3, (5, 4), 2, o=0.2).double()
    with torch.no_grad():
        for p in net.psi:
            p.normal_()  # ψ starts at 0; give it values so that the test can see it
        net.log_o.copy_(torch.tensor([0.2, 1.5]).log())
    x = torch.randn(50, 3, dtype=torch.float64)
    torch.testing.assert_close(net(x), _bird_by_hand(net, x))
    assert [tuple(z.shape) + tuple(g.shape) for z, g in net.layers(x)] == [(50, 5, 50, 1),
                                                                          (50, 4, 50, 1)]
    # its layer symmetry: W_l -> Q W_l, b_l -> Q b_l, ψ_{l-1} -> Q ψ_{l-1}, W_{l+1} -> W_{l+1} Qᵀ
    q = A.random_orthogonal(1, 5, torch.Generator().manual_seed(3), rotation=False)[0]
    turned = copy.deepcopy(net)
    with torch.no_grad():
        turned.linears[0].weight.copy_(q @ net.linears[0].weight)
        turned.linears[0].bias.copy_(q @ net.linears[0].bias)
        turned.linears[1].weight.copy_(net.linears[1].weight @ q.T)
    torch.testing.assert_close(turned(x), net(x))


def test_isotropic_mlp_at_birds_start_is_an_isotropic_tanh_network():
    torch.manual_seed(1)
    bird = A.IsotropicMLP(2, (6, 6), 3)  # o = 1e-6, ψ = 0: Bird's start
    assert torch.allclose(bird.o, torch.tensor(A.INTRINSIC_LENGTH_INIT))
    assert all((p == 0).all() for p in bird.psi)
    plain = mlp("iso_tanh", 2, (6, 6), 3)
    for target, source in zip(plain[::2], bird.linears):
        target.load_state_dict(source.state_dict())
    x = torch.randn(100, 2)
    with torch.no_grad():
        torch.testing.assert_close(bird(x), plain(x), atol=1e-5, rtol=1e-5)
    (bird(x) ** 2).sum().backward()  # o and ψ learn by default
    assert bird.log_o.grad is not None and bird.psi[0].grad.abs().sum() > 0
    orthogonal = A.IsotropicMLP(4, (4,), 2, init="orthogonal", learn_o=False, learn_psi=False)
    w = orthogonal.linears[0].weight
    torch.testing.assert_close(w @ w.T, torch.eye(4), atol=1e-6, rtol=0)
    assert (orthogonal.linears[0].bias == 0).all()
    assert not orthogonal.log_o.requires_grad and not orthogonal.psi[0].requires_grad
    for kwargs, word in [(dict(hidden=()), "hidden"), (dict(hidden=(2,), o=0.0), "o=0.0"),
                         (dict(hidden=(2,), init="xavier"), "init='xavier'")]:
        with pytest.raises(ValueError, match=word.replace("(", "\\(")):
            A.IsotropicMLP(2, classes=2, **kwargs)
