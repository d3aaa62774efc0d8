import matplotlib.pyplot as plt
import pytest
import torch
from IPython.display import HTML, Code
from matplotlib.figure import Figure

from isolearn import conv, viz
from isolearn.widgets import KernelExplorer


def test_image_grid_and_kernel_grid():
    fig = viz.image_grid([torch.rand(8, 8), torch.randn(1, 8, 8), torch.rand(8, 8)], ["a", "b", "c"], ncols=2)
    axes = fig.axes
    assert len(axes) == 4 and [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
    assert axes[0].images[0].get_cmap().name == "gray" and axes[1].images[0].get_cmap().name == "RdBu_r"
    assert len(viz.kernel_grid(torch.randn(6, 1, 3, 3), ncols=3).axes) == 6
    with pytest.raises(ValueError, match="single-channel"):
        viz.image_grid([torch.rand(3, 8, 8)])
    plt.close("all")


def test_sliding_kernel_animation_has_one_frame_per_output_pixel():
    html = viz.sliding_kernel_animation(torch.rand(5, 5), conv.KERNELS["sobel x"])
    assert isinstance(html, HTML)
    assert html.data.count("frames[") == 3 * 3 or "new Animation" in html.data
    assert len(plt.get_fignums()) == 0  # the figure was closed: no stray static copy


def test_show_source():
    code = viz.show_source(conv.receptive_field)
    assert isinstance(code, Code) and "def receptive_field" in code.data


def test_kernel_explorer_static_figure():
    explorer = KernelExplorer(torch.rand(1, 16, 16))
    fig = explorer.figure()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * (len(conv.KERNELS) + 1)
    assert [ax.get_title() for ax in fig.axes[1:len(conv.KERNELS) + 1]] == list(conv.KERNELS)


def test_kernel_explorer_live_widget_reacts():
    image = torch.rand(12, 12)
    explorer = KernelExplorer(image)
    box = explorer.widget()
    choose, cells = box.children[0].children[0], box.children[1].children
    choose.value = "sobel y"
    assert explorer.name == "sobel y" and torch.equal(explorer.kernel, conv.KERNELS["sobel y"])
    assert [c.value for c in cells] == conv.KERNELS["sobel y"].flatten().tolist()
    cells[4].value = 7.0  # edit the centre
    assert explorer.kernel[1, 1] == 7.0
    torch.testing.assert_close(explorer.feature_map, conv.apply_kernel(image, explorer.kernel))


def test_explorer_display_follows_static_mode(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    explorer = KernelExplorer(torch.rand(8, 8))
    monkeypatch.setenv("ISOLEARN_STATIC", "1")
    explorer._ipython_display_()
    monkeypatch.setenv("ISOLEARN_STATIC", "0")
    explorer._ipython_display_()
    assert isinstance(shown[0], Figure) and type(shown[-1]).__name__ == "VBox"


def test_patch_explorer_static_and_live():
    from isolearn.widgets import PatchExplorer

    explorer = PatchExplorer(torch.rand(1, 16, 16))
    assert explorer.sizes == [2, 4, 8]
    fig = explorer.figure()
    titles = [ax.get_title() for ax in fig.axes]
    assert "patch 4: 4x4 = 16 tokens" in titles and "as a sequence: the first 16 of 64 tokens" in titles
    box = explorer.widget()
    slider = box.children[0]
    slider.value = 8
    assert slider.value == 8


def test_attention_explorer_maps_sum_to_one():
    from isolearn.models import create
    from isolearn.widgets import AttentionExplorer

    model = create("vit_digits", depth=2)
    explorer = AttentionExplorer(model, torch.rand(3, 1, 8, 8))
    assert explorer.maps.shape == (3, 2, 4, 4, 4)  # (images, layers, heads, 4x4 patches)
    # the class token also attends to itself, so its weights over the patches sum to < 1
    total = explorer.maps.sum(dim=(-1, -2))
    assert ((total > 0) & (total < 1)).all()
    assert len(explorer.figure().axes) == 3 * 3
    box = explorer.widget()
    image, layer, head = box.children[0].children
    layer.value, head.value = 1, 2
    assert all(b.attn.weights is None or not b.attn.keep_weights for b in model.blocks)


def test_channel_sum_figure_draws_one_row_per_channel_and_the_sum():
    x, w = torch.rand(3, 12, 12), torch.randn(3, 3, 3)
    fig = viz.channel_sum_figure(x, w, ["red", "green", "blue"])
    assert len(fig.axes) == 3 * 3 + 1
    summed = fig.axes[-1].images[0].get_array()
    expected = torch.nn.functional.conv2d(x[None], w[None])[0, 0]  # no padding
    assert torch.allclose(torch.as_tensor(summed.data), expected, atol=1e-5)
    with pytest.raises(ValueError, match="same c"):
        viz.channel_sum_figure(x, w[:2])
    plt.close(fig)
