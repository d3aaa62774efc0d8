"""Measuring models: parameters, FLOPs, the shape of every layer's output, and throughput."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from isolearn.table import Table


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (each weight and bias entry counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _cpu_sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    # The fused CPU kernel of scaled_dot_product_attention has no formula in torch's counter,
    # which then reports 0 FLOPs for attention on CPU; use the formula of the GPU kernels:
    # Q Kᵀ and (weights) V, each 2·b·h·n·m·d FLOPs.
    return sdpa_flop_count(query_shape, key_shape, value_shape)


_EXTRA_FORMULAS = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_sdpa_flops}


def count_flops(model: nn.Module, x: torch.Tensor, by_module: bool = False) -> int | dict[str, int]:
    """FLOPs of one forward pass on ``x``, counted by ``torch.utils.flop_counter``.

    The counter counts 2 FLOPs per multiply-add of convolutions and matrix products (so
    MACs = FLOPs / 2) and ignores elementwise work (activations, norms, additions, softmax).
    Attention counts 4·b·h·n²·d (Q Kᵀ and AV) on every device: we add the formula that the stock
    counter lacks for the CPU kernel. The tests check the counts against the formulas.
    ``by_module=True`` returns ``{module name: FLOPs}`` with ``""`` for the whole model.
    """
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False, custom_mapping=_EXTRA_FORMULAS)
    with torch.no_grad(), counter:
        model(x)
    model.train(was_training)
    if not by_module:
        return int(counter.get_total_flops())
    root = type(model).__name__  # the counter names modules "<root class>.<path>"
    parts = {}
    for name, ops in counter.get_flop_counts().items():
        if name == "Global":
            parts[""] = int(sum(ops.values()))
        elif name.startswith(root + "."):
            parts[name[len(root) + 1:]] = int(sum(ops.values()))
    return parts


def trace_shapes(model: nn.Module, x: torch.Tensor, leaves_only: bool = True) -> Table:
    """A table of every layer's output shape on input ``x``: (layer, type, output shape, params).

    Forward hooks record what each layer returns; the first row is the input. ``leaves_only``
    keeps the modules without children (Conv2d, ReLU, ...); ``False`` also lists the containers.
    """
    rows: list[list] = [["input", "", tuple(x.shape), 0]]
    hooks = []
    for name, module in model.named_modules():
        if module is model or (leaves_only and next(module.children(), None) is not None):
            continue

        def hook(mod, args, out, name=name):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            rows.append([name, type(mod).__name__, shape, count_params(mod)])

        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return Table(["layer", "type", "output shape", "params"], rows)


def activation_memory(model: nn.Module, x: torch.Tensor) -> int:
    """Bytes of the activations that training keeps for the backward pass, for one forward on x.

    Autograd saves some tensors of the forward pass (a layer's input, a ReLU's output, ...) to
    compute the gradients later; together with the parameters, their gradients and the optimizer's
    state, they make up training's memory, and unlike those they grow with the batch and the
    image. We record every tensor autograd saves (``torch.autograd.graph.saved_tensors_hooks``),
    count each underlying storage once, and leave out the parameters. Works on every device,
    including the CPU, where no allocator statistics exist.
    """
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            storages[storage.data_ptr()] = storage.nbytes()
        return t

    was_training = model.training
    model.train()
    try:
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(x)
    finally:
        model.train(was_training)
    return sum(storages.values())


def throughput(model: nn.Module, x: torch.Tensor, repeats: int = 10, warmup: int = 2,
               backward: bool = False, clock: Callable[[], float] = time.perf_counter) -> float:
    """Inputs per second of ``model(x)`` (forward, or forward + backward): the median of
    ``repeats`` timed runs after ``warmup`` untimed ones, synchronising the GPU around each.

    ``clock`` reads the time: wall-clock time by default. ``time.process_time`` reads the CPU
    time of this process instead, which on a shared machine leaves out the moments the other
    programs run: for single-threaded CPU work, the time an idle machine would take (it does not
    see GPU kernels, which run asynchronously)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"throughput: repeats={repeats} must be >= 1 and warmup={warmup} >= 0")
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    times = []
    for i in range(warmup + repeats):
        sync()
        start = clock()
        if backward:
            model(x).sum().backward()
        else:
            with torch.no_grad():
                model(x)
        sync()
        if i >= warmup:
            times.append(clock() - start)
    return x.shape[0] / statistics.median(times)


def best_time(fn, repeats: int = 5, threads: int | None = 1,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn()``: on a shared machine the fastest run
    is the least disturbed one. ``threads`` pins torch's CPU threads while timing (1 by default,
    which keeps small kernels from fighting over cores); ``None`` leaves them as they are.
    ``clock``: as in :func:`throughput` (``time.process_time`` for CPU time)."""
    if repeats < 1:
        raise ValueError(f"best_time: repeats={repeats} must be >= 1")
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        times = []
        for _ in range(repeats):
            start = clock()
            fn()
            times.append(clock() - start)
    finally:
        torch.set_num_threads(before)
    return min(times)


def loglog_slope(xs, ys) -> float:
    """The least-squares slope of log(y) against log(x): the exponent k of y ∝ xᵏ
    (1: linear growth, 2: quadratic)."""
    lx = torch.log(torch.as_tensor(xs, dtype=torch.float64))
    ly = torch.log(torch.as_tensor(ys, dtype=torch.float64))
    if lx.numel() < 2 or lx.shape != ly.shape:
        raise ValueError(f"loglog_slope: need two equally long sequences of at least 2 values, "
                         f"got {lx.numel()} and {ly.numel()}")
    lx, ly = lx - lx.mean(), ly - ly.mean()
    return float((lx * ly).sum() / (lx * lx).sum())
