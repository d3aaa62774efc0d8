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
            bad = ~torch.isfinite(got) & torch.isfinite(expected)
            if bad.any():  # NaN or inf where a number was expected (e.g. 0/0 at the origin)
                where = tuple(int(i) for i in torch.nonzero(bad)[0])
                return (f"right shape, but {int(bad.sum())} value(s) are NaN or inf, the first at "
                        f"index {where} (expected {expected[where].item():.4g}, got "
                        f"{got[where].item()})")
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


# Each chapter's exercises live in their own module and register themselves on import.
from isolearn.exercises import convolution  # noqa: E402,F401  chapter 1
from isolearn.exercises import vision_transformer  # noqa: E402,F401  chapter 3
from isolearn.exercises import pyramids  # noqa: E402,F401  chapter 2
from isolearn.exercises import activations  # noqa: E402,F401  chapter 7
from isolearn.exercises import mixer  # noqa: E402,F401  chapter 4
from isolearn.exercises import convmixer  # noqa: E402,F401  chapter 5
from isolearn.exercises import measured  # noqa: E402,F401  chapter 6
from isolearn.exercises import neurons  # noqa: E402,F401  chapter 9
