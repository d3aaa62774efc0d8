"""fit_stack trains many models at once and must compute what fit computes for each."""

import copy

import pytest
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset

from isolearn import seed
from isolearn.compare import contenders
from isolearn.data import digits, holdout, loader
from isolearn.stack import batch_order, fit_stack
from isolearn.train import fit

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def small_digits():
    train, test = digits(size=16)
    return (TensorDataset(*(t[:192] for t in train.tensors)),
            TensorDataset(*(t[:64] for t in test.tensors)))


def test_batch_order_is_the_order_fit_draws():
    data = TensorDataset(torch.arange(50).float(), torch.arange(50))
    reference, ours = loader(data, 16, shuffle=True, seed=3), batch_order(50, 16, seed=3)
    for _ in range(3):  # epoch after epoch, the generator advances in step
        assert [y.tolist() for _, y in reference] == [b.tolist() for b in ours]


@pytest.mark.parametrize("name", ["ResNet", "ViT", "Mixer", "ConvMixer"])
def test_fit_stack_equals_fit_model_by_model(small_digits, name):
    """Each stacked model, with its own learning rate and seed, ends where fit would take it."""
    train, test = small_digits
    build = contenders("digits")[name]
    nets = []
    for s in range(3):
        seed(s)
        nets.append(build())
    alone = [copy.deepcopy(net) for net in nets]
    lrs = [1e-3, 3e-3, 1e-3]
    stacked = fit_stack(nets, train, test, epochs=2, lr=lrs, batch_size=32, weight_decay=0.05,
                        seeds=[0, 1, 2], schedule="cosine", device=CPU)
    for i, net in enumerate(alone):
        h = fit(net, train, test, epochs=2, lr=lrs[i], batch_size=32, weight_decay=0.05, seed=i,
                progress=False, schedule="cosine", device=CPU)
        # The stack sums in another order (a grouped convolution, a batched product), so the
        # two agree to rounding at first; Adam then amplifies rounding where a gradient is
        # near 0 (its step is lr·g/|g|), most in the ResNet: the second epoch agrees to 1 %.
        assert stacked[i].train_loss[0] == pytest.approx(h.train_loss[0], rel=1e-5)
        assert stacked[i].train_loss[1] == pytest.approx(h.train_loss[1], rel=1e-2)
        assert stacked[i].test_acc == pytest.approx(h.test_acc, abs=2 / 64 + 1e-9)
        for (key, a), b in zip(net.state_dict().items(), nets[i].state_dict().values()):
            if a.is_floating_point():
                assert torch.allclose(a, b, atol=2e-2, rtol=2e-2), (name, i, key)


def test_fit_stack_learns_and_writes_back(small_digits):
    train, test = small_digits
    seed(0)
    nets = [contenders("digits")["ConvMixer"]() for _ in range(2)]
    before = [copy.deepcopy(n.state_dict()) for n in nets]
    runs = fit_stack(nets, train, test, epochs=3, lr=1e-2, batch_size=32, device=CPU)
    assert all(h.epochs == 3 and h.train_loss[-1] < h.train_loss[0] for h in runs)
    assert runs[0].seconds == runs[1].seconds  # one clock for the stack
    changed = [any(not torch.equal(a, b) for a, b in zip(s.values(), n.state_dict().values()))
               for s, n in zip(before, nets)]
    assert all(changed)


def test_fit_stack_validates_its_arguments(small_digits):
    train, _ = small_digits
    with pytest.raises(ValueError, match="empty"):
        fit_stack([], train)
    with pytest.raises(ValueError, match="one architecture"):
        fit_stack([nn.Linear(2, 2), nn.Linear(2, 3)], train)
    two = [nn.Sequential(nn.Flatten(), nn.Linear(256, 10)) for _ in range(2)]
    with pytest.raises(ValueError, match="lr="):
        fit_stack(two, train, lr=[1e-3])
    with pytest.raises(ValueError, match="seeds"):
        fit_stack(two, train, seeds=[0])
    with pytest.raises(ValueError, match="schedule"):
        fit_stack(two, train, schedule="step")


def test_holdout_is_stratified_disjoint_and_fixed():
    train, _ = digits()
    fit_set, val_set = holdout(train, fraction=0.2, seed=0)
    assert len(fit_set) + len(val_set) == len(train) and len(val_set) == 270
    y_fit, y_val = fit_set.tensors[1], val_set.tensors[1]
    for c in range(10):  # every class keeps about a fifth of its images for validation
        share = (y_val == c).sum() / ((y_val == c).sum() + (y_fit == c).sum())
        assert 0.15 < share < 0.25
    again, _ = holdout(train, fraction=0.2, seed=0)
    assert torch.equal(again.tensors[0], fit_set.tensors[0])
    with pytest.raises(ValueError, match="fraction"):
        holdout(train, fraction=1.5)
