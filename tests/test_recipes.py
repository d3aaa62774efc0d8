"""The GPU recipes (isolearn.recipes), run on the CPU through the path a GPU takes.

Every recipe trains on fake data of its real shapes for a few batches: device-resident batches,
its batched augmentation, its schedule set before every step, its mixed-precision context
(bfloat16 autocast on the CPU) and channels-last memory where it asks for it. No accuracy is
measured on fake data; the tests check that the path runs, that the loss is finite, that the
accuracy is computed and that the schedule passes through its knots.
"""

import math
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from isolearn import recipes
from isolearn.data import DeviceBatches
from isolearn.models import create

NAMES = recipes.names()
CPU = torch.device("cpu")


class Spy:
    """Wraps a recipe's model builder: records the dtype a layer computes in and the memory
    format of the batches the model receives, and counts the augmentation steps' calls."""

    def __init__(self, recipe):
        self.recipe, self.dtypes, self.channels_last, self.calls = recipe, set(), set(), 0

    def build(self, **options):
        model = self.recipe.with_options(**options).build_model()
        first = next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d)))
        first.register_forward_hook(lambda m, args, out: self.dtypes.add(out.dtype) if m.training else None)

        def remember_layout(module, args):
            x = args[0]
            if x.dim() == 4 and module.training:
                self.channels_last.add(x.is_contiguous(memory_format=torch.channels_last))
        model.register_forward_pre_hook(remember_layout)
        return model

    def step(self, step):
        spy = self

        class Counted:
            def __str__(self):
                return str(step)

            def __call__(self, x, generator=None):
                spy.calls += 1
                return step(x, generator)
        return Counted()


def spied(name, **changes):
    r = recipes.get(name)
    spy = Spy(r)
    return replace(r, model=spy.build, model_options={}, augment=tuple(spy.step(s) for s in r.augment),
                   **changes), spy


@pytest.mark.parametrize("name", NAMES)
def test_recipe_runs_on_the_gpu_path_with_fake_data(name):
    r = recipes.get(name)
    recipe, spy = spied(name, batch_size=2)
    result = recipes.train(recipes.prepare(recipe, fake_data=True, limit=4, device=CPU), epochs=1,
                           progress=False)
    h = result.history
    assert result.fake_data and result.train_images == 4 and len(result.lrs) == 2  # 2 batches of 2
    assert all(math.isfinite(v) for v in h.train_loss + h.test_loss)
    if r.objective == "classify":
        assert 0 <= h.test_acc[-1] <= 1 and 0 <= h.train_acc[-1] <= 1  # computed, not NaN
    assert spy.calls == 2 * len(r.augment)  # every step on every batch
    expected = {torch.bfloat16} if r.precision == "fp16" else {torch.float32}
    assert spy.dtypes == expected, f"{name}: {r.precision} computed in {spy.dtypes}"
    if r.channels_last:
        assert spy.channels_last == {True}
    steps = [r.schedule.time(s, 2) for s in range(2)]
    assert result.times == steps and result.lrs == [r.schedule(t, 1) for t in steps]
    assert "FAKE data" in result.summary() and "%" not in result.summary()  # no accuracy shown


def test_the_path_keeps_batches_on_the_device_and_normalises_the_test_set_once():
    r = recipes.get("convmixer_256_8_cifar10")
    p = recipes.prepare(r, fake_data=True, limit=8, device=CPU)
    assert isinstance(p.batches(), DeviceBatches)
    raw = recipes.prepare(replace(r, normalize=None), fake_data=True, limit=8, device=CPU)
    mean, std = (torch.tensor(v).reshape(3, 1, 1) for v in r.normalize)
    assert torch.allclose(p.x_test, (raw.x_test - mean) / std)
    assert torch.equal(p.x_train, raw.x_train)  # the training set is normalised per batch
    batch = p.transform(raw.x_train, torch.Generator().manual_seed(0))
    assert batch.mean().abs() < 1 and 0.5 < batch.std() < 2  # normalised after augmentation


def test_he_et_al_subtract_the_mean_image_before_the_crop():
    r = recipes.get("resnet20_cifar10")
    p = recipes.prepare(r, fake_data=True, limit=64, device=CPU)
    assert p.mean.shape == (3, 32, 32) and p.std is None
    assert torch.allclose(p.x_train.mean(0), torch.zeros(3, 32, 32), atol=1e-6)  # normalised first


def tiny_model(channels=3):
    """A very small classifier, so that long schedules run in a moment on the same path."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(4 * channels, 10))


@pytest.mark.parametrize("name", NAMES)
def test_the_loop_sets_the_schedule_and_passes_its_knots(name):
    """8 epochs of 2 steps with a tiny model: every knot of the schedule falls on a step."""
    r = recipes.get(name)
    recipe = replace(r, model=tiny_model, model_options={"channels": r.spec.shape[0]}, batch_size=2,
                     objective="classify")  # the tiny model classifies, whatever the recipe does
    result = recipes.train(recipes.prepare(recipe, fake_data=True, limit=4, device=CPU), epochs=8,
                           progress=False)
    lr_at = dict(zip(result.times, result.lrs))
    knots = [(t, lr) for t, lr in r.schedule.knots(8) if result.times[0] <= t <= result.times[-1]]
    assert len(knots) >= min(2, len(r.schedule.knots(8))), f"{name}: knots outside the run"
    assert all(t in lr_at for t, _ in knots), f"{name}: a knot falls between steps: {knots}"
    for t, lr in knots:
        assert lr_at[t] == pytest.approx(lr, abs=1e-12), f"{name}: lr {lr_at[t]} at t={t}, knot {lr}"


@pytest.mark.parametrize("name", NAMES)
def test_schedule_over_the_full_run_reaches_every_knot(name):
    """At the recipe's real length: the first step at or after each knot has the knot's
    rate, up to what one step changes."""
    r = recipes.get(name)
    steps = math.ceil(r.spec.train / r.batch_size)
    times = [r.schedule.time(s, steps) for s in range(r.epochs * steps)]
    lrs = [r.schedule(t, r.epochs) for t in times]
    one_step = max(abs(a - b) for a, b in zip(lrs, lrs[1:])) if len(lrs) > 1 else 0.0
    for t, lr in r.schedule.knots(r.epochs):
        first = next(i for i, s in enumerate(times) if s >= t - 1e-12)
        assert abs(lrs[first] - lr) <= one_step + 1e-12, (name, t, lr, lrs[first])


def test_step_decay_is_torchs_multistep_at_he_et_als_iterations():
    r = recipes.get("resnet20_cifar10")
    steps = 4  # per epoch (the real run has 391; a few keep the comparison quick)
    total = r.epochs * steps
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    theirs = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[total // 2, total * 3 // 4], gamma=0.1)
    for s in range(total):
        ours = r.schedule(r.schedule.time(s, steps), r.epochs)
        assert ours == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12), s
        opt.step()
        theirs.step()
    at = lambda step: r.schedule(r.schedule.time(step, 391), r.epochs)  # noqa: E731
    assert r.epochs * 391 == 64_124  # 164 epochs of 391 batches: the paper's 64k iterations
    assert (at(32_061), at(32_062), at(48_092), at(48_093)) == pytest.approx((0.1, 0.01, 0.01, 0.001))


def test_warmup_cosine_is_the_references_warmup_then_torchs_cosine():
    """omihub777's GradualWarmupScheduler(multiplier=1, total_epoch=5) + CosineAnnealingLR, both
    stepped once per epoch: lr·e/5 for epochs 0..5, then the cosine from its start."""
    sched = recipes.get("vit_cifar10").schedule
    epochs = 200
    opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=1e-5)
    reference = [1e-3 * e / 5 for e in range(6)] + [1e-3]  # epochs 0..6
    for _ in range(epochs - 7):
        opt.step()
        cosine.step()
        reference.append(opt.param_groups[0]["lr"])
    ours = [sched(sched.time(e * 391, 391), epochs) for e in range(epochs)]
    assert ours == pytest.approx(reference, rel=1e-9)
    assert ours[0] == 0  # the reference's first epoch takes no step at all


def test_cosine_is_fits_cosine_schedule():
    sched, steps, epochs = recipes.get("race_cifar10_vit").schedule, 391, 15
    opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=3e-3)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    for s in range(epochs * steps):
        assert sched(sched.time(s, steps), epochs) == pytest.approx(opt.param_groups[0]["lr"], abs=1e-15)
        opt.step()
        theirs.step()


def test_convmixer_recipe_is_the_reference_scripts_925_settings():
    """REFERENCE.md and locuslab/convmixer-cifar10's README: --lr-max=0.05 --ra-n=2 --ra-m=12
    --wd=0.005 --scale=1.0 --jitter=0 --reprob=0, batch 512, AdamW, 25 epochs, fp16."""
    r = recipes.get("convmixer_256_8_cifar10")
    assert (r.model, r.epochs, r.batch_size, r.optimizer, r.weight_decay, r.precision) == (
        "convmixer_256_8", 25, 512, "adamw", 0.005, "fp16")
    assert [str(s) for s in r.augment] == ["flip", "RandAugment(n=2, m=12)"]
    assert r.normalize == ((0.4914, 0.4822, 0.4465), (0.2471, 0.2435, 0.2616)) and not r.cutmix
    steps = 98  # ceil(50,000 / 512)
    lr = [r.schedule(r.schedule.time(s, steps), 25) for s in range(25 * steps)]
    # the script: np.interp(epoch + (i + 1) / steps, [0, 10, 20, 25], [0, 0.05, 0.0025, 0])
    assert lr[0] == pytest.approx(0.05 / 10 / steps) and lr[10 * steps - 1] == pytest.approx(0.05)
    assert lr[20 * steps - 1] == pytest.approx(0.0025) and lr[-1] == 0
    assert recipes.params(r) == 594_186


def test_he_et_al_recipe():
    r = recipes.get("resnet20_cifar10")
    assert (r.optimizer, r.momentum, r.weight_decay, r.batch_size, r.epochs) == ("sgd", 0.9, 1e-4, 128, 164)
    assert r.schedule.lr == 0.1 and r.schedule.milestones == (Fraction(1, 2), Fraction(3, 4))
    assert [str(s) for s in r.augment] == ["crop (pad 4)", "flip"] and r.reference_accuracy == 0.9125
    short = recipes.get("resnet20_cifar10_short")
    assert short.shortened_from == r.name and short.epochs < r.epochs and "shortened" in short.title


def test_mixer_reference_widths_and_its_parameter_puzzle():
    """main.py's defaults (D_S=64, D_C=512) give 1.13 M parameters; the README's 0.67 M is what
    the swapped widths give (the recipe's differences say so)."""
    r = recipes.get("mixer_cifar10")
    assert recipes.params(r) == 1_132_170
    swapped = create("mixer_s16_224", **{**r.model_options, "tokens_mlp_dim": 512, "channels_mlp_dim": 64})
    assert round(sum(p.numel() for p in swapped.parameters()) / 1e6, 2) == 0.67
    assert "0.67 M" in r.differences


def test_training_flops_are_three_forwards_per_image_and_epoch():
    from isolearn.profile import count_flops

    r = recipes.get("resnet20_cifar10")
    forward = count_flops(create("resnet20"), torch.zeros(1, 3, 32, 32))
    assert recipes.training_flops(r) == 3 * forward * 50_000 * 164
    assert recipes.t4_estimate(r) == recipes.training_flops(r) / (recipes.T4_ASSUMED_TFLOPS["fp32"] * 1e12)


def test_precision_context():
    fp16 = recipes.Precision("fp16", CPU)
    with fp16.autocast():
        assert nn.Linear(2, 2)(torch.ones(1, 2)).dtype == torch.bfloat16  # fp16 is slow on a CPU
    assert fp16.scaler is None and str(fp16) == "bf16 autocast"
    with recipes.Precision("fp32", CPU).autocast():
        assert nn.Linear(2, 2)(torch.ones(1, 2)).dtype == torch.float32


def test_cutmix_and_smoothing_to_the_other_classes_run():
    recipe, _ = spied("mixer_cifar10", batch_size=2, cutmix=1.0, smoothing_to_others=True)
    result = recipes.train(recipes.prepare(recipe, fake_data=True, limit=4, device=CPU), epochs=1,
                           progress=False)
    assert all(math.isfinite(v) for v in result.history.train_loss)
    out, y = torch.randn(5, 10), torch.arange(5)
    r = recipes.get("vit_cifar10")  # 0.9 on the label, 0.1 / 9 on each other class
    target = torch.full((5, 10), 0.1 / 9)
    target[torch.arange(5), y] = 0.9
    expected = -(target * out.log_softmax(1)).sum(1).mean()
    assert recipes._loss(r, out, y, 10) == pytest.approx(expected.item(), rel=1e-6)


def test_a_new_recipe_is_a_few_lines():
    """How chapters 8-10 add theirs: here an MNIST autoencoder (objective "reconstruct")."""
    def autoencoder(width=8):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 784),
                             nn.Unflatten(1, (1, 28, 28)))

    recipe = recipes.register(recipes.Recipe(
        name="test_autoencoder_mnist", chapter=8, title="a test autoencoder", data="mnist",
        model=autoencoder, model_label="784-8-784", epochs=2, batch_size=4, optimizer="adam",
        schedule=recipes.Constant(1e-3), objective="reconstruct"))
    try:
        assert "test_autoencoder_mnist" in recipes.names()
        result = recipes.run("test_autoencoder_mnist", fake_data=True, limit=8, device=CPU, progress=False)
        assert math.isfinite(result.history.test_loss[-1]) and math.isnan(result.history.train_acc[-1])
        assert "test_autoencoder_mnist" in recipes.table().column("recipe")
        with pytest.raises(ValueError, match="exists already"):
            recipes.register(recipe)
    finally:
        recipes._RECIPES.pop("test_autoencoder_mnist")


def test_bad_recipes_and_names_say_what_is_wrong():
    with pytest.raises(ValueError, match="did you mean .*convmixer_256_8_cifar10"):
        recipes.get("convmixer_cifar10")
    good = recipes.get("race_cifar10_vit")
    with pytest.raises(ValueError, match="optimizer='lion'"):
        replace(good, optimizer="lion")
    with pytest.raises(ValueError, match="batch_size=0"):
        replace(good, batch_size=0)
    with pytest.raises(ValueError, match="no preset"):
        recipes.register(replace(good, name="x", model="resnet21"))
    with pytest.raises(ValueError, match="epochs=0"):
        recipes.run("race_cifar10_vit", epochs=0)
    with pytest.raises(ValueError, match="limit=-1"):
        recipes.prepare(good, fake_data=True, limit=-1)
    with pytest.raises(ValueError, match="family='CNN'"):
        recipes.race_contender("CNN")


def test_table_lists_every_recipe_with_its_reference_and_an_estimate():
    t = recipes.table()
    assert t.column("recipe") == NAMES
    assert all(p > 0 for p in t.column("params"))
    assert all(s.startswith("~") for s in t.column("T4 time (estimate)"))
    detail = recipes.table(detail=True)
    assert "RandAugment(n=2, m=12)" in detail.column("augmentation")[NAMES.index("convmixer_256_8_cifar10")]
    text = recipes.get("convmixer_256_8_cifar10").describe()
    assert "92.5 %" in text and "estimate" in text and "594,186" in text


def test_runs_table_and_plot_never_show_fake_accuracy():
    import matplotlib

    matplotlib.use("Agg")
    result = recipes.run("race_cifar10_vit", epochs=1, fake_data=True, limit=8, device=CPU, progress=False)
    assert recipes.runs_table([result]).column("test acc") == ["fake data"]
    axes = result.plot()
    assert "FAKE DATA" in axes[0].figure._suptitle.get_text()
    assert not [line for line in axes[1].lines if "reference" in str(line.get_label())]


def test_command_line(capsys):
    assert recipes.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES) and "ESTIMATES" in out
    recipes.main(["race_cifar10_vit", "--fake-data", "--limit", "8", "--epochs", "1", "--device", "cpu"])
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "FAKE data" in captured.out  # the one-line summary
    assert "race_cifar10_vit (chapter 6)" in captured.err  # what will run, before it runs
    for argv, message in ((["resnet20"], "no recipe named 'resnet20'"), ([], "name a recipe"),
                          (["race_cifar10_vit", "--epochs", "0"], "--epochs must be a positive")):
        with pytest.raises(SystemExit) as exit_:
            recipes.main(argv)
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_gpu_bench_writes_its_table_on_the_cpu():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import gpu

    table = gpu.measure(["race_cifar10_vit", "bottleneck_mnist"], epochs=2, limit=8, device=CPU)
    assert table.columns == gpu.COLUMNS and len(table) == 2
    for row in table.rows:
        values = dict(zip(table.columns, row))
        assert values["last epoch s"] > 0 and values["train img/s"] > 0 and 0 < values["data share %"] < 100
    header = gpu.header(CPU)
    assert "torch " + torch.__version__ in header and "cpu" in header


def test_chapter8_autoencoder_recipe_runs_and_starts_alike_for_both_activations():
    """The MNIST autoencoder: an image out for an image in, the same orthogonal start whatever
    the activation (so that only the activation differs), and plain gradient descent."""
    r = recipes.get("autoencoder_mnist")
    assert r.objective == "reconstruct" and r.optimizer == "sgd" and r.momentum == 0.0
    starts = []
    for act in ("tanh", "iso_tanh"):
        torch.manual_seed(0)
        model = r.with_options(act=act, width=16, bottleneck=4).build_model()
        assert model(torch.rand(3, 1, 28, 28)).shape == (3, 1, 28, 28)
        starts.append([p.detach() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*starts))
    first = starts[0][0]  # (16, 784): orthonormal rows
    assert torch.allclose(first @ first.T, torch.eye(16), atol=1e-5)
    result = recipes.run(r.with_options(width=16, bottleneck=4), epochs=2, fake_data=True, limit=8,
                         device=CPU, progress=False)
    assert math.isfinite(result.history.test_loss[-1])
    with pytest.raises(ValueError, match="pixels=780"):
        recipes.autoencoder_mlp(pixels=780)


def test_chapter10_comparison_runs_every_family_and_variant_with_fake_data():
    table = recipes.isotropy_comparison(epochs=1, fake_data=True, limit=4, device=CPU)
    assert [row[:2] for row in table.rows] == [[f, v] for f in recipes.ISOTROPY_SHAPES
                                              for v in recipes.ISOTROPY_VARIANTS]
    assert all(row[3] is None for row in table.rows)  # fake data: no accuracy shown
    model = recipes.isotropy_contender("ConvMixer", "iso_tanh_scaled", "rms")
    assert model.config.norm == "rms" and model.config.dim == 256
    with pytest.raises(ValueError, match="family='CNN' must be one of"):
        recipes.isotropy_contender("CNN")
