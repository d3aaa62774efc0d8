import pytest
import torch

from isolearn.data import TOY2D_KINDS, digits, loader, sample_photo, shift, tensors, toy2d


def test_digits_shapes_range_and_split():
    train, test = digits()
    x, y = train.tensors
    xt, yt = test.tensors
    assert x.shape[1:] == (1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert len(x) + len(xt) == 1797 and len(xt) == 450  # 25 % of 1797, rounded up
    assert 0 <= x.min() and x.max() <= 1 and x.max() == 1  # 16 / 16
    assert set(y.tolist()) == set(range(10)) == set(yt.tolist())
    # stratified: every class has about a quarter of its images in the test set
    for c in range(10):
        share = (yt == c).sum() / ((yt == c).sum() + (y == c).sum())
        assert 0.2 < share < 0.3


def test_digits_split_is_fixed_by_seed_and_disjoint():
    a, _ = digits(seed=0)
    b, _ = digits(seed=0)
    c, _ = digits(seed=1)
    assert torch.equal(a.tensors[0], b.tensors[0])
    assert not torch.equal(a.tensors[0], c.tensors[0])
    train, test = digits()
    flat_train = {tuple(v) for v in train.tensors[0].flatten(1).tolist()}
    overlap = sum(tuple(v) in flat_train for v in test.tensors[0].flatten(1).tolist())
    assert overlap < 5  # scikit-learn's digits hold a few exact duplicates, nothing more


@pytest.mark.parametrize("size", [16, 32])
def test_digits_resize(size):
    train, _ = digits(size=size)
    x = train.tensors[0]
    assert x.shape[1:] == (1, size, size) and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("kwargs", [dict(size=0), dict(size=2.5), dict(test_fraction=1.0)])
def test_digits_bad_input(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        digits(**kwargs)


@pytest.mark.parametrize("kind", TOY2D_KINDS)
def test_toy2d(kind):
    classes = 2 if kind in ("moons", "circles") else 3
    data = toy2d(kind, n=300, classes=classes, noise=0.05, seed=1)
    x, y = data.tensors
    assert x.shape == (300, 2) and x.dtype == torch.float32
    assert sorted(set(y.tolist())) == list(range(classes))
    assert x.abs().max() < 3  # centred and of unit scale
    assert torch.equal(x, toy2d(kind, n=300, classes=classes, noise=0.05, seed=1).tensors[0])


@pytest.mark.parametrize("kwargs, word", [(dict(kind="swirls"), "kind"), (dict(kind="moons", classes=3), "classes"),
                                          (dict(n=1, classes=2), "n"), (dict(noise=-1.0), "noise")])
def test_toy2d_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        toy2d(**kwargs)


def test_loader_and_tensors():
    data = toy2d("blobs", n=100, classes=4)
    batches = list(loader(data, batch_size=32, shuffle=True, seed=0))
    assert [len(b[0]) for b in batches] == [32, 32, 32, 4]
    again = list(loader(data, batch_size=32, shuffle=True, seed=0))
    assert torch.equal(batches[0][1], again[0][1])  # the shuffle is reproducible
    x, y = tensors(loader(data))
    assert torch.equal(x, data.tensors[0]) and torch.equal(y, data.tensors[1])
    with pytest.raises(ValueError, match="batch_size"):
        loader(data, batch_size=0)


def test_shift_moves_and_fills_with_zeros():
    x = torch.arange(1.0, 10).reshape(1, 3, 3)
    assert torch.equal(shift(x, 1, 0)[0], torch.tensor([[0., 0, 0], [1, 2, 3], [4, 5, 6]]))
    assert torch.equal(shift(x, 0, -1)[0], torch.tensor([[2., 3, 0], [5, 6, 0], [8, 9, 0]]))
    assert torch.equal(shift(shift(x, 1, 1), -1, -1)[0, :2, :2], x[0, :2, :2])
    with pytest.raises(ValueError, match="out of the frame"):
        shift(x, 3, 0)


def test_sample_photo():
    photo = sample_photo("flower", size=48)
    assert photo.shape == (1, 48, 48) and 0 <= photo.min() and photo.max() <= 1 and photo.std() > 0.05
    with pytest.raises(ValueError, match="china"):
        sample_photo("cat")


def test_canvas_centres_the_image_and_a_shift_crops_nothing():
    from torch.utils.data import TensorDataset

    from isolearn.data import canvas, shift
    x = torch.rand(5, 1, 8, 8) + 0.1  # no zero pixel inside
    big = canvas(x, 16)
    assert big.shape == (5, 1, 16, 16)
    assert torch.equal(big[..., 4:12, 4:12], x) and torch.isclose(big.sum(), x.sum())
    for dy, dx in [(4, 0), (-4, 3), (2, -4)]:  # the ink stays on the canvas
        assert torch.isclose(shift(big, dy, dx).sum(), x.sum())
    data = canvas(TensorDataset(x, torch.arange(5)), 12)
    assert data.tensors[0].shape == (5, 1, 12, 12) and data.tensors[1].tolist() == [0, 1, 2, 3, 4]
    assert canvas(torch.ones(2, 3), 4).tolist() == [[0, 0, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]  # odd margin: the extra pixel goes after
    with pytest.raises(ValueError, match="size=4"):
        canvas(x, 4)


def test_sample_photo_rgb_is_the_colour_of_the_grey_photo():
    from isolearn.data import sample_photo_rgb
    rgb = sample_photo_rgb("china", size=40)
    assert rgb.shape == (3, 40, 40) and 0 <= rgb.min() and rgb.max() <= 1
    luma = (torch.tensor([0.299, 0.587, 0.114])[:, None, None] * rgb).sum(0)
    assert (luma - sample_photo("china", size=40)[0]).abs().max() < 0.02  # same crop and resize
    assert (rgb[0] - rgb[2]).abs().mean() > 0.02  # the channels differ: it is in colour
    with pytest.raises(ValueError, match="china"):
        sample_photo_rgb("cat")
