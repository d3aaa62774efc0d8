"""Batch normalisation from scratch equals nn.BatchNorm2d, in training and in evaluation mode."""

import pytest
import torch
import torch.nn as nn

from isolearn.norm import batch_norm2d


def _layer_and_copy(c):
    layer = nn.BatchNorm2d(c).double()
    with torch.no_grad():
        layer.weight.uniform_(0.5, 2.0)
        layer.bias.uniform_(-1.0, 1.0)
    return layer, [t.detach().clone() for t in (layer.weight, layer.bias, layer.running_mean, layer.running_var)]


@pytest.mark.parametrize("shape", [(8, 3, 5, 4), (2, 1, 6, 6), (16, 4, 1, 1)])
def test_training_mode_equals_batchnorm2d_and_updates_the_running_statistics(shape):
    gen = torch.Generator().manual_seed(0)
    layer, (w, b, mean, var) = _layer_and_copy(shape[1])
    layer.train()
    for step in range(3):  # three batches: the running averages move each time
        x = 2.0 + 3.0 * torch.randn(*shape, generator=gen, dtype=torch.float64)
        torch.testing.assert_close(batch_norm2d(x, w, b, mean, var, training=True), layer(x))
        torch.testing.assert_close(mean, layer.running_mean)
        torch.testing.assert_close(var, layer.running_var)
    assert not torch.allclose(mean, torch.zeros_like(mean))  # they did move


def test_evaluation_mode_uses_the_running_statistics_and_changes_nothing():
    gen = torch.Generator().manual_seed(1)
    layer, (w, b, mean, var) = _layer_and_copy(3)
    layer.train()
    x = torch.randn(8, 3, 4, 4, generator=gen, dtype=torch.float64) * 2 + 1
    layer(x), batch_norm2d(x, w, b, mean, var, training=True)
    layer.eval()
    one = torch.randn(1, 3, 4, 4, generator=gen, dtype=torch.float64)  # a batch of one image
    before = mean.clone()
    torch.testing.assert_close(batch_norm2d(one, w, b, mean, var, training=False), layer(one))
    assert torch.equal(mean, before)


def test_gradients_equal_batchnorm2d():
    x = torch.randn(4, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    layer, (w, b, mean, var) = _layer_and_copy(2)
    w.requires_grad_(), b.requires_grad_()
    (batch_norm2d(x, w, b, mean, var, training=True) ** 3).sum().backward()
    ours = x.grad.clone(), w.grad.clone(), b.grad.clone()
    x.grad = None
    (layer(x) ** 3).sum().backward()
    for a, ref in zip(ours, (x.grad, layer.weight.grad, layer.bias.grad)):
        torch.testing.assert_close(a, ref)


@pytest.mark.parametrize("x, params, word", [
    (torch.zeros(3, 4, 4), 3, "(b, c, h, w)"),
    (torch.zeros(2, 3, 4, 4), 2, "shape (3,)"),
    (torch.zeros(1, 3, 1, 1), 3, "larger batch"),
])
def test_bad_input_names_the_problem(x, params, word):
    t = torch.ones(params)
    with pytest.raises(ValueError) as info:
        batch_norm2d(x, t, t.clone(), t.clone(), t.clone(), training=True)
    assert word in str(info.value)
