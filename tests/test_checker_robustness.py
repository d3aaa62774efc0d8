"""The exercise checker is never fooled by an honest learner: the review's submissions, as a table.

Each row is a learner's submission (honest, wrong, a shortcut the exercise rules out, or an
attempt to break the checker) and the verdict it must get. A scenario returns its class:

0. the right verdict (a right answer passes; a wrong one fails with the message it should have);
1. the right verdict, without the hint or the detail it should give;
2. ``check`` raised instead of answering;
3. the wrong verdict (a right answer failed, or a wrong one passed), or a hang;
4. the check changed the learner's session (their random state, a later verdict).

``tests/reclassify.py`` counts the classes, also of an older checker, with the same table.
"""

from __future__ import annotations

import contextlib
import faulthandler
import inspect
import io
import math
import re
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import isolearn.attention
import isolearn.conv
from isolearn.exercises import EXERCISES, check


@dataclass
class Sub:
    group: str  # honest, wrong, shortcut, adversarial, robustness
    id: str
    scenario: Callable[[], tuple[int, str]]
    want: int = 0


def _check(name: str, fn: Callable, **options) -> Any:
    if "budget" in options and "budget" not in inspect.signature(check).parameters:
        options.pop("budget")  # an older checker: no total budget
    return check(name, fn, **options)


def verdict(name: str, fn: Callable, status: str, match: str = "", **options) -> Callable[[], tuple[int, str]]:
    """The scenario: ``check(name, fn)`` must answer with ``status`` and text matching ``match``."""
    def scenario():
        try:
            v = _check(name, fn, **options)
        except BaseException as exc:  # noqa: BLE001
            return 2, f"check raised {type(exc).__name__}: {exc}"
        text = str(v)
        if v.status != status:
            return 3, f"status {v.status!r}, want {status!r}: {text[:300]}"
        if match and not re.search(match, text):
            return 1, f"the right verdict, but it lacks {match!r}: {text[:300]}"
        return 0, text.splitlines()[0]
    return scenario


@contextlib.contextmanager
def patched(owner: Any, name: str, value: Any):
    """A learner's monkeypatch, undone after the scenario (the test suite goes on)."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


# --- right answers --------------------------------------------------------------------------------

def unfold_conv(x, weight, stride=1, padding=0):
    b, _, h, w = x.shape
    c_out, _, k_h, k_w = weight.shape
    cols = F.unfold(x, (k_h, k_w), padding=padding, stride=stride)
    out = weight.reshape(c_out, -1) @ cols
    return out.reshape(b, c_out, (h + 2 * padding - k_h) // stride + 1, (w + 2 * padding - k_w) // stride + 1)


def sdpa(q, k, v):
    return (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1) @ v


def rf(layers):
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


def shapes(layers, shape):
    c, h, w = shape
    out = []
    for layer in layers:
        if layer[0] == "conv":
            _, c, k, s, p = layer
        else:
            _, k, s = layer
            p = 0
        h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        out.append((c, h, w))
    return out


def mixer(x, block):
    y = block.norm1(x).transpose(1, 2)
    x = x + block.token_mlp(y).transpose(1, 2)
    return x + block.channel_mlp(block.norm2(x))


def iso_tanh(x):
    s = (x * x).sum(-1, keepdim=True)
    r = torch.sqrt(torch.where(s > 0, s, 1.0))
    return torch.where(s > 0, torch.tanh(r) / r, 1.0) * x


def iso_relu(x, b):
    s = (x * x).sum(-1, keepdim=True)
    r = torch.sqrt(torch.where(s > 0, s, 1.0))
    return torch.where(s > 0, torch.relu(1 - b / r), 0.0) * x


def conv_params(c_in, c_out, kernel_size, bias=True, groups=1):
    return c_out * (c_in // groups) * kernel_size ** 2 + (c_out if bias else 0)


def vit_params(img_size, patch_size, in_chans, num_classes, embed_dim, depth, mlp_ratio=4.0):
    d, hidden, n = embed_dim, int(embed_dim * mlp_ratio), (img_size // patch_size) ** 2
    block = 4 * d + 3 * d * d + 3 * d + d * d + d + d * hidden + hidden + hidden * d + d
    return (patch_size ** 2 * in_chans + 1) * d + d + (n + 1) * d + depth * block + 2 * d + (d + 1) * num_classes


def residual(x, w1, w2, stride=1):
    out = F.conv2d(F.relu(F.conv2d(x, w1, stride=stride, padding=1)), w2, padding=1)
    shortcut = x[:, :, ::stride, ::stride]
    extra = w1.shape[0] - x.shape[1]
    return F.relu(out + F.pad(shortcut, (0, 0, 0, 0, extra // 2, extra - extra // 2)))


def patchify(x, p):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, -1, p * p * c)


# --- the scenarios -------------------------------------------------------------------------------

def _in_place_scaled_q(q, k, v):
    q /= math.sqrt(q.shape[-1])
    return (q @ k.transpose(-2, -1)).softmax(-1) @ v


def _in_place_mixer(x, block):
    y = block.norm1(x).transpose(1, 2)
    x += block.token_mlp(y).transpose(1, 2)
    x += block.channel_mlp(block.norm2(x))
    return x


def _in_place_iso_tanh(x):
    s = (x * x).sum(-1, keepdim=True)
    r = torch.sqrt(torch.where(s > 0, s, 1.0))
    return x.mul_(torch.where(s > 0, torch.tanh(r) / r, 1.0))


def _reverse_then_backward(layers):  # a correct backward recursion that reverses in place
    layers.reverse()
    r = 1
    for k, s in layers:
        r = (r - 1) * s + k
    return r


def _reverse_then_forward(layers):  # a real bug: reversed, then the forward formula
    layers.reverse()
    return rf(layers)


def _pop_rf(layers):
    r, jump = 1, 1
    while layers:
        k, s = layers.pop(0)
        r += (k - 1) * jump
        jump *= s
    return r


def _pop_shapes(layers, shape):
    out = []
    while layers:
        out += shapes([layers.pop(0)], shape if not out else out[-1])
    return out


def _zero_x(x, weight, stride=1, padding=0):
    x.zero_()
    return unfold_conv(x, weight, stride, padding)


def _centre_x(x, weight, stride=1, padding=0):
    x -= x.mean()
    return unfold_conv(x, weight, stride, padding)


def _flipped_conv(x, weight, stride=1, padding=0):
    return unfold_conv(x, weight.flip(-2, -1), stride, padding)


def _endless(*args):
    while True:
        pass


def _sleeps(*args):
    time.sleep(60)


def _retry(*args):
    while True:
        try:
            time.sleep(0.5)
        except Exception:  # noqa: BLE001
            pass


def _retry_bare(*args):
    while True:
        try:
            time.sleep(0.5)
        except:  # noqa: E722
            pass


def _disarms_the_alarm(*args):
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        pass


def _exits(*args):
    import sys

    sys.exit()


def _interrupted(*args):
    raise KeyboardInterrupt


def _chatty(x, weight, stride=1, padding=0):
    for i in range(100_000):
        print("debug", i)
    return unfold_conv(x, weight, stride, padding)


def _chatty_scenario():
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        v = _check("conv2d_unfold", _chatty)
    leaked = sink.getvalue().count("\n")
    if v.status != "passed":
        return 3, f"status {v.status}: {str(v)[:200]}"
    if leaked > 20:
        return 3, f"{leaked:,} printed lines reached the notebook"
    if "500,000" not in getattr(v, "output", ""):
        return 3, f"the verdict does not say how much was printed: {getattr(v, 'output', '')[:100]!r}"
    return 0, str(v).splitlines()[0]


def _raises_keyboard_interrupt():
    try:
        _check("receptive_field", _interrupted)
    except KeyboardInterrupt:
        return 0, "KeyboardInterrupt stops the check, as in any cell"
    return 3, "the learner's Interrupt was swallowed"


class _Typo(nn.Module):
    def foward(self, x):  # noqa: D401  (a typo: torch raises NotImplementedError)
        return x


def _calls_module_with_typo(x, weight, stride=1, padding=0):
    return _Typo()(x)


def _allclose_everywhere():
    """torch.allclose patched to say yes, then zeros: no ✅, and no ✅ later for zeros either."""
    with patched(torch, "allclose", lambda *a, **k: True):
        first = _check("conv2d_unfold", lambda x, w, s=1, p=0: torch.zeros(1))
        later = _check("scaled_dot_product_attention", lambda q, k, v: torch.zeros(*q.shape[:-1], v.shape[-1]))
    if first.passed or later.passed:
        return 3, f"passed under a patched torch.allclose: {first.status}, {later.status}"
    return 0, "zeros fail under a patched torch.allclose"


def _buggy_f_conv2d():
    """F.conv2d patched with a flipped kernel ("does my conv work in a model?"): the buggy
    conv2d_unfold fails, and so does a residual_block that calls the patched F.conv2d."""
    original = F.conv2d

    def buggy(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return original(x, weight.flip(-2, -1), bias, stride, padding, dilation, groups)

    with patched(F, "conv2d", buggy):
        unfold = _check("conv2d_unfold", _flipped_conv)
        block = _check("residual_block", residual)
    if unfold.passed or block.passed:
        return 3, f"a buggy convolution passed: {unfold.status}, {block.status}"
    return 0, "the references do not use the patched F.conv2d"


def _random_state_kept():
    draws = []
    for seed in (123, 123, 456):
        torch.manual_seed(seed)
        if len(draws) != 1:  # check in between the seed and the draw, except once
            for name, fn in (("mixer_block", mixer), ("token_mixing", lambda x, m: m(x.transpose(1, 2)).transpose(1, 2))):
                _check(name, fn)
        draws.append(torch.rand(3))
    if not torch.equal(draws[0], draws[1]):
        return 4, "check changed the learner's random state"
    if torch.equal(draws[0], draws[2]):
        return 4, "check reset the learner's random state to its own seed"
    return 0, "the random state is the learner's"


def _from_import_scenario():
    """``from torch.nn.functional import conv2d`` at the top of the cell: still a shortcut."""
    namespace: dict = {}
    exec("from torch.nn.functional import conv2d\n"
         "def conv2d_unfold(x, weight, stride=1, padding=0):\n"
         "    return conv2d(x, weight, stride=stride, padding=padding)\n", namespace)
    return verdict("conv2d_unfold", namespace["conv2d_unfold"], "forbidden", "conv2d")()


def _forbidden_undone():
    _check("conv2d_unfold", lambda x, w, s=1, p=0: F.conv2d(x, w, stride=s, padding=p))
    x, w = torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3)
    if not torch.allclose(F.conv2d(x, w), unfold_conv(x, w)):
        return 4, "F.conv2d is still switched off after the check"
    return 0, "F.conv2d works again after the check"


def _on_a_thread():
    """check called off the main thread (no signals there): an endless loop still times out."""
    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(v=_check("receptive_field", _endless, timeout=0.5)),
                              daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():
        return 3, "hung on a thread"
    v = box.get("v")
    return (0, str(v)) if v is not None and v.status == "timeout" else (3, f"got {v}")


def _float64_default():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        results = [_check("conv2d_unfold", unfold_conv).passed, _check("iso_tanh", iso_tanh).passed]
    finally:
        torch.set_default_dtype(before)
    return (0, "passes with float64 as the default") if all(results) else (3, f"{results}")


def _mutating_block(x, block):
    with torch.no_grad():
        block.token_mlp[-1].weight.zero_(), block.token_mlp[-1].bias.zero_()
        block.channel_mlp[-1].weight.zero_(), block.channel_mlp[-1].bias.zero_()
    return x


def _single_where(x):  # right values, NaN gradient at 0
    s = (x * x).sum(-1, keepdim=True)
    r = torch.sqrt(s)
    return torch.where(s > 0, torch.tanh(r) / torch.where(s > 0, r, 1.0), 1.0) * x


def _eps_hack(x):
    r = x.norm(dim=-1, keepdim=True)
    return torch.tanh(r) * x / (r + 1e-8)


def _naive_iso_tanh(x):
    r = x.norm(dim=-1, keepdim=True)
    return torch.tanh(r) * x / r


def _gain_zero_small(x):
    r = x.norm(dim=-1, keepdim=True)
    return torch.where(r < 1e-3, 0.0, torch.tanh(r) / r.clamp_min(1e-3)) * x


def _identity_small(x):
    r = x.norm(dim=-1, keepdim=True)
    return torch.where(r < 0.5, x, torch.tanh(r) * x / r.clamp_min(1e-3))


def _relu_clamp(x, b):
    r = x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return torch.relu(r - b) * x / r


def _soft_threshold(x, b):
    return torch.sign(x) * torch.relu(x.abs() - b)


def _reshape_not_transpose(x, token_mlp):
    b, s, c = x.shape
    return token_mlp(x.reshape(b, c, s)).reshape(b, s, c)


def _sparse_answer(x, weight, stride=1, padding=0):
    return unfold_conv(x, weight, stride, padding).to_sparse()


def _meta_answer(x, weight, stride=1, padding=0):
    return unfold_conv(x, weight, stride, padding).to("meta")


SUBS: list[Sub] = [
    # honest answers, also those that work in place
    Sub("honest", "conv2d_unfold: F.unfold and a matrix product", verdict("conv2d_unfold", unfold_conv, "passed")),
    Sub("honest", "conv2d_unfold: a lambda", verdict("conv2d_unfold", lambda *a: unfold_conv(*a), "passed")),
    Sub("honest", "conv2d_unfold: a float64 result", verdict("conv2d_unfold", lambda *a: unfold_conv(*a).double(),
                                                          "passed")),
    Sub("honest", "conv2d_unfold: a result that requires grad",
        verdict("conv2d_unfold", lambda *a: unfold_conv(*a).requires_grad_(), "passed")),
    Sub("honest", "attention: q /= sqrt(d) in place", verdict("scaled_dot_product_attention", _in_place_scaled_q,
                                                             "passed")),
    Sub("honest", "attention: the book's formula", verdict("scaled_dot_product_attention", sdpa, "passed")),
    Sub("honest", "receptive_field: backward recursion after layers.reverse()",
        verdict("receptive_field", _reverse_then_backward, "passed")),
    Sub("honest", "receptive_field: consumes layers with pop(0)", verdict("receptive_field", _pop_rf, "passed")),
    Sub("honest", "receptive_field: a one-element tensor", verdict("receptive_field", lambda l: torch.tensor(rf(l)),
                                                                 "passed")),
    Sub("honest", "stack_shapes: consumes layers with pop(0)", verdict("stack_shapes", _pop_shapes, "passed")),
    Sub("honest", "stack_shapes: torch.Size entries",
        verdict("stack_shapes", lambda l, s: [torch.Size(t) for t in shapes(l, s)], "passed")),
    Sub("honest", "mixer_block: x += ... residuals in place", verdict("mixer_block", _in_place_mixer, "passed")),
    Sub("honest", "mixer_block: the book's solution", verdict("mixer_block", mixer, "passed")),
    Sub("honest", "iso_tanh: the book's solution", verdict("iso_tanh", iso_tanh, "passed")),
    Sub("honest", "iso_tanh: x.mul_(gain) in place", verdict("iso_tanh", _in_place_iso_tanh, "passed")),
    Sub("honest", "iso_relu: the book's solution", verdict("iso_relu", iso_relu, "passed")),
    Sub("honest", "iso_relu: clamp_min(1e-12) on the length", verdict("iso_relu", _relu_clamp, "passed")),
    Sub("honest", "conv_params: the formula", verdict("conv_params", conv_params, "passed")),
    Sub("honest", "vit_params: the formula", verdict("vit_params", vit_params, "passed")),
    Sub("honest", "residual_block: the book's solution", verdict("residual_block", residual, "passed")),
    Sub("honest", "patchify: reshape and permute", verdict("patchify", patchify, "passed")),
    Sub("wrong", "patchify: the values of a patch in (c, p1, p2) order",
        verdict("patchify", lambda x, p: x.reshape(x.shape[0], x.shape[1], x.shape[2] // p, p, x.shape[3] // p, p)
                .permute(0, 2, 4, 1, 3, 5).reshape(x.shape[0], -1, p * p * x.shape[1]), "failed", "wrong places")),
    Sub("honest", "token_mixing: transpose, MLP, transpose back",
        verdict("token_mixing", lambda x, m: m(x.transpose(1, 2)).transpose(1, 2), "passed")),
    Sub("honest", "convmixer_block: the book's solution",
        verdict("convmixer_block", lambda z, b: b.pointwise(z + b.depthwise(z)), "passed")),
    Sub("honest", "depthwise_params: the formula", verdict("depthwise_params", lambda d, k: d * k * k + d, "passed")),
    Sub("honest", "attention_macs: the formula", verdict("attention_macs", lambda n, d, L: L * 2 * n * n * d,
                                                        "passed")),
    # wrong answers get a precise message, never a pass
    Sub("wrong", "conv2d_unfold: x.zero_() then the convolution", verdict("conv2d_unfold", _zero_x, "failed")),
    Sub("wrong", "conv2d_unfold: x -= x.mean() then the convolution", verdict("conv2d_unfold", _centre_x, "failed")),
    Sub("wrong", "conv2d_unfold: a true convolution (flipped kernel)",
        verdict("conv2d_unfold", _flipped_conv, "failed", "flipped")),
    Sub("wrong", "conv2d_unfold: an int-cast result", verdict("conv2d_unfold", lambda *a: unfold_conv(*a).int(),
                                                           "failed")),
    Sub("wrong", "conv2d_unfold: all NaN", verdict("conv2d_unfold", lambda *a: unfold_conv(*a) * float("nan"),
                                                   "failed", "NaN")),
    Sub("wrong", "conv2d_unfold: a generator", verdict("conv2d_unfold", lambda *a: (i for i in range(3)), "failed",
                                                       "generator")),
    Sub("wrong", "conv2d_unfold: None", verdict("conv2d_unfold", lambda *a: None, "failed", "None")),
    Sub("wrong", "conv2d_unfold: .tolist()", verdict("conv2d_unfold", lambda *a: unfold_conv(*a).tolist(),
                                                     "failed", "list")),
    Sub("wrong", "conv2d_unfold: a numpy array", verdict("conv2d_unfold", lambda *a: unfold_conv(*a).numpy(),
                                                         "failed", "NumPy")),
    Sub("wrong", "conv2d_unfold: h and w swapped", verdict("conv2d_unfold", lambda *a: unfold_conv(*a).transpose(2, 3)
                                                           .contiguous().reshape(unfold_conv(*a).shape), "failed")),
    Sub("wrong", "conv2d_unfold: a sparse tensor (right values)", verdict("conv2d_unfold", _sparse_answer, "failed",
                                                                         "dense")),
    Sub("wrong", "conv2d_unfold: the right values on the meta device", verdict("conv2d_unfold", _meta_answer,
                                                                               "failed", "meta")),
    Sub("wrong", "conv2d_unfold: the wrong signature fn(x, weight)",
        verdict("conv2d_unfold", lambda x, weight: x, "error", "the checker calls conv2d_unfold")),
    Sub("wrong", "conv2d_unfold: torch's own NotImplementedError (a misspelled forward)",
        verdict("conv2d_unfold", _calls_module_with_typo, "error", "NotImplementedError")),
    Sub("wrong", "receptive_field: layers reversed in place, then the forward formula",
        verdict("receptive_field", _reverse_then_forward, "failed", "expected 6, got 10")),
    Sub("wrong", "receptive_field: an np.int64", verdict("receptive_field", lambda l: np.int64(rf(l)), "failed",
                                                         "NumPy")),
    Sub("wrong", "receptive_field: a float", verdict("receptive_field", lambda l: float(rf(l)), "failed",
                                                     r"use // or int")),
    Sub("wrong", "receptive_field: ignores the stride", verdict("receptive_field", lambda l: 1 + sum(k - 1 for k, _ in l),
                                                                "failed")),
    Sub("wrong", "stack_shapes: lists instead of tuples",
        verdict("stack_shapes", lambda l, s: [list(t) for t in shapes(l, s)], "failed", "tuple")),
    Sub("wrong", "stack_shapes: a numpy array", verdict("stack_shapes", lambda l, s: np.array(shapes(l, s)), "failed",
                                                        "another type")),
    Sub("wrong", "stack_shapes: a tensor", verdict("stack_shapes", lambda l, s: torch.tensor(shapes(l, s)), "failed")),
    Sub("wrong", "stack_shapes: a generator", verdict("stack_shapes", lambda l, s: iter(shapes(l, s)), "failed")),
    Sub("wrong", "mixer_block: zeroes the block's output layers, returns x",
        verdict("mixer_block", _mutating_block, "failed")),
    Sub("wrong", "mixer_block: forgets norm2",
        verdict("mixer_block", lambda x, b: (lambda u: u + b.channel_mlp(u))(
            x + b.token_mlp(b.norm1(x).transpose(1, 2)).transpose(1, 2)), "failed")),
    Sub("wrong", "attention: no scaling",
        verdict("scaled_dot_product_attention", lambda q, k, v: (q @ k.transpose(-2, -1)).softmax(-1) @ v, "failed")),
    Sub("wrong", "attention: softmax over the wrong axis",
        verdict("scaled_dot_product_attention",
                lambda q, k, v: (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-2) @ v, "failed")),
    Sub("wrong", "attention: zeros", verdict("scaled_dot_product_attention",
                                             lambda q, k, v: torch.zeros(*q.shape[:-1], v.shape[-1]), "failed")),
    Sub("wrong", "iso_tanh: naive tanh(r) x / r", verdict("iso_tanh", _naive_iso_tanh, "failed", "NaN")),
    Sub("wrong", "iso_tanh: one where, r = sqrt(s): NaN gradient at 0",
        verdict("iso_tanh", _single_where, "failed", "gradient")),
    Sub("wrong", "iso_tanh: the ε-hack tanh(r) x / (r + 1e-8)", verdict("iso_tanh", _eps_hack, "failed")),
    Sub("wrong", "iso_tanh: gain 0 below length 1e-3", verdict("iso_tanh", _gain_zero_small, "failed")),
    Sub("wrong", "iso_tanh: the identity below length 0.5", verdict("iso_tanh", _identity_small, "failed")),
    Sub("wrong", "iso_tanh: elementwise tanh", verdict("iso_tanh", torch.tanh, "failed")),
    Sub("wrong", "iso_tanh: x * 0", verdict("iso_tanh", lambda x: x * 0, "failed")),
    Sub("wrong", "iso_relu: the elementwise soft threshold", verdict("iso_relu", _soft_threshold, "failed")),
    Sub("wrong", "conv_params: ignores groups",
        verdict("conv_params", lambda c, o, k, bias=True, groups=1: o * c * k * k + (o if bias else 0), "failed")),
    Sub("wrong", "conv_params: forgets the bias, the difference is named",
        verdict("conv_params", lambda c, o, k, bias=True, groups=1: o * (c // groups) * k * k, "failed",
                r"expected 156, got 150: 6 too few[\s\S]*c_out")),
    Sub("wrong", "conv_params: np.prod (an np.int64)",
        verdict("conv_params", lambda c, o, k, bias=True, groups=1: np.prod([o, c // groups, k, k]) + (o if bias else 0),
                "failed", "NumPy")),
    Sub("wrong", "vit_params: forgets the class token (smallest ViT first, a hint)",
        verdict("vit_params", lambda *a: vit_params(*a) - a[4], "failed", r"expected 2,578[\s\S]*embed_dim")),
    Sub("wrong", "depthwise_params: forgets the bias", verdict("depthwise_params", lambda d, k: d * k * k, "failed")),
    Sub("wrong", "depthwise_params: a float", verdict("depthwise_params", lambda d, k: float(d * k * k + d), "failed",
                                                      "use // or int")),
    Sub("wrong", "convmixer_receptive_field: the answer in patches",
        verdict("convmixer_receptive_field", lambda d, k, p: 1 + d * (k - 1), "failed", "patch")),
    Sub("wrong", "equivariance_gap: g transposed",
        verdict("equivariance_gap", lambda f, g, x: (f(x @ g) - f(x) @ g).norm(dim=1).max().item(), "failed",
                r"x @ g\.T")),
    Sub("wrong", "token_mixing: reshape instead of transpose",
        verdict("token_mixing", _reshape_not_transpose, "failed", "transpose")),
    Sub("wrong", "slope: between the end points",
        verdict("slope", lambda xs, ys: (math.log(ys[-1]) - math.log(ys[0])) / (math.log(xs[-1]) - math.log(xs[0])),
                "failed")),
    Sub("wrong", "time_to_accuracy: > instead of >=",
        verdict("time_to_accuracy", lambda a, s, t: next((x for acc, x in zip(a, s) if acc > t), None), "failed")),
    # shortcuts the exercise rules out
    Sub("shortcut", "conv2d_unfold: calls F.conv2d",
        verdict("conv2d_unfold", lambda x, w, s=1, p=0: F.conv2d(x, w, stride=s, padding=p), "forbidden", "conv2d")),
    Sub("shortcut", "conv2d_unfold: `from torch.nn.functional import conv2d`", _from_import_scenario),
    Sub("shortcut", "conv2d_unfold: an nn.Conv2d module",
        verdict("conv2d_unfold", lambda x, w, s=1, p=0: nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], s, p)(x),
                "forbidden", "Conv2d")),
    Sub("shortcut", "conv2d_unfold: isolearn.conv.conv2d_unfold",
        verdict("conv2d_unfold", lambda x, w, s=1, p=0: isolearn.conv.conv2d_unfold(x, w, stride=s, padding=p),
                "forbidden", "conv2d_unfold")),
    Sub("shortcut", "conv2d_unfold: the checker's own reference",
        verdict("conv2d_unfold", lambda *a: EXERCISES["conv2d_unfold"].reference(*a), "forbidden", "reference")),
    Sub("shortcut", "attention: F.scaled_dot_product_attention",
        verdict("scaled_dot_product_attention", F.scaled_dot_product_attention, "forbidden",
                "scaled_dot_product_attention")),
    Sub("shortcut", "attention: isolearn.attention.attention",
        verdict("scaled_dot_product_attention", lambda q, k, v: isolearn.attention.attention(q, k, v), "forbidden",
                "isolearn.attention.attention")),
    Sub("shortcut", "mixer_block: return block(x)", verdict("mixer_block", lambda x, b: b(x), "forbidden", "block")),
    Sub("shortcut", "convmixer_block: return block(z)", verdict("convmixer_block", lambda z, b: b(z), "forbidden",
                                                              "block")),
    Sub("shortcut", "conv_params: counts an nn.Conv2d",
        verdict("conv_params", lambda c, o, k, bias=True, groups=1: sum(
            p.numel() for p in nn.Conv2d(c, o, k, bias=bias, groups=groups).parameters()), "forbidden", "Conv2d")),
    Sub("shortcut", "receptive_field: isolearn.conv.receptive_field",
        verdict("receptive_field", lambda l: isolearn.conv.receptive_field(l), "forbidden", "receptive_field")),
    Sub("shortcut", "iso_tanh: isolearn's isotropic_tanh",
        verdict("iso_tanh", lambda x: __import__("isolearn.activations").activations.isotropic_tanh(x), "forbidden",
                "isotropic_tanh")),
    Sub("shortcut", "slope: loglog_slope", verdict("slope", lambda xs, ys: __import__("isolearn.profile").profile
                                                   .loglog_slope(xs, ys), "forbidden", "loglog_slope")),
    Sub("shortcut", "patchify: einops.rearrange",
        verdict("patchify", lambda x, p: __import__("einops").rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)",
                                                                        p1=p, p2=p), "forbidden", "rearrange")),
    # attempts to break the checker, deliberate or not
    Sub("adversarial", "while True: pass", verdict("receptive_field", _endless, "timeout", timeout=0.5)),
    Sub("adversarial", "time.sleep(60)", verdict("receptive_field", _sleeps, "timeout", timeout=0.5)),
    Sub("adversarial", "a retry loop that catches Exception", verdict("receptive_field", _retry, "timeout", timeout=0.5)),
    Sub("adversarial", "a retry loop with a bare except", verdict("receptive_field", _retry_bare, "timeout",
                                                                 timeout=0.5)),
    Sub("adversarial", "turns the alarm off, then loops", verdict("receptive_field", _disarms_the_alarm, "timeout",
                                                                 timeout=0.5)),
    Sub("adversarial", "0.3 s per case against a 1 s budget",
        verdict("conv2d_unfold", lambda *a: (time.sleep(0.3), unfold_conv(*a))[1], "timeout", "together",
                budget=1.0)),
    Sub("adversarial", "sys.exit()", verdict("receptive_field", _exits, "error", "sys.exit")),
    Sub("adversarial", "raise KeyboardInterrupt", _raises_keyboard_interrupt),
    Sub("adversarial", "prints 100,000 lines per case, then a right answer", _chatty_scenario),
    Sub("adversarial", "torch.allclose patched to always agree", _allclose_everywhere),
    Sub("adversarial", "F.conv2d patched with a flipped kernel", _buggy_f_conv2d),
    Sub("robustness", "the learner's random state is left alone", _random_state_kept),
    Sub("robustness", "a forbidden function works again after the check", _forbidden_undone),
    Sub("robustness", "check on another thread times out", _on_a_thread),
    Sub("robustness", "float64 as torch's default dtype", _float64_default),
]


def _stub(x):
    raise NotImplementedError  # your code here


SUBS.append(Sub("robustness", "a stub that raises NotImplementedError", verdict("iso_tanh", _stub, "not implemented")))
CASES = SUBS


def classify(sub: Sub) -> tuple[int, str]:
    faulthandler.dump_traceback_later(120, exit=True)  # a hang ends the run with a traceback
    try:
        return sub.scenario()
    except BaseException as exc:  # noqa: BLE001
        return 2, f"the scenario raised {type(exc).__name__}: {exc}"
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize("sub", SUBS, ids=[f"{s.group}: {s.id}" for s in SUBS])
def test_the_checker_gives_the_right_verdict(sub: Sub):
    got, what = classify(sub)
    assert got == sub.want, what

