import pytest
import torch
import torch.nn as nn

from isolearn.profile import count_flops, count_params, throughput, trace_shapes


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Sequential(nn.Conv2d(4, 8, 3), nn.ReLU()), nn.Flatten(), nn.Linear(8 * 2 * 2, 10))


def test_count_params_by_hand():
    model = small_cnn()
    assert count_params(model) == (4 * 9 + 4) + (8 * 4 * 9 + 8) + (32 * 10 + 10)
    model[0].weight.requires_grad_(False)
    assert count_params(model, trainable_only=True) == count_params(model) - 36


def test_count_flops_equals_the_formulas():
    """The counter counts 2 FLOPs per multiply-add of convs and linears, and nothing else."""
    b = 3
    model = small_cnn()
    conv1 = 4 * 8 * 8 * 1 * 9          # c_out · h' · w' · c_in · k²
    conv2 = 8 * 2 * 2 * 4 * 9
    linear = 32 * 10
    assert count_flops(model, torch.zeros(b, 1, 8, 8)) == 2 * b * (conv1 + conv2 + linear)
    parts = count_flops(model, torch.zeros(b, 1, 8, 8), by_module=True)
    assert parts["0"] == 2 * b * conv1 and parts["3.0"] == 2 * b * conv2 and parts["5"] == 2 * b * linear
    assert parts[""] == 2 * b * (conv1 + conv2 + linear)


def test_count_flops_matmul_and_keeps_training_mode():
    model = nn.Linear(16, 32, bias=False).train()
    assert count_flops(model, torch.zeros(5, 16)) == 2 * 5 * 16 * 32
    assert model.training


def test_trace_shapes_table():
    table = trace_shapes(small_cnn(), torch.zeros(2, 1, 8, 8))
    assert table.column("output shape") == [(2, 1, 8, 8), (2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 4, 4),
                                            (2, 8, 2, 2), (2, 8, 2, 2), (2, 32), (2, 10)]
    assert table.column("layer")[:2] == ["input", "0"] and table.column("type")[1] == "Conv2d"
    assert sum(table.column("params")) == count_params(small_cnn())
    assert "Conv2d" in str(table) and "<table" in table._repr_html_()
    containers = trace_shapes(small_cnn(), torch.zeros(2, 1, 8, 8), leaves_only=False)
    assert len(containers) == len(table) + 1  # the inner Sequential too


def test_throughput_is_positive_and_validates():
    model = small_cnn()
    assert throughput(model, torch.zeros(4, 1, 8, 8), repeats=3, warmup=1) > 0
    assert throughput(model, torch.zeros(4, 1, 8, 8), repeats=2, backward=True) > 0
    with pytest.raises(ValueError, match="repeats"):
        throughput(model, torch.zeros(1, 1, 8, 8), repeats=0)


def test_loglog_slope_recovers_exponents():
    from isolearn.profile import loglog_slope

    xs = [16, 64, 256, 1024]
    assert loglog_slope(xs, [3 * x for x in xs]) == pytest.approx(1)
    assert loglog_slope(xs, [x * x + 0 for x in xs]) == pytest.approx(2)
    assert 1 < loglog_slope(xs, [100 * x + x * x for x in xs]) < 2
    with pytest.raises(ValueError, match="two equally long"):
        loglog_slope([1], [2])


def test_best_time_restores_threads_and_takes_the_minimum():
    from isolearn.profile import best_time

    before = torch.get_num_threads()
    calls = []
    seconds = best_time(lambda: calls.append(torch.get_num_threads()), repeats=4)
    assert seconds >= 0 and calls == [1] * 4 and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="repeats"):
        best_time(lambda: None, repeats=0)


def test_timers_take_a_clock():
    import time

    from isolearn.profile import best_time, throughput

    ticks = iter(range(100))
    assert best_time(lambda: None, repeats=3, clock=lambda: next(ticks)) == 1  # each call: 1 tick
    model = torch.nn.Linear(4, 2)
    assert throughput(model, torch.zeros(8, 4), repeats=2, clock=time.process_time) > 0
