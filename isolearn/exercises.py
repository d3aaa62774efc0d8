"""Auto-checked exercises: ``check(name, fn)`` runs hidden test cases against your function.

It never raises. A stub that raises ``NotImplementedError`` is reported as "not implemented yet"
(so a notebook with untouched exercises still runs top to bottom), an exception in your code is
shown as one line pointing at your line, and the first failing case shows its input, what was
expected and what you returned. The verdict prints as text and renders as a coloured box in Jupyter.
"""

from __future__ import annotations

import html
import math
import signal
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F

from isolearn.conv import conv_output_size, receptive_field


@dataclass
class Case:
    """One hidden test: the arguments for the learner's function, described for a reader."""

    args: tuple
    describe: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class Exercise:
    name: str
    signature: str  # what the learner implements, shown when something is off
    reference: Callable[..., Any]
    cases: Callable[[], list[Case]]


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, signature: str, reference: Callable[..., Any]):
    """Register the function below (which returns the cases) as exercise ``name``."""
    def register(cases: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
        EXERCISES[name] = Exercise(name, signature, reference, cases)
        return cases
    return register


@dataclass
class Verdict:
    """The outcome of :func:`check`: ``status`` is one of passed, failed, error, not implemented,
    timeout or unknown; ``passed`` is True only when every case passed."""

    name: str
    status: str
    message: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        icon = {"passed": "✅", "not implemented": "⏳"}.get(self.status, "❌")
        return f"{icon} {self.name}: {self.message}" + (f"\n{self.detail}" if self.detail else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "not implemented": "#7d6608"}.get(self.status, "#b3261e")
        icon = {"passed": "✅", "not implemented": "⏳"}.get(self.status, "❌")
        detail = (f'<pre style="margin:0.4em 0 0 0;white-space:pre-wrap">{html.escape(self.detail)}</pre>'
                  if self.detail else "")
        return (f'<div style="border-left:4px solid {colour};padding:0.4em 0.8em;margin:0.3em 0">'
                f"<b>{icon} {html.escape(self.name)}</b>: {html.escape(self.message)}{detail}</div>")


class _Timeout(Exception):
    pass


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"{value!r} ({type(value).__name__})"


def _difference(expected: Any, got: Any) -> str | None:
    """None if ``got`` matches ``expected``; else a sentence saying how it differs."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"expected a tensor of shape {tuple(expected.shape)}, got {_describe(got)}"
        if got.shape != expected.shape:
            return f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
        if not torch.allclose(got.double(), expected.double(), rtol=1e-4, atol=1e-4):
            err = (got.double() - expected.double()).abs()
            where = tuple(int(i) for i in torch.nonzero(err == err.max())[0])
            return (f"right shape, wrong values: largest error {err.max().item():.3g} at index {where} "
                    f"(expected {expected[where].item():.4g}, got {got[where].item():.4g})")
        return None
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        return None if got == expected else f"expected {_describe(expected)}, got {_describe(got)}"
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(expected, int) and isinstance(got, float) and got == expected:
        return f"expected the int {expected}, got the float {got!r}: use // or int(...)"
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return f"expected {_describe(expected)}, got {_describe(got)}"
    if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
        return f"expected {expected!r}, got {got!r}"
    return None


def _your_line(exc: BaseException, fn: Callable) -> str:
    """' (your line 3: `return n // s`)' for the deepest traceback frame in the learner's code."""
    code = getattr(fn, "__code__", None)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if code and f.filename == code.co_filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = code and frame.lineno - code.co_firstlineno + 1
    source = (frame.line or "").strip()
    return f" (line {line} of your function" + (f": `{source}`)" if source else ")")


def _call(fn: Callable, case: Case, timeout: float) -> Any:
    """Call ``fn`` on a case, interrupting it after ``timeout`` seconds where signals allow."""
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not use_alarm:
        return fn(*case.args, **case.kwargs)

    def _raise(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn(*case.args, **case.kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(name: str, fn: Callable, timeout: float = 10.0) -> Verdict:
    """Run exercise ``name``'s hidden cases against ``fn``; return (and display) a :class:`Verdict`."""
    if name not in EXERCISES:
        import difflib

        close = difflib.get_close_matches(str(name), EXERCISES, n=3) or sorted(EXERCISES)
        return Verdict(str(name), "unknown", f"no exercise of that name; did you mean {', '.join(close)}?")
    ex = EXERCISES[name]
    if not callable(fn):
        return Verdict(name, "error", f"pass your function itself, not {_describe(fn)}: "
                                      f"check({name!r}, your_function)", f"implement {ex.signature}")
    cases = ex.cases()
    for number, case in enumerate(cases, 1):
        try:
            got = _call(fn, case, timeout)
        except NotImplementedError:
            return Verdict(name, "not implemented", "not implemented yet: replace the "
                           "`raise NotImplementedError` with your code and run this cell again",
                           f"implement {ex.signature}")
        except _Timeout:
            return Verdict(name, "timeout", f"case {number} took longer than {timeout:g} s; is there "
                           "a loop that never ends?", f"input: {case.describe}")
        except Exception as exc:  # the learner's bug: one line, not a wall of traceback
            message = str(exc).splitlines()[0] if str(exc) else ""
            return Verdict(name, "error", f"case {number} raised {type(exc).__name__}: {message}"
                           f"{_your_line(exc, fn)}", f"input: {case.describe}")
        expected = ex.reference(*case.args, **case.kwargs)
        problem = _difference(expected, got)
        if problem:
            return Verdict(name, "failed", f"case {number} of {len(cases)} is wrong",
                           f"input:    {case.describe}\nproblem:  {problem}")
    return Verdict(name, "passed", f"all {len(cases)} cases pass. Well done!")


# --- chapter 1: convolution -------------------------------------------------------------------

@exercise("output_size", "output_size(n, kernel_size, stride, padding, dilation) -> int",
          conv_output_size)
def _output_size_cases() -> list[Case]:
    settings = [(8, 3, 1, 0, 1), (8, 3, 1, 1, 1), (7, 3, 2, 1, 1), (28, 5, 1, 2, 1), (32, 3, 2, 0, 1),
                (9, 3, 1, 0, 2), (10, 4, 3, 1, 1), (224, 16, 16, 0, 1), (15, 5, 2, 3, 2), (5, 5, 1, 0, 1)]
    return [Case(s, "n={}, kernel_size={}, stride={}, padding={}, dilation={}".format(*s)) for s in settings]


def _conv2d_reference(x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0):
    return F.conv2d(x, weight, stride=stride, padding=padding)


@exercise("conv2d_unfold", "conv2d_unfold(x, weight, stride, padding) -> (b, c_out, h', w')",
          _conv2d_reference)
def _conv2d_unfold_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(1)
    cases = []
    for b, c_in, c_out, h, w, k, s, p in [(1, 1, 1, 5, 5, 3, 1, 0), (2, 3, 4, 7, 7, 3, 1, 1),
                                          (2, 3, 2, 9, 8, 3, 2, 1), (1, 2, 5, 6, 10, 5, 1, 2),
                                          (3, 4, 3, 8, 8, 1, 2, 0)]:
        x = torch.randn(b, c_in, h, w, generator=gen)
        weight = torch.randn(c_out, c_in, k, k, generator=gen)
        cases.append(Case((x, weight, s, p), f"x: {tuple(x.shape)}, weight: {tuple(weight.shape)}, "
                                             f"stride={s}, padding={p}"))
    return cases


@exercise("receptive_field", "receptive_field(layers: list of (kernel, stride)) -> int", receptive_field)
def _receptive_field_cases() -> list[Case]:
    stacks = [[(3, 1)], [(3, 1), (3, 1)], [(3, 1)] * 5, [(5, 1), (2, 2)], [(3, 1), (2, 2), (3, 1)],
              [(3, 2), (3, 2), (3, 2)], [(7, 2), (3, 2), (3, 1), (3, 1)], [(1, 1), (1, 1)], []]
    return [Case((stack,), f"layers={stack}") for stack in stacks]
