"""Smoke test of the benchmark suite (bench/models.py): its tables have the right structure.

Tiny shapes, one timed run, no torch.compile; no assertion about speed (timings on a shared
machine vary), only that every table has its columns, one row per configuration, positive
throughputs, and that the equality checks ran.
"""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ sits beside isolearn/

from bench import models as bench  # noqa: E402

QUICK = dict(device="cpu", quick=True, repeats=1, warmup=0)


@pytest.fixture(scope="module")
def model_results():
    return bench.measure_models(compile=False, **QUICK)


def test_families_table(model_results):
    table = bench.families_table(model_results)
    assert table.columns == bench.FAMILY_COLUMNS
    assert len(table) == len(bench.model_configs("cpu", quick=True))
    assert set(table.column("family")) == {"ResNet (pyramid)", "ViT", "Mixer", "ConvMixer"}
    assert all(p > 0 for p in table.column("params"))
    assert all(v > 0 for c in ("fwd img/s", "fwd+bwd img/s") for v in table.column(c))
    assert set(table.column("compiled fwd img/s")) == {"n/a"}  # not compiled
    for row in table.rows:  # channels-last is timed for the conv families only
        conv = row[0] in ("ResNet (pyramid)", "ConvMixer")
        assert (row[table.columns.index("channels-last fwd img/s")] != "n/a") == conv


def test_compile_table_says_why_not(model_results):
    table = bench.compile_table(model_results)
    assert table.columns == bench.COMPILE_COLUMNS and len(table) == len(model_results)
    assert set(table.column("note")) == {"skipped (--no-compile)"}


def test_scratch_vs_fast_table_checks_then_times():
    table = bench.scratch_vs_fast_table(**QUICK)
    assert table.columns == bench.SCRATCH_COLUMNS
    ops = table.column("op")
    assert ops.count("attention vs sdpa") == len(bench.attention_shapes(quick=True))
    assert ops.count("conv2d_unfold vs conv2d") == len(bench.conv_shapes(quick=True))
    assert ops.count("conv2d_loops vs conv2d") == 1
    assert all(v > 0 for c in ("scratch ms", "fast ms", "speed-up") for v in table.column(c))
    assert all(0 <= d <= 1e-4 for d in table.column("max |diff|"))  # the check ran and passed


def test_encoder_table_agrees_with_pytorch():
    table = bench.encoder_table(**QUICK)
    assert table.columns == bench.ENCODER_COLUMNS
    assert len(table) == len(bench.encoder_shapes(quick=True))
    times = [c for c in table.columns if c.endswith("ms") or "ours/theirs" in c]
    assert all(v > 0 for c in times for v in table.column(c))
    assert all(0 <= d <= 1e-5 for d in table.column("max |diff|"))
    # PyTorch's fused inference kernel needs an even number of heads
    fused = {shape[3] % 2 == 0 for shape in table.column("b, n, d, h, L")}
    assert fused == {s == "yes" for s in table.column("fused path")}


def test_pytorch_peer_copies_the_weights_in_our_qkv_order():
    torch.manual_seed(0)
    ours = bench.our_encoder(dim=16, heads=2, depth=1).eval()
    theirs = bench.pytorch_peer(ours, dim=16, heads=2).eval()
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    assert not bench.takes_fused_path(theirs.train(), x)  # training mode: never fused
    assert bench.takes_fused_path(theirs.eval(), x)


def test_command_line_quick_run(capsys):
    threads = torch.get_num_threads()
    try:
        bench.main(["--quick", "--no-compile", "--repeats", "1", "--threads", "1", "--markdown"])
    finally:
        torch.set_num_threads(threads)  # main() sets it for the whole process
    out = capsys.readouterr().out
    assert out.startswith("device: CPU") and f"torch {torch.__version__}" in out
    titles = ("1. Model families", "2. torch.compile: skipped", "3. From scratch", "4. Our ViT")
    for title in titles:
        assert title in out
