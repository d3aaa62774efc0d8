"""Networks with 2-D hidden layers: a stack of k networks computes and trains exactly like the k
networks, snapshots record training, and the measures of a 2-D representation give the known
answers on constructed inputs."""

import copy
import math

import matplotlib.pyplot as plt
import pytest
import torch
from IPython.display import HTML

from isolearn import planar, seed, viz
from isolearn.activations import NAMES, isotropic_tanh
from isolearn.data import toy2d


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks: one thread is much faster than several on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def seeded(act, k, **kwargs):
    models = []
    for s in range(k):
        seed(s)
        models.append(planar.mlp(act, **kwargs))
    return models


def test_mlp_layout_and_hidden_states():
    model = planar.mlp("iso_tanh", in_features=5, hidden=(4, 2), classes=3)
    assert [type(m).__name__ for m in model] == ["Linear", "IsoTanh", "Linear", "IsoTanh", "Linear"]
    assert model(torch.randn(7, 5)).shape == (7, 3)
    states = planar.hidden_states(model, torch.randn(7, 5))
    assert [tuple(s.shape) for s in states] == [(7, 5), (7, 4), (7, 2)]
    assert all(m.bias is None for m in planar.mlp("tanh", bias=False)[::2])
    with pytest.raises(ValueError, match="act='gelu'"):
        planar.mlp("gelu")
    with pytest.raises(ValueError, match="hidden"):
        planar.mlp("tanh", hidden=())


@pytest.mark.parametrize("act", NAMES)
def test_a_stack_computes_what_its_networks_compute(act):
    models = seeded(act, 3, hidden=(3, 2), classes=3)
    stacked = planar.stack(models)
    x = torch.randn(20, 2)
    with torch.no_grad():
        out = stacked(x)  # (3, 20, 3)
        for i, model in enumerate(models):
            torch.testing.assert_close(out[i], model(x))
    states = planar.hidden_states(stacked, x)
    assert [tuple(s.shape) for s in states] == [(20, 2), (3, 20, 3), (3, 20, 2)]


@pytest.mark.parametrize("act", ["tanh", "iso_relu", "intrinsic_tanh"])
def test_training_a_stack_equals_training_each_network(act):
    x, y = toy2d("moons", n=64, seed=0).tensors
    models = seeded(act, 3, hidden=(2, 2))
    alone = [copy.deepcopy(m) for m in models]
    stacked = planar.stack(models)
    snaps = planar.train_snapshots(stacked, x, y, steps=30, lr=0.05, frames=4)
    planar.unstack(stacked, models)
    for model, single in zip(models, alone):
        planar.train_snapshots(single, x, y, steps=30, lr=0.05, frames=1)
        for a, b in zip(model.parameters(), single.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(snaps[-1].accuracy, planar.accuracy(stacked, x, y))
    torch.testing.assert_close(planar.accuracy(models[1], x, y), snaps[-1].accuracy[1])


def test_loss_is_cross_entropy_per_network():
    gen = torch.Generator().manual_seed(5)
    logits = 30 * torch.randn(3, 50, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(4, (50,), generator=gen)
    expected = torch.stack([torch.nn.functional.cross_entropy(l, y) for l in logits])
    torch.testing.assert_close(planar._loss(logits, y), expected)
    torch.testing.assert_close(planar._loss(logits[1], y), expected[1])  # one network: ()
    grad, = torch.autograd.grad(planar._loss(logits, y).sum(), logits)
    reference, = torch.autograd.grad(expected.sum(), logits)
    torch.testing.assert_close(grad, reference)
    huge = torch.tensor([[1e4, 0.0]])  # exp(1e4) overflows; the shifted form does not
    assert planar._loss(huge, torch.tensor([1])).item() == pytest.approx(1e4)


def test_snapshots_record_training():
    x, y = toy2d("moons", n=128, seed=0).tensors
    seed(0)
    model = planar.mlp("tanh", hidden=(2, 2))
    probe = torch.cat([planar.grid_lines(2.0, 5, 7).reshape(-1, 2), x])
    snaps = planar.train_snapshots(model, x, y, steps=80, lr=0.05, frames=5, probe=probe)
    assert [s.step for s in snaps] == [0, 20, 40, 60, 80]
    assert snaps[-1].loss < snaps[0].loss and snaps[-1].accuracy.dim() == 0
    assert [tuple(h.shape) for h in snaps[0].states] == [(198, 2)] * 3
    # the head is a copy as it was then, not the trained layer
    assert not torch.equal(snaps[0].head.weight, model[-1].weight)
    torch.testing.assert_close(snaps[-1].head.weight, model[-1].weight)
    assert planar.train_snapshots(model, x, y, steps=3, frames=0) == []
    with pytest.raises(ValueError, match="frames=-1"):
        planar.train_snapshots(model, x, y, steps=10, frames=-1)
    with pytest.raises(ValueError, match="steps=0"):
        planar.train_snapshots(model, x, y, steps=0)


def test_grid_and_circle():
    grid = planar.grid_lines(2.0, lines=3, points=5)
    assert grid.shape == (6, 5, 2)
    torch.testing.assert_close(grid[0, :, 0], torch.full((5,), -2.0))  # a vertical line
    torch.testing.assert_close(grid[3, :, 1], torch.full((5,), -2.0))  # a horizontal line
    ring = planar.circle(1.5, 50)
    torch.testing.assert_close(ring.norm(dim=1), torch.full((50,), 1.5))


def test_evenness_known_answers():
    k = 10
    even = torch.arange(k) * 2 * math.pi / k + 0.3
    assert planar.angular_evenness(even) == pytest.approx(1.0)
    assert planar.angular_evenness(torch.full((k,), 1.2)) == pytest.approx(0.0, abs=1e-12)
    # two pairs of opposite directions: gaps 0, π, 0, π; U = π of at most 3π/2
    assert planar.angular_evenness(torch.tensor([0.0, 0.0, math.pi, math.pi])) == pytest.approx(1 / 3)
    # K directions spread evenly over a quarter turn (the most a ReLU layer allows)
    quarter = torch.arange(k) * (math.pi / 2) / (k - 1)
    assert planar.angular_evenness(quarter) == pytest.approx(1 - 1.3 / 1.8)
    # rotating and relabelling changes nothing
    angles = torch.rand(k) * 6
    assert planar.angular_evenness(angles + 2.0) == pytest.approx(planar.angular_evenness(angles))
    assert planar.angular_evenness(angles.flip(0)) == pytest.approx(planar.angular_evenness(angles))
    with pytest.raises(ValueError, match="at least 2"):
        planar.angular_evenness(torch.tensor([1.0]))


def test_class_directions_and_direction_accuracy():
    gen = torch.Generator().manual_seed(0)
    k, n = 4, 50
    true = torch.tensor([0.1, 1.7, 3.0, -2.0])
    y = torch.arange(k).repeat_interleave(n)
    lengths = torch.rand(k * n, generator=gen) + 0.5
    h = lengths[:, None] * torch.stack([true[y].cos(), true[y].sin()], dim=1)  # on 4 rays
    angles, strength = planar.class_directions(h, y)
    torch.testing.assert_close(angles, true.double())
    torch.testing.assert_close(strength, torch.ones(k, dtype=torch.float64))
    assert planar.direction_accuracy(h, y) == 1.0
    # class 2 moved to the origin: no direction, strength 0, its points count as wrong
    h[y == 2] = 0.0
    _, strength = planar.class_directions(h, y)
    assert strength[2] == 0.0 and planar.direction_accuracy(h, y) == pytest.approx(0.75)
    # a class spread evenly around the circle has strength ~0
    t = torch.arange(40, dtype=torch.float64) * 2 * math.pi / 40
    ring, zeros = torch.stack([t.cos(), t.sin()], 1), torch.zeros(40, dtype=torch.long)
    assert planar.class_directions(ring, zeros)[1] < 1e-12
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        planar.class_directions(torch.zeros(5, 3), torch.zeros(5, dtype=torch.long))


def test_collapsed_fraction_known_answer():
    gen = torch.Generator().manual_seed(1)
    h = torch.randn(1000, 2, generator=gen)
    h = 3 * h / h.norm(dim=1, keepdim=True)  # all at length 3
    h[:300] *= 1e-3  # 30 % near the origin
    assert planar.collapsed_fraction(h) == pytest.approx(0.3)
    assert planar.collapsed_fraction(h * 1e6) == pytest.approx(0.3)  # scale-free
    assert planar.collapsed_fraction(torch.randn(500, 2, generator=gen) + 10) == 0.0
    with pytest.raises(ValueError, match="radius=2"):
        planar.collapsed_fraction(h, radius=2)


def test_figures_and_animation():
    fig = viz.plane_maps({"tanh": torch.tanh, "isotropic tanh": isotropic_tanh}, lines=5)
    assert [ax.get_title() for ax in fig.axes] == ["input plane", "tanh", "isotropic tanh"]
    for ax in fig.axes[1:]:
        assert ax.get_xlim()[1] < 1.2  # both squash into the unit square
    y = torch.arange(3).repeat(10)
    fig = viz.class_scatter({"a": torch.randn(30, 2)}, y,
                            directions={"a": (torch.zeros(3), torch.ones(3))})
    assert fig.axes[0].get_title() == "a" and len(fig.axes[0].collections) == 3
    plt.close("all")
    x, labels = toy2d("moons", n=40, seed=0).tensors
    probe = torch.cat([planar.grid_lines(2.0, 3, 4).reshape(-1, 2), x])
    runs = {act: planar.train_snapshots(planar.stack(seeded(act, 2, hidden=(2, 2))), x, labels,
                                        steps=6, frames=3, probe=probe)
            for act in ("tanh", "iso_tanh")}
    html = viz.warp_animation(runs, labels, (6, 4))
    assert isinstance(html, HTML) and "data:image/webp;base64," in html.data
    assert len(plt.get_fignums()) == 0


def test_spiral_winding():
    default = toy2d("spirals", n=60, classes=3, seed=2)[:][0]
    torch.testing.assert_close(toy2d("spirals", n=60, classes=3, seed=2, winding=3.0)[:][0], default)
    x, y = toy2d("spirals", n=60, classes=3, noise=0.0, winding=0.0).tensors
    angles = torch.atan2(x[:, 1], x[:, 0])  # straight rays at 0, 2π/3, -2π/3
    expected = torch.remainder(2 * math.pi * y / 3 + math.pi, 2 * math.pi) - math.pi
    torch.testing.assert_close(angles, expected.float(), atol=1e-5, rtol=0)
