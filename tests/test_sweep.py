"""Seed sweeps: a seeded stack starts and trains like its networks alone, the trace records what
training did, and the direction-only ablation changes nothing for a saturated isotropic layer."""

import copy

import pytest
import torch

from isolearn import planar, seed, sweep
from isolearn.data import toy2d
from test_planar import one_thread  # noqa: F401  (tiny networks: one thread)


def build():
    return planar.mlp("iso_tanh", 2, hidden=(2, 2), classes=2)


def test_seeded_stack_starts_as_each_seed_alone():
    stacked = sweep.seeded(build, [3, 7])
    seed(7)
    alone = build()
    x = torch.randn(10, 2)
    with torch.no_grad():
        torch.testing.assert_close(stacked(x)[1], alone(x))
    with pytest.raises(ValueError, match="seeds is empty"):
        sweep.seeded(build, [])


def test_trace_follows_the_same_training_as_train_snapshots():
    x, y = toy2d("moons", n=80, seed=0).tensors
    test = toy2d("moons", n=80, seed=1).tensors
    a, b = sweep.seeded(build, range(3)), sweep.seeded(build, range(3))
    probe = torch.cat([planar.grid_lines(2.0, 3, 4).reshape(-1, 2), x])
    trace = sweep.train_trace(a, x, y, steps=40, lr=0.05, every=15, test=test,
                              frames_at=[0, 40], probe=probe)
    snaps = planar.train_snapshots(b, x, y, steps=40, lr=0.05, frames=2, probe=probe)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    assert trace.steps.tolist() == [0, 15, 30, 40]
    assert trace.loss.shape == trace.accuracy.shape == trace.test_accuracy.shape == (4, 3)
    assert trace.lengths.shape == (4, 2, 3)  # two hidden layers, three networks
    torch.testing.assert_close(trace.accuracy[-1], snaps[-1].accuracy)
    torch.testing.assert_close(trace.test_accuracy[-1], planar.accuracy(a, *test))
    with torch.no_grad():
        z1 = a[0](x)  # (3, 80, 2)
    torch.testing.assert_close(trace.lengths[-1, 0], z1.norm(dim=-1).median(-1).values)
    assert [s.step for s in trace.snapshots] == [0, 40]
    torch.testing.assert_close(trace.snapshots[-1].states[-1], snaps[-1].states[-1])
    assert trace.loss[-1].mean() < trace.loss[0].mean()
    for kwargs, word in [(dict(steps=0), "steps=0"), (dict(steps=5, every=0), "every=0"),
                         (dict(steps=5, frames_at=[6]), "frames_at")]:
        with pytest.raises(ValueError, match=word):
            sweep.train_trace(a, x, y, **kwargs)


def test_solved_and_first_solved():
    trace = sweep.Trace(steps=torch.tensor([0, 10, 20]),
                        loss=torch.zeros(3, 3),
                        accuracy=torch.tensor([[0.5, 0.5, 0.5], [0.9, 0.99, 0.5],
                                               [0.99, 0.99, 0.5]]),
                        test_accuracy=torch.tensor([[0.5, 0.5, 0.5], [0.9, 0.99, 0.5],
                                                    [0.95, 0.99, 0.5]]),
                        lengths=torch.zeros(3, 1, 3))
    assert trace.solved().tolist() == [[False] * 3, [False, True, False], [False, True, False]]
    assert trace.first_solved().tolist() == [-1, 10, -1]
    assert trace.first_solved(threshold=0.9).tolist() == [20, 10, -1]


def test_direction_only_ablation():
    x, y = toy2d("moons", n=200, seed=0).tensors
    nets = sweep.seeded(build, range(2))
    planar.train_snapshots(nets, x, y, steps=100, lr=0.05, frames=0)
    saturated = copy.deepcopy(nets)
    with torch.no_grad():  # lengths x 1000: tanh of the length is 1, the layer is z/|z|
        saturated[0].weight.mul_(1000)
        saturated[0].bias.mul_(1000)
    torch.testing.assert_close(sweep.direction_only_accuracy(saturated, x, y),
                               planar.accuracy(saturated, x, y))
    # an unsaturated layer: the ablation is a different network
    with torch.no_grad():
        nets[0].weight.mul_(1e-3)
        nets[0].bias.mul_(1e-3)
    ablated = sweep.direction_only_accuracy(nets, x, y)
    assert ablated.shape == (2,)
    h = nets[0](x)
    assert not torch.allclose(nets[1](h), h / h.norm(dim=-1, keepdim=True))
    assert sweep.direction_only_accuracy(nets, x, y, layer=1).shape == (2,)
    with pytest.raises(ValueError, match="layer=2"):
        sweep.direction_only_accuracy(nets, x, y, layer=2)


def test_member_snapshots_are_one_network_alone():
    x, y = toy2d("moons", n=60, seed=0).tensors
    stacked = sweep.seeded(build, range(3))
    snaps = planar.train_snapshots(stacked, x, y, steps=20, lr=0.05, frames=3)
    seed(2)
    alone = build()
    solo = planar.train_snapshots(alone, x, y, steps=20, lr=0.05, frames=3)
    picked = planar.member(snaps, 2)
    for mine, theirs in zip(picked, solo):
        assert mine.step == theirs.step and mine.accuracy.dim() == 0
        torch.testing.assert_close(mine.accuracy, theirs.accuracy)
        for h, g in zip(mine.states, theirs.states):
            torch.testing.assert_close(h, g, rtol=1e-4, atol=1e-5)
        plane = torch.randn(7, 2)
        with torch.no_grad():
            torch.testing.assert_close(mine.head(plane), theirs.head(plane), rtol=1e-4,
                                       atol=1e-5)
    with pytest.raises(ValueError, match="i=3"):
        planar.member(snaps, 3)
    with pytest.raises(ValueError, match="stack"):
        planar.member(solo, 0)
