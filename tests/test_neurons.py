"""Chapter 9's operations: exact for isotropic networks (float64, < 1e-12), not for elementwise
ones (> 1e-2); pruning exact at σ = 0 under its conditions and linear in σ otherwise; the
sparsification and compression counts equal their formulas; bad input gets a clear error."""

import copy

import pytest
import torch

from isolearn import activations as A
from isolearn import neurons as N
from isolearn import planar

TOL = 1e-12


def bird(widths=(5, 7, 7, 7, 3), seed=0, **kwargs):
    """An IsotropicMLP in float64 with every parameter non-zero (Bird starts biases and ψ at 0,
    which would hide mistakes in how they are transformed)."""
    torch.manual_seed(seed)
    net = N.IsotropicMLP(list(widths), dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for lin in net.linears:
            lin.bias.normal_()
        for p in net.psi:
            if net.psi_mode is not None:  # psi=None holds ψ at 0
                p.normal_()
        net.log_o.copy_(torch.rand(len(net.log_o), dtype=torch.float64).add(0.1).log())
    return net


def inputs(n_in, seed=1, n=400):
    return 2 * torch.randn(n, n_in, generator=torch.Generator().manual_seed(seed),
                           dtype=torch.float64)


def sequential(act, widths=(5, 7, 7, 7, 3), seed=0):
    torch.manual_seed(seed)
    return planar.mlp(act, widths[0], tuple(widths[1:-1]), widths[-1]).double()


OPERATIONS = {
    "diagonalise": lambda net: N.diagonalise(net, 1),
    "diagonalise first layer": lambda net: N.diagonalise(net, 0),
    "diagonalise_full": lambda net: N.diagonalise_full(net, 1),
    "grow": lambda net: N.grow(net, 1, 4, generator=torch.Generator().manual_seed(0)),
    "compress": N.compress,
    "sparsify": N.sparsify,
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_operations_keep_an_isotropic_network_exactly(name):
    x = inputs(5)
    for net in [bird(), bird(intrinsic_length=None, psi=None), sequential("iso_tanh")]:
        before = copy.deepcopy(net.state_dict())
        new = OPERATIONS[name](net)
        assert N.output_change(net, new, x) < TOL, (name, type(net).__name__)
        for key, value in net.state_dict().items():  # the input network is untouched
            assert torch.equal(value, before[key]), key
        assert type(new) is type(net)


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_same_operations_change_an_elementwise_tanh_network(name):
    net = sequential("tanh")
    assert N.output_change(net, OPERATIONS[name](net), inputs(5)) > 1e-2


def test_diagonalisation_is_what_it_says():
    net = bird()
    left = N.diagonalise(net, 1).linears[1].weight  # rows σᵢ vᵢᵀ: orthogonal, decreasing
    gram = left @ left.T
    s = N.singular_values(net, 1)
    torch.testing.assert_close(gram, torch.diag(s ** 2), atol=1e-12, rtol=0)
    assert (s[:-1] >= s[1:]).all()
    full = N.diagonalise_full(net, 1).linears[1].weight
    off = full - torch.diag(torch.diagonal(full))
    assert (off == 0).all()  # exactly: Bird copies the diagonal in
    torch.testing.assert_close(torch.diagonal(full), s)
    tall = N.singular_values(net, 0)  # W_0 is 7 x 5: two units with σ = 0
    assert tall.shape == (7,) and (tall[5:] == 0).all()
    rows = N.diagonalise(net, 0).linears[0].weight
    assert (rows[5:] == 0).all()


def test_rotate_is_the_symmetry_and_breaks_tanh():
    q = A.random_orthogonal(1, 7, torch.Generator().manual_seed(2))[0]
    x = inputs(5)
    assert N.output_change(bird(), N.rotate(bird(), 2, q), x) < TOL
    assert N.output_change(sequential("tanh"), N.rotate(sequential("tanh"), 2, q), x) > 1e-2
    signs = torch.diag(torch.tensor([1.0, -1, 1, 1, -1, 1, -1], dtype=torch.float64))
    signed = signs[torch.randperm(7, generator=torch.Generator().manual_seed(3))]
    assert N.output_change(sequential("tanh"), N.rotate(sequential("tanh"), 2, signed), x) < TOL


def test_grow_adds_zero_units_that_can_learn():
    net = bird()
    grown = N.grow(net, 1, 3, generator=torch.Generator().manual_seed(0))
    assert N.widths(grown) == [5, 7, 10, 7, 3]
    assert (grown.linears[1].weight[7:] == 0).all() and (grown.linears[1].bias[7:] == 0).all()
    assert (grown.psi[0][7:] == 0).all()
    assert (grown.linears[2].weight[:, 7:].abs() > 0).all()
    x, y = inputs(5, n=64), torch.randint(0, 3, (64,), generator=torch.Generator().manual_seed(4))
    for scale, moves in [(0.01, True), (0.0, False)]:
        g = N.grow(net, 1, 3, scale=scale, generator=torch.Generator().manual_seed(0))
        N.train(g, x, y, steps=5, lr=0.1, optimizer="sgd")
        new_rows = g.linears[1].weight[7:].detach()
        # a zero column gives the new units no gradient: they stay 0 for ever
        assert bool((new_rows.abs() > 0).any()) is moves, scale


def test_pruning_a_zero_singular_value_is_exact_under_its_conditions():
    x = inputs(5)
    net = N.weaken(bird(), 1, 0.0)
    assert N.singular_values(net, 1)[-1] < 1e-14
    assert N.output_change(net, N.prune(net, 1, 1), x) < TOL
    assert N.widths(N.prune(net, 1, 1)) == [5, 7, 6, 7, 3]
    # the o and ψ updates are needed: a network that cannot hold them loses the bias b*
    for kwargs in [dict(intrinsic_length=None), dict(psi=None)]:
        without = N.weaken(bird(**kwargs), 1, 0.0)
        assert N.output_change(without, N.prune(without, 1, 1), x) > 1e-3, kwargs
    # and so is ψ* = 0: the removed unit must not receive the previous layer's gain
    leaky = N.weaken(bird(), 1, 0.0, psi=0.5)
    assert N.output_change(leaky, N.prune(leaky, 1, 1), x) > 1e-3
    # layer 0 has no ψ before it; W_0 is 7 x 5, so two units have σ = 0 exactly
    assert N.output_change(bird(), N.prune(bird(), 0, 2), x) < TOL
    assert N.output_change(bird(), N.prune(bird(), 0, 3), x) > 1e-3


def test_pruning_error_grows_linearly_with_the_singular_value():
    x = inputs(5)
    sigmas = [1e-2, 1e-3, 1e-4, 1e-5]
    slopes = []
    for sigma in sigmas:
        net = N.weaken(bird(), 1, sigma)
        slopes.append(N.output_change(net, N.prune(net, 1, 1), x) / sigma)
    assert max(slopes) < 1.05 * min(slopes), slopes
    assert min(slopes) > 1e-3  # and the error is not 0


def test_prune_updates_o_and_psi_as_the_reference_does():
    net = bird()
    turned = N.diagonalise(net, 1)
    b_star = turned.linears[1].bias[-2:].detach()
    w_star = turned.linears[2].weight[:, -2:].detach()
    pruned = N.prune(net, 1, 2)
    torch.testing.assert_close(pruned.o[1], net.o[1] + (b_star ** 2).sum())
    torch.testing.assert_close(pruned.o[[0, 2]], net.o[[0, 2]])
    torch.testing.assert_close(pruned.psi[1], net.psi[1] + w_star @ b_star)
    torch.testing.assert_close(pruned.psi[0], turned.psi[0][:-2])  # ψ* dropped
    random = N.prune(net, 1, 2, order="random", generator=torch.Generator().manual_seed(0))
    assert N.widths(random) == [5, 7, 5, 7, 3]
    constant = bird(intrinsic_length="constant", psi="constant")
    assert not constant.log_o.requires_grad and not constant.psi[0].requires_grad
    changed = N.prune(constant, 1, 1)  # frozen while training, but the update still applies
    assert changed.o[1] > constant.o[1] and not changed.log_o.requires_grad


def test_compress_reaches_its_widths_exactly():
    for widths in [(2, 16, 16, 2), (2, 2, 16, 3), (1, 8, 16, 8, 1), (3, 9, 4, 12, 12, 2)]:
        x = inputs(widths[0])
        for net, psi in [(bird(widths), True), (bird(widths, psi=None), False),
                         (sequential("iso_tanh", widths), False)]:
            small = N.compress(net)
            assert N.widths(small) == N.compressed_widths(widths, psi=psi), (widths, psi)
            assert N.output_change(net, small, x) < TOL, (widths, psi)
    assert N.compressed_widths((2, 16, 16, 2)) == [2, 3, 4, 2]
    assert N.compressed_widths((1, 8, 16, 8, 1)) == [1, 2, 3, 4, 1]
    assert N.compressed_widths((2, 2, 16, 3)) == [2, 2, 3, 3]
    assert N.compressed_widths((2, 2, 16, 3), psi=True) == [2, 2, 4, 3]  # ψ carries the gain
    assert N.widths(N.compress(N.compress(bird((2, 16, 16, 2))))) == [2, 3, 4, 2]


def test_sparsification_counts_equal_the_formula():
    assert N.sparsified_count([3072, 1000, 1000, 10]) == 1000 * 1000 - 1000
    assert N.sparsified_count([64, 100, 10]) == 0  # no layer with hidden layers on both sides
    for widths in [(5, 7, 7, 7, 3), (4, 6, 9, 5, 8, 3), (64, 32, 32, 32, 32, 32, 10)]:
        net = bird(widths)
        sparse = N.sparsify(net)
        assert N.zero_weights(net) == 0
        assert N.zero_weights(sparse) == N.sparsified_count(widths), widths
        assert N.output_change(net, sparse, inputs(widths[0])) < TOL


def test_sgd_commutes_with_the_symmetry_and_adam_does_not():
    x = inputs(5, n=128)
    y = torch.randint(0, 3, (128,), generator=torch.Generator().manual_seed(5))
    q = A.random_orthogonal(1, 7, torch.Generator().manual_seed(6))[0]
    gaps = {}
    for optimizer, lr in [("sgd", 0.1), ("adam", 0.01)]:
        net = bird(psi=None)
        turned = N.rotate(net, 1, q)
        N.train(net, x, y, steps=30, lr=lr, optimizer=optimizer)
        N.train(turned, x, y, steps=30, lr=lr, optimizer=optimizer)
        gaps[optimizer] = N.output_change(net, turned, x)
    assert gaps["sgd"] < 1e-10 and gaps["adam"] > 1e-3, gaps


def test_float32_and_the_reference_parametrisation():
    net = N.IsotropicMLP([4, 6, 5, 3])
    assert net.linears[0].weight.dtype == torch.float32
    torch.testing.assert_close(net.o, torch.full((2,), 1e-6))
    assert all((p == 0).all() and p.requires_grad for p in net.psi)
    assert all((lin.bias == 0).all() for lin in net.linears)
    w = net.linears[1].weight  # 5 x 6, orthogonal rows
    torch.testing.assert_close(w @ w.T, torch.eye(5), atol=1e-6, rtol=0)
    x = torch.randn(50, 4)
    assert N.output_change(net, N.diagonalise_full(net, 1), x) < 1e-5
    plain = N.IsotropicMLP([4, 6, 5, 3], intrinsic_length=None, psi=None, dtype=torch.float64)
    assert (plain.o == 0).all() and not plain.psi[0].requires_grad
    seq = sequential("iso_tanh", (4, 6, 5, 3))
    for target, source in zip(seq[::2], plain.linears):
        target.load_state_dict(source.state_dict())
    assert N.output_change(plain, seq, inputs(4)) < TOL  # o = 0, ψ = 0: isotropic tanh


def test_kl_divergence_and_train():
    logits = torch.randn(20, 4, dtype=torch.float64)
    assert N.kl_divergence(logits, logits) == 0.0
    other = logits + torch.randn(20, 4, dtype=torch.float64)
    p, q = logits.softmax(1), other.softmax(1)
    assert abs(N.kl_divergence(logits, other) - (p * (p / q).log()).sum(1).mean().item()) < 1e-12
    net = bird()
    x, y = inputs(5, n=100), torch.randint(0, 3, (100,), generator=torch.Generator().manual_seed(0))
    losses = N.train(net, x, y, steps=40, lr=0.05, batch_size=25,
                     generator=torch.Generator().manual_seed(0))
    assert len(losses) == 40 and losses[-1] < losses[0]


def _broken_psi():
    net = bird(psi=None)
    with torch.no_grad():
        net.psi[0][0] = 1.0  # psi=None promises ψ = 0
    return net


NET = bird()  # linear layers 0..3, hidden layers 0..2
BAD_INPUT = [
    (ValueError, "layer=7 is out of range.*0..2", lambda: N.diagonalise(NET, 7)),
    (ValueError, "layer=-1 is out of range", lambda: N.grow(NET, -1)),
    (ValueError, "layer=3 is the output layer", lambda: N.prune(NET, 3)),
    (ValueError, "layer=0 is out of range.*1..2.*layer before", lambda: N.diagonalise_full(NET, 0)),
    (TypeError, "layer=1.0 must be an int", lambda: N.prune(NET, 1.0)),
    (ValueError, "k=7 is out of range: layer 1 has 7 units", lambda: N.prune(NET, 1, 7)),
    (ValueError, "k=-1 is out of range", lambda: N.grow(NET, 1, -1)),
    (ValueError, "order='largest'", lambda: N.prune(NET, 1, 1, order="largest")),
    (ValueError, "scale=-1", lambda: N.grow(NET, 1, 1, scale=-1)),
    (ValueError, r"q must be an orthogonal \(7, 7\)", lambda: N.rotate(NET, 1, torch.eye(3))),
    (TypeError, "IsotropicMLP or an nn.Sequential", lambda: N.compress(torch.nn.Linear(3, 3))),
    (ValueError, "must alternate Linear, activation",
     lambda: N.sparsify(torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)))),
    (ValueError, r"widths=\[4, 3\]", lambda: N.IsotropicMLP([4, 3])),
    (ValueError, "psi='decay'", lambda: N.IsotropicMLP([4, 3, 2], psi="decay")),
    (ValueError, "psi=None, which holds ψ at 0", lambda: N.diagonalise(_broken_psi(), 1)),
    (ValueError, "more units .7. than inputs .5.", lambda: N.weaken(NET, 0, 0.0)),
    (ValueError, "sigma=-1", lambda: N.weaken(NET, 1, -1.0)),
    (ValueError, "optimizer='lbfgs'",
     lambda: N.train(NET, inputs(5), torch.zeros(400, dtype=torch.long), 1, optimizer="lbfgs")),
]


@pytest.mark.parametrize("error, message, call", BAD_INPUT, ids=[m for _, m, _ in BAD_INPUT])
def test_bad_input_gets_a_clear_error(error, message, call):
    with pytest.raises(error, match=message):
        call()


def test_birds_cifar10_recipe_runs_and_prunes_on_the_cpu_with_fake_data():
    """The chapter's GPU path, on the CPU: the recipe's settings are Bird's Experiment 1, it trains
    through isolearn.recipes on fake data, and its trained perceptron diagonalises exactly."""
    from isolearn import recipes

    r = recipes.get("bird_mlp_cifar10")
    assert (r.optimizer, r.weight_decay, r.batch_size, r.epochs, r.schedule.lr) == (
        "adamw", 1e-3, 48, 50, 1e-3)
    assert recipes.params(r) == 3072 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10 + 100 + 10 + 2
    prepared = recipes.prepare(r, fake_data=True, limit=96, device="cpu")
    result = recipes.train(prepared, epochs=1, progress=False)
    net = result.model[1].double()
    assert isinstance(net, N.IsotropicMLP) and N.widths(net) == [3072, 100, 100, 10]
    x = prepared.x_test.flatten(1).double()  # (96, 3072)
    assert N.output_change(net, N.diagonalise_full(net, 1), x) < TOL
    assert N.widths(N.prune(N.diagonalise_full(net, 1), 1, 50)) == [3072, 100, 50, 10]
