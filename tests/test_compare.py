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
    assert set(vit.column("output shape")[1:]) == {(48, 4, 4)}
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
    n, d, depth = 17, 48, 4  # tokens incl. the class token
    assert compute_split(vit, x)["token mixing"] == depth * 2 * n * n * d  # QKᵀ and AV
    convmixer = contenders()["ConvMixer"]()
    assert compute_split(convmixer, x)["token mixing"] == 4 * 16 * 120 * 3 * 3  # d·T·h·k²


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
