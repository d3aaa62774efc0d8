"""Batched augmentation (isolearn.augment) and batches that stay on the device (data.DeviceBatches).

The photometric and geometric operations are checked against PIL, which the references' own
pipelines (torchvision's RandAugment on PIL images, DeepVoltaire's AutoAugment) call; the
batcher against the DataLoader it replaces.
"""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps
from torch.utils.data import TensorDataset

from isolearn import augment as A
from isolearn.data import CropFlip, DeviceBatches, batched, digits, loader, shift


def images(b=4, c=3, h=12, w=12, seed=0):
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed))


def numbered(b=1, c=1, h=8, w=8):
    """Images whose pixels are all different (1..n): any shift or flip can be read back."""
    return torch.arange(1, b * c * h * w + 1, dtype=torch.float).reshape(b, c, h, w)


def find_shift_and_flip(out: torch.Tensor, image: torch.Tensor, padding: int):
    """The (dy, dx, flipped) that turns ``image: (c, h, w)`` into ``out``."""
    for flipped in (False, True):
        source = image.flip(-1) if flipped else image
        for dy in range(-padding, padding + 1):
            for dx in range(-padding, padding + 1):
                if torch.equal(shift(source, dy, dx), out):
                    return dy, dx, flipped
    raise AssertionError("the output is no shift of the image")


# --- crop, flip, shift ------------------------------------------------------------------------


def test_shift_batch_equals_the_per_image_shift_with_zero_fill():
    x = images(6)
    dy, dx = torch.tensor([-4, 0, 4, 2, -1, 3]), torch.tensor([4, 0, -4, -3, 1, 0])
    out = A.shift_batch(x, dy, dx, padding=4)
    for i in range(len(x)):
        assert torch.equal(out[i], shift(x[i], int(dy[i]), int(dx[i])))
    assert out[0, :, :, :4].eq(0).all() and out[0, :, -4:, :].eq(0).all()  # moved up 4, right 4


def test_random_crop_is_a_uniform_shift_of_each_image():
    x = numbered(b=1).expand(900, 1, 8, 8).contiguous()
    out = A.random_crop(x, padding=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    found = [find_shift_and_flip(o, x[0], 2) for o in out]
    assert not any(f for _, _, f in found)
    counts = torch.zeros(5, 5)
    for dy, dx, _ in found:
        counts[dy + 2, dx + 2] += 1
    assert counts.min() > 0  # every offset of [-2, 2]² occurs
    assert (counts - 36).abs().max() < 20  # 900 / 25 = 36 each: uniform (binomial sd 5.9)


def test_flip_flips_exactly_the_chosen_images():
    x = images(400)
    out = A.flip(x, 0.5, torch.Generator().manual_seed(1))
    flipped = torch.tensor([torch.equal(o, i.flip(-1)) for o, i in zip(out, x)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x)])
    assert (flipped ^ kept).all()  # each image either mirrored or untouched
    assert 160 < flipped.sum() < 240  # p = 1/2 of 400 (sd 10)
    assert torch.equal(A.flip(x, 0.0), x) and torch.equal(A.flip(x, 1.0), x.flip(-1))


def test_batched_crop_flip_draws_what_cropflip_draws_from_another_stream():
    """The documented difference from the DataLoader path: the same distribution of shifts and
    flips as data.CropFlip's per-image draws, from a different random stream."""
    n, p = 600, 2
    image = numbered(1, 1, 8, 8)[0]
    per_image = CropFlip(TensorDataset(image.expand(n, 1, 8, 8), torch.zeros(n)), padding=p, seed=0)
    theirs = [find_shift_and_flip(per_image[i][0], image, p) for i in range(n)]
    g = torch.Generator().manual_seed(0)
    batch = A.flip(A.random_crop(image.expand(n, 1, 8, 8).contiguous(), p, g), 0.5, g)
    ours = [find_shift_and_flip(o, image, p) for o in batch]
    assert theirs != ours  # not the same stream ...
    for k in range(3):  # ... but the same law: mean dy, mean dx (0 each), flip rate (1/2)
        a = np.array([t[k] for t in theirs], dtype=float)
        b = np.array([t[k] for t in ours], dtype=float)
        assert abs(a.mean() - b.mean()) < 0.25, (k, a.mean(), b.mean())  # sd of the gap ~0.08


def test_crop_and_flip_check_their_arguments():
    with pytest.raises(ValueError, match="padding"):
        A.random_crop(images(), padding=-1)
    with pytest.raises(ValueError, match="p="):
        A.flip(images(), p=1.5)
    with pytest.raises(ValueError, match=r"\(b, c, h, w\)"):
        A.flip(torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match="one shift per image"):
        A.shift_batch(images(4), torch.zeros(3), torch.zeros(4), 2)


# --- the operations against PIL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def photos():
    """Two 8-bit RGB images (one low-contrast) as uint8 arrays and as floats in [0, 1]."""
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (2, 40, 40, 3), dtype=np.uint8)  # 1,600 pixels: equalize steps of ~6
    arr[1] = arr[1] // 2 + 40
    return arr, torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 255


def with_pil(arr, fn):
    out = [np.array(fn(Image.fromarray(a))) for a in arr]
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 255


def both(value):
    return torch.full((2,), float(value))


EXACT = {  # our op on floats, PIL's on uint8: the same levels
    "equalize": (lambda x: A.equalize(x), ImageOps.equalize),
    "posterize": (lambda x: A.posterize(x, both(5)), lambda im: ImageOps.posterize(im, 5)),
    "solarize": (lambda x: A.solarize(x, both(153)), lambda im: ImageOps.solarize(im, 153)),
    "invert": (lambda x: A.invert(x), ImageOps.invert),
    "translate": (lambda x: A.translate_x(x, both(5)),
                  lambda im: im.transform(im.size, Image.AFFINE, (1, 0, -5, 0, 1, 0))),
    "rotate 90°": (lambda x: A.rotate(x, both(90)), lambda im: im.rotate(90)),
}
WITHIN_A_LEVEL = {  # PIL rounds to a level after the blend, we do not: at most ~1 level apart
    "autocontrast": (lambda x: A.autocontrast(x), ImageOps.autocontrast),
    "brightness": (lambda x: A.brightness(x, both(1.36)),
                   lambda im: ImageEnhance.Brightness(im).enhance(1.36)),
    "color": (lambda x: A.color(x, both(0.64)), lambda im: ImageEnhance.Color(im).enhance(0.64)),
    "contrast": (lambda x: A.contrast(x, both(1.36)), lambda im: ImageEnhance.Contrast(im).enhance(1.36)),
    "sharpness": (lambda x: A.sharpness(x, both(1.9)), lambda im: ImageEnhance.Sharpness(im).enhance(1.9)),
}


@pytest.mark.parametrize("name", EXACT)
def test_op_equals_pil(photos, name):
    arr, x = photos
    ours, theirs = EXACT[name]
    assert torch.allclose(ours(x), with_pil(arr, theirs), atol=0.5 / 255)


@pytest.mark.parametrize("name", WITHIN_A_LEVEL)
def test_op_is_within_a_level_of_pil(photos, name):
    arr, x = photos
    ours, theirs = WITHIN_A_LEVEL[name]
    gap = (ours(x) - with_pil(arr, theirs)).abs() * 255
    assert gap.max() < 1.5 and gap.mean() < 0.6
    assert not torch.allclose(ours(x), x, atol=1 / 255)  # the op did something


def test_shear_and_rotation_match_pil_nearly_everywhere(photos):
    arr, x = photos
    affine = lambda c: lambda im: im.transform(im.size, Image.AFFINE, c)  # noqa: E731
    cases = [(A.shear_x(x, both(0.12)), affine((1, 0.12, 0, 0, 1, 0))),
             (A.shear_y(x, both(0.12)), affine((1, 0, 0, 0.12, 1, 0))),
             (A.rotate(x, both(12)), lambda im: im.rotate(12))]
    for ours, theirs in cases:
        same = ((ours - with_pil(arr, theirs)).abs() < 0.5 / 255).float().mean()
        assert same > 0.95  # a few pixels land on the other side of a rounding boundary


@pytest.mark.parametrize("name", sorted(A.OPS))
def test_every_op_keeps_the_range_and_shape(name):
    x = images(8, 3, 16, 16)
    magnitudes = {"Posterize": both(4).repeat(4), "Solarize": both(0).repeat(4),
                  "TranslateX": torch.linspace(-7, 7, 8), "TranslateY": torch.linspace(-7, 7, 8),
                  "Rotate": torch.linspace(-30, 30, 8)}
    m = magnitudes.get(name, torch.linspace(-0.9, 0.9, 8) + (1 if name in A.ENHANCE else 0))
    out = A.OPS[name](x, m)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= 0 and out.max() <= 1


def test_geometric_ops_fill_with_the_given_value():
    x = torch.ones(1, 1, 8, 8)
    out = A.translate_x(x, torch.tensor([3.0]), fill=0.5)
    assert torch.equal(out[0, 0, :, :3], torch.full((8, 3), 0.5)) and out[0, 0, :, 3:].eq(1).all()
    assert A.translate_x(x, torch.tensor([3.0]))[0, 0, :, :3].eq(0).all()  # default: black


# --- RandAugment and AutoAugment ----------------------------------------------------------------


def test_randaugment_magnitudes_at_level_12():
    """torchvision's table at m=12 of 31 bins, for 32x32 images (the ConvMixer reference)."""
    m = A.randaugment_magnitudes(12, 31, 32)
    assert m["ShearX"] == pytest.approx(0.12) and m["Rotate"] == pytest.approx(12)
    assert m["TranslateX"] == 5  # 150/331 · 32 · 12/30 = 5.8, truncated
    assert m["Brightness"] == pytest.approx(0.36) and m["Posterize"] == 6
    assert m["Solarize"] == pytest.approx(153)
    with pytest.raises(ValueError, match="m=31"):
        A.randaugment_magnitudes(31)


def test_autoaugment_magnitudes_follow_deepvoltaires_ranges():
    assert [A.autoaugment_magnitude("Posterize", k) for k in range(10)] == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert A.autoaugment_magnitude("Solarize", 0) == 256 and A.autoaugment_magnitude("Solarize", 9) == 0
    assert A.autoaugment_magnitude("TranslateX", 9, 32) == pytest.approx(150 / 331 * 32)
    assert len(A.AUTOAUGMENT_CIFAR10) == 25 and all(len(p) == 2 for p in A.AUTOAUGMENT_CIFAR10)


@pytest.mark.parametrize("policy", [A.RandAugment(2, 12), A.AutoAugment()], ids=str)
def test_policies_give_each_image_its_own_ops_and_keep_the_range(policy):
    x = images(64, 3, 32, 32)
    out = policy(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    changed = (out - x).flatten(1).abs().amax(1) > 1e-6  # (b,)
    assert changed.float().mean() > 0.5  # most images are changed ...
    assert not changed.all() or isinstance(policy, A.RandAugment)  # AutoAugment skips some
    same = policy(x, torch.Generator().manual_seed(0))
    assert torch.equal(out, same)  # a seed fixes every draw
    differences = (out - x).flatten(1)
    assert not torch.allclose(differences[0], differences[1])  # not one transform for the batch


def test_randaugment_with_no_ops_is_the_identity():
    x = images()
    assert torch.equal(A.RandAugment(0, 12)(x), x)
    with pytest.raises(ValueError, match="n="):
        A.RandAugment(-1, 9)


def test_apply_ops_applies_the_chosen_op_to_each_image():
    x = images(3)
    out = A.apply_ops(x, torch.tensor([0, 1, -1]), torch.zeros(3), ["Invert", "Identity"])
    assert torch.equal(out[0], 1 - x[0]) and torch.equal(out[1], x[1]) and torch.equal(out[2], x[2])


def test_cutmix_pastes_one_box_from_the_permuted_images():
    x, y = images(8, 1, 16, 16), torch.arange(8)
    mixed, y_other, keep = A.cutmix(x, y, torch.Generator().manual_seed(3))
    perm = y_other  # the labels are 0..7, so the other labels are the permutation itself
    pasted = mixed != x
    box = pasted.any(0)[0]  # (h, w): where any image changed
    assert box.any() and 0 < keep < 1
    assert keep == pytest.approx(1 - box.float().mean().item(), abs=1e-6)  # λ = unpasted share
    rows, cols = box.any(1).nonzero().flatten(), box.any(0).nonzero().flatten()
    r, c = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    assert torch.equal(mixed[:, :, r, c], x[perm][:, :, r, c])


# --- batches that stay on the device ------------------------------------------------------------


def test_device_batches_are_the_dataloaders_batches():
    data = TensorDataset(torch.randn(103, 3), torch.arange(103))
    for shuffle in (True, False):
        torch.manual_seed(5)
        dataloader = loader(data, 10, shuffle, seed=7)
        theirs = [[y for _, y in dataloader] for _ in range(3)]
        after_theirs = torch.rand(2)
        torch.manual_seed(5)
        mine = DeviceBatches(data, 10, shuffle, seed=7)
        ours = [[y for _, y in mine] for _ in range(3)]
        after_ours = torch.rand(2)
        assert len(mine) == len(loader(data, 10)) == 11
        for epoch_theirs, epoch_ours in zip(theirs, ours):
            assert all(torch.equal(a, b) for a, b in zip(epoch_theirs, epoch_ours))
        assert torch.equal(after_theirs, after_ours)  # the global random stream is untouched too
    epochs = [torch.cat(e) for e in ours]
    assert not torch.equal(epochs[0], epochs[1]) or not shuffle  # a fresh order each epoch


def test_device_batches_inputs_match_labels_and_check_arguments():
    x = torch.arange(20.0)[:, None]
    for xb, yb in DeviceBatches((x, torch.arange(20)), 6, shuffle=True, seed=1):
        assert torch.equal(xb[:, 0].long(), yb)
    with pytest.raises(ValueError, match="batch_size"):
        DeviceBatches((x, torch.arange(20)), 0)
    with pytest.raises(ValueError, match="pair up"):
        DeviceBatches((x, torch.arange(19)))


def test_batched_slices_tensors_and_loads_computed_datasets():
    train, _ = digits()
    assert isinstance(batched(train, 64, shuffle=True), DeviceBatches)
    assert not isinstance(batched(CropFlip(train, 2, flip=False), 64), DeviceBatches)


def test_fit_gives_the_same_history_with_either_batcher(monkeypatch):
    from isolearn import seed
    from isolearn import train as train_module
    from isolearn.models import create

    train, test = digits()
    train = TensorDataset(*(t[:300] for t in train.tensors))

    def fit():
        seed(0)
        net = create("mixer_digits", depth=1, hidden_dim=8, tokens_mlp_dim=8, channels_mlp_dim=8)
        h = train_module.fit(net, train, test, epochs=2, batch_size=32, device=torch.device("cpu"),
                             progress=False, schedule="cosine")
        return h, torch.rand(2)

    fast, fast_after = fit()
    monkeypatch.setattr(train_module, "batched", lambda d, b, shuffle=False, seed=0, device=None:
                        loader(d, b, shuffle, seed))
    slow, slow_after = fit()
    assert fast.train_loss == slow.train_loss and fast.test_acc == slow.test_acc
    assert torch.equal(fast_after, slow_after)


def test_data_pipeline_bench_runs_at_tiny_sizes():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import data as bench_data

    table = bench_data.measure("cpu", cifar_images=64, batches=2, steps=1, repeats=1, batch=16)
    assert table.columns == bench_data.COLUMNS and len(table) == 4 + 5 + 1
    assert all(ms > 0 for ms in table.column("ms per epoch"))
    shares = [s for s in table.column("share of a ConvMixer epoch") if s != "n/a"]
    assert len(shares) == 5 and all(0 < float(s.rstrip(" %")) < 100 for s in shares)
