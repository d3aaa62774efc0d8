"""How fast are the course's models and kernels? Four tables, printed by ``python -m bench.models``.

1. **Model families**: forward and forward+backward throughput (images/s) of a pyramid CNN
   (ResNet-20 at other widths; ResNet-18 at 224 px), a ViT, an MLP-Mixer and a ConvMixer at a
   few sizes, with the speed-up of ``torch.compile`` and of the channels-last memory layout
   (conv families only).
2. **torch.compile**: how long the first (compiling) call takes, and what it buys afterwards.
3. **From scratch vs fast**: the course's readable kernels (``attention``, ``conv2d_unfold``,
   ``conv2d_loops``) against PyTorch's fused ones, after checking that both agree.
4. **Our ViT encoder vs ``nn.TransformerEncoder``**: the same weights in both, checked to give
   the same output, then timed at inference (where PyTorch may take a fused "fast path") and
   in training (forward + backward).

Every number is a median over ``--repeats`` timed runs after warm-up runs. Functions that are
compared are timed *in turns* (A, B, A, B, ...), so a disturbance on a shared machine slows
both sides alike instead of one. Options: ``--quick`` (tiny sizes, for a smoke run),
``--device cpu|cuda``, ``--repeats N``, ``--threads N``, ``--no-compile``, ``--markdown``.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

import isolearn
from isolearn.attention import attention
from isolearn.conv import conv2d_loops, conv2d_unfold
from isolearn.models import create
from isolearn.models.vit import Block
from isolearn.profile import count_params
from isolearn.table import Table

NA = "n/a"

# --- timing -------------------------------------------------------------------------------------


def synchronize(device: str | torch.device) -> None:
    """Wait for the GPU to finish its queue: CUDA calls return before the work is done, so a
    timer read without this measures only how fast Python can *launch* kernels."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def median_seconds(fns: Sequence[Callable[[], Any]], repeats: int, warmup: int,
                   device: str | torch.device) -> list[float]:
    """Median seconds of one call of each of ``fns``, timed in turns.

    Each round calls every function once (A, B, C, A, B, C, ...): ``warmup`` untimed rounds
    (first calls allocate memory, pick kernels, fill caches), then ``repeats`` timed ones. The
    median ignores the odd disturbed run, and taking turns exposes all functions to the same
    background load. The method of :func:`isolearn.profile.throughput`, for several functions.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"median_seconds: repeats={repeats} must be >= 1 and warmup={warmup} >= 0")
    times: list[list[float]] = [[] for _ in fns]
    for round_ in range(warmup + repeats):
        for fn, seconds in zip(fns, times):
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            if round_ >= warmup:
                seconds.append(time.perf_counter() - start)
    return [statistics.median(s) for s in times]


def ratio(a: float | None, b: float | None) -> float | str:
    """a / b rounded to 2 decimals, or "n/a" when either is missing."""
    return round(a / b, 2) if a is not None and b else NA


def per_second(items: int, seconds: float | None) -> int | str:
    """Throughput as a whole number of items per second (ints print with thousands separators)."""
    return round(items / seconds) if seconds else NA


def ms(seconds: float) -> float:
    """Milliseconds to 3 significant digits."""
    return float(f"{seconds * 1e3:.3g}")


# --- tables -------------------------------------------------------------------------------------


def render(table: Table, as_markdown: bool = False) -> str:
    """The table as text (``print(table)``) or as markdown."""
    return table.markdown() if as_markdown else str(table)


# --- 1 and 2: model families, torch.compile, channels-last --------------------------------------


@dataclass(frozen=True)
class ModelConfig:
    """One model to time: ``create(preset, **overrides)`` on a batch of (in_chans, side, side)."""
    family: str
    size: str
    preset: str
    overrides: dict = field(default_factory=dict)
    side: int = 32
    in_chans: int = 3
    batch: int = 32
    conv: bool = False  # a conv family: time the channels-last layout too
    compile: bool = True  # False: too slow to compile for the run (``--quick`` compiles one)


def _vit(embed_dim: int, depth: int, num_heads: int, mlp_ratio: float, side: int = 32,
         patch_size: int = 4) -> dict:
    return dict(img_size=side, patch_size=patch_size, in_chans=3, num_classes=10,
                embed_dim=embed_dim, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio)


def _mixer(hidden: int, depth: int, tokens: int, channels: int, side: int = 32,
           patch_size: int = 4) -> dict:
    return dict(img_size=side, patch_size=patch_size, in_chans=3, num_classes=10,
                hidden_dim=hidden, depth=depth, tokens_mlp_dim=tokens, channels_mlp_dim=channels)


def _convmixer(dim: int, depth: int, kernel_size: int, patch_size: int) -> dict:
    return dict(dim=dim, depth=depth, kernel_size=kernel_size, patch_size=patch_size,
                in_chans=3, num_classes=10)


def model_configs(device: str, quick: bool = False) -> list[ModelConfig]:
    """The models of table 1. ``quick``: one tiny model per family on 16x16 images (only the
    ViT compiled: compiling takes seconds to minutes per model on a CPU). Otherwise
    "small" (~0.15 M parameters) and "medium" (~0.6-0.8 M) on 32x32 RGB, CIFAR-shaped input,
    and on CUDA a 224 px ImageNet-shaped model per family too (too slow for a CPU run)."""
    R, V, M, C = "ResNet (pyramid)", "ViT", "Mixer", "ConvMixer"
    if quick:
        return [ModelConfig(R, "tiny", "resnet20", dict(widths=(4, 8, 16), img_size=16), 16,
                            batch=4, conv=True, compile=False),
                ModelConfig(V, "tiny", "vit_digits", _vit(32, 1, 2, 2.0, side=16), 16, batch=4),
                ModelConfig(M, "tiny", "mixer_digits", _mixer(32, 1, 16, 64, side=16), 16,
                            batch=4, compile=False),
                ModelConfig(C, "tiny", "convmixer_digits", _convmixer(32, 1, 3, 2), 16, batch=4,
                            conv=True, compile=False)]
    configs = [
        ModelConfig(R, "small", "resnet20", dict(widths=(12, 24, 48)), conv=True),
        ModelConfig(R, "medium", "resnet20", dict(widths=(24, 48, 96)), conv=True),
        ModelConfig(V, "small", "vit_digits", _vit(64, 4, 4, 2.0)),
        ModelConfig(V, "medium", "vit_digits", _vit(128, 6, 4, 2.0)),
        ModelConfig(M, "small", "mixer_digits", _mixer(96, 4, 64, 192)),
        ModelConfig(M, "medium", "mixer_digits", _mixer(160, 8, 64, 320)),
        ModelConfig(C, "small", "convmixer_digits", _convmixer(128, 6, 5, 2), conv=True),
        ModelConfig(C, "medium", "convmixer_256_8", _convmixer(256, 8, 5, 2), conv=True),
    ]
    if torch.device(device).type == "cuda":
        configs = [replace(c, batch=256) for c in configs]  # a GPU needs big batches
        configs += [
            ModelConfig(R, "224 px resnet18", "resnet18", {}, 224, batch=64, conv=True),
            ModelConfig(V, "224 px vit_tiny", "vit_tiny_patch16_224", {}, 224, batch=64),
            ModelConfig(M, "224 px mixer_s16 d=4", "mixer_s16_224", dict(depth=4), 224, batch=64),
            ModelConfig(C, "224 px convmixer_768 d=8", "convmixer_768_32", dict(depth=8), 224,
                        batch=64, conv=True),
        ]
    return configs


@dataclass
class ModelResult:
    """What table 1 and table 2 show for one model (seconds per batch; None: not measured)."""
    config: ModelConfig
    params: int
    forward: float
    forward_backward: float
    compiled: float | None = None
    compile_seconds: float | None = None
    compile_note: str = ""
    channels_last: float | None = None


def try_compile(model: nn.Module, x: torch.Tensor) -> tuple[Callable | None, float | None, str]:
    """``torch.compile(model)`` and its first call, which is when the compiling happens.

    Returns (compiled model, seconds of the first call, "") or (None, None, reason) when
    compiling fails: on CPU, inductor writes C++ and needs a compiler; a failure is a row of
    the table, not a crash. ``dynamic=False`` compiles for this exact shape, and
    ``torch._dynamo.reset()`` forgets earlier models, so every model compiles from scratch.
    """
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, dynamic=False)
        synchronize(x.device)
        start = time.perf_counter()
        with torch.no_grad():
            compiled(x)
        synchronize(x.device)
        return compiled, time.perf_counter() - start, ""
    except Exception as error:  # noqa: BLE001 -- any failure becomes "n/a: reason"
        first_line = (str(error).strip().splitlines() or [""])[0]
        return None, None, f"{type(error).__name__}: {first_line}"[:90]


def _train_step(model: nn.Module, x: torch.Tensor) -> None:
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()


def measure_model(config: ModelConfig, device: str, repeats: int, warmup: int,
                  compile: bool = True) -> ModelResult:
    """Time one model: forward (eval mode, no autograd) eager / compiled / channels-last, in
    turns, then forward+backward in training mode (eager only)."""
    isolearn.seed(0)
    model = create(config.preset, **config.overrides).to(device).eval()
    x = torch.randn(config.batch, config.in_chans, config.side, config.side, device=device)
    result = ModelResult(config, count_params(model), 0.0, 0.0)
    forwards = {"eager": lambda: model(x)}
    if compile and config.compile:
        compiled, result.compile_seconds, result.compile_note = try_compile(model, x)
        if compiled is not None:
            forwards["compiled"] = lambda: compiled(x)
    else:
        result.compile_note = "skipped (--no-compile)" if not compile else "skipped (--quick)"
    if config.conv:  # (b, c, h, w) stored as (b, h, w, c): what many conv kernels prefer
        model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        forwards["channels_last"] = lambda: model_cl(x_cl)
    with torch.no_grad():
        seconds = dict(zip(forwards, median_seconds(list(forwards.values()), repeats, warmup,
                                                    device)))
    result.forward = seconds["eager"]
    result.compiled, result.channels_last = seconds.get("compiled"), seconds.get("channels_last")
    model.train()
    (result.forward_backward,) = median_seconds([lambda: _train_step(model, x)], repeats,
                                                warmup, device)
    return result


def measure_models(device: str, quick: bool = False, repeats: int = 5, warmup: int = 2,
                   compile: bool = True, log: Callable[[str], None] = lambda s: None
                   ) -> list[ModelResult]:
    """:func:`measure_model` for every configuration of :func:`model_configs`."""
    results = []
    for config in model_configs(device, quick):
        log(f"  timing {config.family} {config.size} ...")
        results.append(measure_model(config, device, repeats, warmup, compile))
    return results


FAMILY_COLUMNS = ["family", "size", "params", "input", "batch", "fwd img/s", "fwd+bwd img/s",
                  "compiled fwd img/s", "compile speed-up", "channels-last fwd img/s",
                  "channels-last speed-up"]


def families_table(results: Sequence[ModelResult]) -> Table:
    """Table 1: one row per model; speed-ups are eager time / other time (> 1: faster)."""
    rows = []
    for r in results:
        c = r.config
        rows.append([c.family, c.size, r.params, f"{c.in_chans}x{c.side}x{c.side}", c.batch,
                     per_second(c.batch, r.forward), per_second(c.batch, r.forward_backward),
                     per_second(c.batch, r.compiled), ratio(r.forward, r.compiled),
                     per_second(c.batch, r.channels_last), ratio(r.forward, r.channels_last)])
    return Table(FAMILY_COLUMNS, rows, title="1. Model families: throughput (images/s)")


COMPILE_COLUMNS = ["family", "size", "first call s", "eager fwd img/s", "compiled fwd img/s",
                   "speed-up", "note"]


def compile_table(results: Sequence[ModelResult]) -> Table:
    """Table 2: the compile time (the first call) and the forward speed-up it buys."""
    rows = []
    for r in results:
        c = r.config
        first = round(r.compile_seconds, 1) if r.compile_seconds is not None else NA
        rows.append([c.family, c.size, first, per_second(c.batch, r.forward),
                     per_second(c.batch, r.compiled), ratio(r.forward, r.compiled),
                     r.compile_note or "-"])
    return Table(COMPILE_COLUMNS, rows, title="2. torch.compile vs eager, forward (inference)")


# --- 3: from scratch vs fast --------------------------------------------------------------------

SCRATCH_COLUMNS = ["op", "shape", "scratch ms", "fast ms", "speed-up", "max |diff|"]


def _checked(scratch: Callable[[], torch.Tensor], fast: Callable[[], torch.Tensor],
             atol: float, rtol: float) -> float:
    """Assert that both give the same tensor (to the tolerance); return the largest difference."""
    with torch.no_grad():
        a, b = scratch(), fast()
    torch.testing.assert_close(a, b, atol=atol, rtol=rtol)
    return float((a - b).abs().max())


def attention_shapes(quick: bool = False) -> list[tuple[int, int, int, int]]:
    """(b, h, n, d) of the attention rows: n = 64, 256, 1024 tokens (16, 64 if quick)."""
    if quick:
        return [(2, 2, 16, 8), (2, 2, 64, 8)]
    return [(32, 4, 64, 16), (8, 4, 256, 32), (2, 3, 1024, 64)]


def conv_shapes(quick: bool = False) -> list[tuple[tuple[int, ...], tuple[int, ...], int, int]]:
    """(x shape (b, c, h, w), weight shape (c_out, c, k, k), stride, padding) of the conv rows."""
    if quick:
        return [((2, 3, 8, 8), (4, 3, 3, 3), 1, 1)]
    return [((32, 16, 32, 32), (16, 16, 3, 3), 1, 1), ((32, 32, 16, 16), (64, 32, 3, 3), 2, 1),
            ((32, 3, 32, 32), (32, 3, 5, 5), 1, 2)]


LOOPS_SHAPE = ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1)  # conv2d_loops loops in Python: tiny only


def scratch_vs_fast_table(device: str, quick: bool = False, repeats: int = 5,
                          warmup: int = 2) -> Table:
    """Table 3: each from-scratch kernel against PyTorch's, checked equal before timing."""
    isolearn.seed(0)
    rows = []
    for b, h, n, d in attention_shapes(quick):
        q, k, v = (torch.randn(b, h, n, d, device=device) for _ in range(3))
        pair = (lambda: attention(q, k, v), lambda: F.scaled_dot_product_attention(q, k, v))
        rows.append(_scratch_row("attention vs sdpa", f"b={b} h={h} n={n} d={d}", pair,
                                 repeats, warmup, device))
    convs = [("conv2d_unfold vs conv2d", conv2d_unfold, s) for s in conv_shapes(quick)]
    convs.append(("conv2d_loops vs conv2d", conv2d_loops, LOOPS_SHAPE))
    for op, scratch, (x_shape, w_shape, stride, padding) in convs:
        x, w = torch.randn(x_shape, device=device), torch.randn(w_shape, device=device)
        bias = torch.randn(w_shape[0], device=device)
        pair = (lambda: scratch(x, w, bias, stride=stride, padding=padding),
                lambda: F.conv2d(x, w, bias, stride=stride, padding=padding))
        shape = (f"x {'x'.join(map(str, x_shape))}, w {'x'.join(map(str, w_shape))}, "
                 f"s{stride} p{padding}")
        rows.append(_scratch_row(op, shape, pair, repeats, warmup, device))
    return Table(SCRATCH_COLUMNS, rows, title="3. From scratch vs PyTorch's kernels (forward)")


def _scratch_row(op: str, shape: str, pair: tuple[Callable, Callable], repeats: int,
                 warmup: int, device: str) -> list:
    diff = _checked(*pair, atol=1e-4, rtol=1e-4)
    with torch.no_grad():
        scratch, fast = median_seconds(pair, repeats, warmup, device)
    return [op, shape, ms(scratch), ms(fast), ratio(scratch, fast), diff]


# --- 4: our ViT encoder vs nn.TransformerEncoder ------------------------------------------------


def our_encoder(dim: int, heads: int, depth: int) -> nn.Sequential:
    """``depth`` of our ViT blocks: x = x + attn(norm1(x)); x = x + mlp(norm2(x))."""
    return nn.Sequential(*[Block(dim, heads, mlp_ratio=4.0) for _ in range(depth)])


def pytorch_peer(ours: nn.Sequential, dim: int, heads: int) -> nn.TransformerEncoder:
    """PyTorch's encoder with the same architecture as ``ours`` and a copy of its weights.

    Pre-norm (``norm_first``), exact GELU, LayerNorm eps 1e-6 and an MLP of width 4d, as in our
    Block. Our fused ``qkv`` Linear(d, 3d) splits its output as "b n (three h e)": the first d
    outputs are the queries of all heads, then the keys, then the values, heads in order. That
    is the layout of ``in_proj_weight`` (q, k, v stacked), so the weights copy over unchanged.
    """
    layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0.0,
                                       activation="gelu", batch_first=True, norm_first=True,
                                       layer_norm_eps=1e-6)
    theirs = nn.TransformerEncoder(layer, num_layers=len(ours), enable_nested_tensor=False)
    theirs.to(next(ours.parameters()).device)
    with torch.no_grad():
        for block, their in zip(ours, theirs.layers):
            their.self_attn.in_proj_weight.copy_(block.attn.qkv.weight)  # (3d, d)
            their.self_attn.in_proj_bias.copy_(block.attn.qkv.bias)
            their.self_attn.out_proj.load_state_dict(block.attn.proj.state_dict())
            their.linear1.load_state_dict(block.mlp[0].state_dict())  # d -> 4d
            their.linear2.load_state_dict(block.mlp[2].state_dict())  # 4d -> d
            their.norm1.load_state_dict(block.norm1.state_dict())
            their.norm2.load_state_dict(block.norm2.state_dict())
    return theirs


def takes_fused_path(encoder: nn.TransformerEncoder, x: torch.Tensor) -> bool:
    """Does ``encoder(x)`` (without autograd) run PyTorch's fused inference kernel?

    ``nn.TransformerEncoderLayer.forward`` calls ``torch._transformer_encoder_layer_fwd``, one
    native function for the whole layer, only when a list of conditions holds (eval mode, no
    autograd, batch_first, an even number of heads, ...). We watch for that call.
    """
    fused, calls = torch._transformer_encoder_layer_fwd, []

    def spy(*args, **kwargs):
        calls.append(1)
        return fused(*args, **kwargs)

    torch._transformer_encoder_layer_fwd = spy
    try:
        with torch.no_grad():
            encoder(x)
    finally:
        torch._transformer_encoder_layer_fwd = fused
    return bool(calls)


def _without_fast_path(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with PyTorch's fused Transformer fast path switched off (its module-by-module
    path: Linear, MultiheadAttention, ...)."""
    def run():
        before = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            return fn()
        finally:
            torch.backends.mha.set_fastpath_enabled(before)
    return run


def encoder_shapes(quick: bool = False) -> list[tuple[int, int, int, int, int]]:
    """(batch, tokens n, width d, heads h, blocks L): ViT-Ti width (d=192, 3 heads; 4 heads too,
    which PyTorch's fast path accepts and 3 it does not) and the digits ViT width (d=64)."""
    if quick:
        return [(4, 16, 32, 2, 2), (4, 16, 48, 3, 1)]
    return [(8, 197, 192, 3, 4), (32, 197, 192, 3, 4), (8, 197, 192, 4, 4),
            (64, 16, 64, 4, 4), (64, 64, 64, 4, 4)]


ENCODER_COLUMNS = ["b, n, d, h, L", "fused path", "ours fwd ms", "theirs fwd ms",
                   "theirs unfused fwd ms", "fwd ours/theirs", "ours fwd+bwd ms",
                   "theirs fwd+bwd ms", "fwd+bwd ours/theirs", "max |diff|"]


def encoder_row(shape: tuple[int, int, int, int, int], device: str, repeats: int,
                warmup: int) -> list:
    """One row of table 4: check that both encoders agree, then time them in turns."""
    b, n, d, h, depth = shape
    isolearn.seed(0)
    ours = our_encoder(d, h, depth).to(device).eval()
    theirs = pytorch_peer(ours, d, h).eval()
    x = torch.randn(b, n, d, device=device)  # (b, n, d) tokens
    with torch.no_grad():
        a, t = ours(x), theirs(x)
    torch.testing.assert_close(a, t, atol=1e-5, rtol=1e-5)
    fused = takes_fused_path(theirs, x)
    with torch.no_grad():
        fwd = median_seconds([lambda: ours(x), lambda: theirs(x),
                              _without_fast_path(lambda: theirs(x))], repeats, warmup, device)
    ours.train()
    theirs.train()
    train = median_seconds([lambda: _train_step(ours, x), lambda: _train_step(theirs, x)],
                           repeats, warmup, device)
    return [(b, n, d, h, depth), "yes" if fused else "no", ms(fwd[0]), ms(fwd[1]), ms(fwd[2]),
            ratio(*fwd[:2]), ms(train[0]), ms(train[1]), ratio(*train),
            float((a - t).abs().max())]


def encoder_table(device: str, quick: bool = False, repeats: int = 5, warmup: int = 2) -> Table:
    """Table 4: our stacked ViT blocks vs ``nn.TransformerEncoder`` with the same weights.
    Ratios are time ours / time theirs (< 1: ours is faster)."""
    rows = [encoder_row(s, device, repeats, warmup) for s in encoder_shapes(quick)]
    return Table(ENCODER_COLUMNS, rows,
                 title="4. Our ViT encoder vs nn.TransformerEncoder (same weights)")


# --- the command line ---------------------------------------------------------------------------


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(device: str, repeats: int, warmup: int) -> str:
    """One line naming what was measured on: the device, torch, threads and the method."""
    if torch.device(device).type == "cuda":
        where = f"{torch.cuda.get_device_name()} (CUDA {torch.version.cuda}, float32, TF32 off)"
    else:
        where = f"CPU {cpu_name()}, {os.cpu_count()} cores (float32)"
    return (f"device: {where} | torch {torch.__version__} | {torch.get_num_threads()} threads | "
            f"medians of {repeats} runs after {warmup} warm-up runs")


def progress(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only the tables (for pasting)."""
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.models", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 repeats (a smoke run)")
    parser.add_argument("--device", choices=["cpu", "cuda"],
                        default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, help="timed runs per number (5; 3 if --quick)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch CPU threads (default: all cores)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available")
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.device == "cuda":  # the same float32 arithmetic as on the CPU, so results agree
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    warmup = 1 if args.quick else 2
    # A fresh inductor cache: "first call s" is the cold compile a first-time reader sees.
    cache = None
    if not args.no_compile and "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        cache = os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-inductor-")
    start = time.perf_counter()
    print(header(args.device, args.repeats, warmup) + "\n", flush=True)

    def show(table: Table) -> None:
        print(render(table, args.markdown) + "\n", flush=True)

    try:
        results = measure_models(args.device, args.quick, args.repeats, warmup,
                                 not args.no_compile, log=progress)
        show(families_table(results))
        if not args.no_compile:
            show(compile_table(results))
        else:
            print("2. torch.compile: skipped (--no-compile)\n")
        show(scratch_vs_fast_table(args.device, args.quick, args.repeats, warmup))
        show(encoder_table(args.device, args.quick, args.repeats, warmup))
    finally:
        if cache:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
