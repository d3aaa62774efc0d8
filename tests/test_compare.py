"""Chapter 6's measuring tools: contenders, shape traces, compute split, activation memory."""

import pytest
import torch
import torch.nn as nn

from isolearn import seed
from isolearn.attention import attention
from isolearn.compare import PARTS, compute_split, contenders, family, shape_trace
from isolearn.models import create
from isolearn.profile import activation_memory, count_flops, count_params
from isolearn.train import History


@pytest.mark.parametrize("scale, shape", [("digits", (2, 1, 16, 16)), ("cifar", (2, 3, 32, 32))])
def test_contenders_have_about_equal_size_and_run(scale, shape):
    builders = contenders(scale)
    assert list(builders) == ["ResNet", "ViT", "Mixer", "ConvMixer"]
    sizes = []
    for name, build in builders.items():
        model = build()
        assert family(model) == name
        assert model(torch.randn(shape)).shape == (2, 10)
        sizes.append(count_params(model))
    assert max(sizes) < 1.35 * min(sizes)


def test_contenders_change_resolution_at_fixed_patch():
    for name, build in contenders("digits", img_size=64).items():
        model = build()
        assert model(torch.randn(1, 1, 64, 64)).shape == (1, 10), name
    with pytest.raises(ValueError, match="scale"):
        contenders("imagenet")


def test_family_rejects_other_models():
    with pytest.raises(ValueError, match="Pyramid, ViT"):
        family(nn.Linear(2, 2))


def test_shape_trace_pyramid_and_column():
    resnet = shape_trace(contenders()["ResNet"](), torch.randn(1, 1, 16, 16))
    assert resnet.column("stage") == ["input", "stem", "stage 1", "stage 2", "stage 3"]
    assert resnet.column("positions") == [256, 256, 256, 64, 16]
    assert resnet.column("channels") == [1, 8, 8, 16, 32]
    vit = shape_trace(contenders()["ViT"](), torch.randn(1, 1, 16, 16))
    assert vit.column("positions") == [256, 16, 17, 17, 17, 17]  # 16 patches + class token
    assert set(vit.column("output shape")[1:]) == {(24, 4, 4)}
    for name in ("Mixer", "ConvMixer"):
        table = shape_trace(contenders()[name](), torch.randn(1, 1, 16, 16))
        assert len(set(map(tuple, (row[1:] for row in table.rows[1:])))) == 1  # a column
    with pytest.raises(ValueError, match="one image"):
        shape_trace(contenders()["Mixer"](), torch.randn(2, 1, 16, 16))


def test_compute_split_adds_up_and_matches_formulas():
    x = torch.randn(1, 1, 16, 16)
    for name, build in contenders().items():
        model = build()
        split = compute_split(model, x)
        assert set(split) == set(PARTS)
        assert sum(split.values()) == count_flops(model, x) // 2
        assert split["stem"] > 0 and split["head"] > 0
    vit = contenders()["ViT"]()
    n, d, depth = 17, 24, 4  # tokens incl. the class token
    assert compute_split(vit, x)["token mixing"] == depth * 2 * n * n * d  # QKᵀ and AV
    convmixer = contenders()["ConvMixer"]()
    assert compute_split(convmixer, x)["token mixing"] == 4 * 16 * 60 * 3 * 3  # d·T·h·k²


def test_activation_memory_counts_saved_tensors_once():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
    x = torch.randn(4, 10)
    assert activation_memory(model, x) == 4 * 10 * 4 + 4 * 20 * 4  # Linear's input, ReLU's output
    assert activation_memory(model, torch.randn(8, 10)) == 2 * activation_memory(model, x)
    model.eval()
    activation_memory(model, x)
    assert not model.training  # the mode is restored


def test_activation_memory_sees_the_attention_matrix():
    """The scratch attention keeps the n x n weights for backward; the fused kernel does not."""
    seed(0)

    class Scratch(nn.Module):
        def forward(self, q):
            return attention(q, q, q)

    class Fused(nn.Module):
        def forward(self, q):
            return nn.functional.scaled_dot_product_attention(q, q, q)

    small, large = (torch.randn(1, 2, n, 8, requires_grad=True) for n in (64, 256))
    scratch = [activation_memory(Scratch(), q) for q in (small, large)]
    fused = [activation_memory(Fused(), q) for q in (small, large)]
    assert scratch[1] / scratch[0] > 10  # 4x tokens: ~16x memory
    assert fused[1] / fused[0] < 5  # linear in the tokens


def test_history_time_to():
    h = History(test_acc=[0.5, 0.8, 0.95, 0.9], seconds=[1.0, 2.0, 3.0, 4.0])
    assert h.time_to(0.8) == 2.0 and h.time_to(0.9) == 3.0 and h.time_to(0.99) is None


def test_resnet8_is_a_pyramid_of_one_block_per_stage():
    from isolearn.compare import resnet8

    model = resnet8(img_size=8)
    assert family(model) == "ResNet" and len(model.stages) == 3
    assert all(len(stage) == 1 for stage in model.stages)
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    # the same network on 16 or 8 pixels: same parameters, 4x the multiply-adds
    big, small = contenders("digits")["ResNet"](), contenders("digits", img_size=8)["ResNet"]()
    assert count_params(big) == count_params(small)
    flops16, flops8 = count_flops(big, torch.randn(1, 1, 16, 16)), count_flops(small, torch.randn(1, 1, 8, 8))
    assert 3.9 < flops16 / flops8 < 4.1


def test_compute_split_on_meta_equals_cpu():
    """Chapter 6 counts the scaling sweep on the meta device: the counts must not change."""
    for name, build in contenders("digits", img_size=32).items():
        seed(0)
        cpu = compute_split(build(), torch.randn(1, 1, 32, 32))
        with torch.device("meta"):
            meta = compute_split(build(), torch.randn(1, 1, 32, 32))
        assert cpu == meta, name


def test_mean_interval_matches_the_t_formula():
    from isolearn.compare import mean_interval

    mean, low, high = mean_interval([0.9, 0.92, 0.94])
    assert mean == pytest.approx(0.92)
    # t(0.975, 2 dof) = 4.303, s = 0.02, n = 3
    assert high - mean == pytest.approx(4.303 * 0.02 / 3 ** 0.5, rel=1e-3)
    assert mean - low == pytest.approx(high - mean)
    wider = mean_interval([0.9, 0.92, 0.94], level=0.99)
    assert wider[1] < low and wider[2] > high
    with pytest.raises(ValueError, match="at least 2"):
        mean_interval([0.9])


def test_difference_interval_and_verdict():
    from isolearn.compare import difference_interval, verdict

    a, b = [0.95, 0.96, 0.97, 0.96], [0.90, 0.91, 0.92, 0.91]
    diff, low, high = difference_interval(a, b)
    assert diff == pytest.approx(0.05) and low < 0.05 < high
    # equal variances and sizes: Welch's dof are 2n - 2 = 6, t(0.95, 6) = 1.943
    se = (2 * torch.tensor(a).double().var().item() / 4) ** 0.5
    assert high - diff == pytest.approx(1.943 * se, rel=1e-3)
    assert verdict(low, high, 0.01) == "ahead"
    assert verdict(-high, -low, 0.01) == "behind"
    assert verdict(-0.004, 0.006, 0.01) == "matches"
    assert verdict(0.002, 0.02, 0.01) == "ahead?" and verdict(-0.02, -0.002, 0.01) == "behind?"
    assert verdict(-0.02, 0.02, 0.01) == "unclear"
    same = difference_interval([0.9, 0.9], [0.9, 0.9])
    assert same == (0.0, 0.0, 0.0)


def test_pareto_front_keeps_the_undominated():
    from isolearn.compare import pareto_front

    costs, scores = [1, 2, 3, 4, 2], [0.5, 0.9, 0.8, 0.95, 0.7]
    assert pareto_front(costs, scores) == [0, 1, 3]  # 2 and 4 are beaten by 1
    assert pareto_front([1, 1], [0.9, 0.9]) == [0, 1]  # ties dominate neither
    with pytest.raises(ValueError, match="costs"):
        pareto_front([1, 2], [0.5])


def test_pareto_plot_marks_the_front_and_the_floor():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from isolearn.viz import pareto_plot

    fig, ax = plt.subplots()
    front = pareto_plot(ax, [1, 2, 3], [0.9, 0.95, 0.2], [0.88, 0.94, 0.1], [0.92, 0.96, 0.3],
                        ["a", "b", "c"], "cost", floor=0.85)
    assert front == [0, 1]
    assert ax.get_ylim()[0] == 0.85
    assert any("c: 0.20" in t.get_text() for t in ax.texts)  # the point below the floor
    plt.close(fig)


def test_tune_picks_on_validation_and_reports_every_seed():
    from torch.utils.data import TensorDataset

    from isolearn.compare import tune

    seed(0)
    x = torch.randn(96, 1, 4, 4)
    y = (x.mean((1, 2, 3)) > 0).long()  # a linearly separable toy task
    fit_set, val_set, test_set = (TensorDataset(x[i::3], y[i::3]) for i in range(3))

    def build():
        return nn.Sequential(nn.Flatten(), nn.Linear(16, 2))

    result = tune(build, fit_set, val_set, test_set, lrs=[1e-4, 1e-1], seeds=3, epochs=3,
                  batch_size=8, device=torch.device("cpu"))
    assert result.lr == 1e-1 and result.val_acc[1] > result.val_acc[0]  # the tiny rate learns less
    assert result.seeds == 3 and len(result.test_acc) == 3
    assert all(len(h.test_acc) == 3 for h in result.histories)  # validation curves
    assert result.histories[0].test_acc[-1] == result.val_acc[1]  # seed 0's run is reused
    with pytest.raises(ValueError, match="seeds"):
        tune(build, fit_set, val_set, test_set, lrs=[1e-3], seeds=0)
