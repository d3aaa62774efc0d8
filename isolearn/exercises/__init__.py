"""Auto-checked exercises: ``check(name, fn)`` runs hidden test cases against your function.

It never raises and never hangs. A stub that raises ``NotImplementedError`` is reported as "not
implemented yet" (so a notebook with untouched exercises still runs top to bottom), an exception
in your code is shown as one line pointing at your line, and the first failing case shows its
input, what was expected and what you returned, with a hint where a common mistake explains the
difference. The verdict prints as text and renders as a coloured box in Jupyter.

What makes it fair to an honest learner, and hard to fool by accident:

- **Copies.** The expected answers are computed before your function runs, on copies of the
  inputs, and your function gets its own copies: an answer that works in place (``x += ...``,
  ``q /= d ** 0.5``, ``layers.reverse()``) is judged on what it returns.
- **Limits.** Each case has ``timeout`` seconds and all cases together ``budget`` seconds; the
  timeout is not an ``Exception`` (an ``except Exception:`` in your loop cannot swallow it) and
  fires from a watchdog thread, so it also works off the main thread and on Windows. What your
  function prints is captured; the verdict shows the first lines.
- **No tampering.** The checker took its own references to torch's functions when it was
  imported and puts them back while it computes and compares the expected answers, so a patched
  ``torch.allclose`` or ``F.conv2d`` (a test of your own code inside a model, say) changes no
  verdict. It draws its random cases from its own generators and leaves your random state as it
  was.
- **The point of the exercise.** Where an exercise asks you to write something PyTorch or the
  course already has, the library version is switched off while your function runs, and the
  verdict names it if you call it.

A checker that runs in your own kernel cannot be a sandbox: code that sets out to fool it can.
"""

from __future__ import annotations

import contextlib
import copy
import html
import importlib
import io
import math
import numbers
import re
import signal
import sys
import threading
import time
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

# --- the checker's own references, taken at import ---------------------------------------------
_allclose, _isfinite, _nonzero, _equal, _sort = torch.allclose, torch.isfinite, torch.nonzero, torch.equal, torch.sort
_conv2d = F.conv2d  # for hints


@dataclass
class Case:
    """One hidden test: the arguments for the learner's function, described for a reader."""

    args: tuple
    describe: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class Exercise:
    """An exercise: what the learner implements, the reference and its cases, and how to judge.

    ``forbid``: dotted paths of the functions the exercise asks the learner to write instead of
    calling (switched off while the learner's function runs, e.g.
    ``"torch.nn.functional.conv2d"`` or ``"torch.nn.Conv2d.__init__"``); ``sealed``: positions of
    arguments (modules) the learner must take apart rather than call (``block(x)``);
    ``gradient``: ``"equal"`` or ``"finite"`` also checks the gradient of the output with respect
    to the first argument; ``rtol``/``atol``: the tolerance for tensors; ``hint(case, got)``: a
    sentence for a recognised mistake, or None."""

    name: str
    signature: str  # what the learner implements, shown when something is off
    reference: Callable[..., Any]
    cases: Callable[[], list[Case]]
    forbid: tuple[str, ...] = ()
    sealed: tuple[int, ...] = ()
    gradient: str | None = None
    rtol: float = 1e-4
    atol: float = 1e-4
    hint: Callable[[Case, Any], str | None] | None = None


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, signature: str, reference: Callable[..., Any], forbid: tuple[str, ...] = (),
             sealed: tuple[int, ...] = (), gradient: str | None = None, rtol: float = 1e-4,
             atol: float = 1e-4, hint: Callable[[Case, Any], str | None] | None = None):
    """Register the function below (which returns the cases) as exercise ``name`` (see
    :class:`Exercise` for the options)."""
    if gradient not in (None, "equal", "finite"):
        raise ValueError(f"exercise {name}: gradient={gradient!r} must be None, 'equal' or 'finite'")

    def register(cases: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
        EXERCISES[name] = Exercise(name, signature, reference, cases, tuple(forbid), tuple(sealed),
                                   gradient, rtol, atol, hint)
        return cases
    return register


# --- the verdict -------------------------------------------------------------------------------

_ICONS = {"passed": "✅", "not implemented": "⏳"}
_CODE = re.compile(r"`([^`]+)`")
# Light and dark: the box tints its background with a translucent colour and keeps the text
# colour of the page, so it stays readable on either; the site's CSS may restyle the classes.
_STYLE = """<style>
.isolearn-verdict{border-left:4px solid var(--isolearn-verdict-accent);padding:.4em .8em;margin:.3em 0;
background:color-mix(in srgb,var(--isolearn-verdict-accent) 10%,transparent);color:inherit}
.isolearn-verdict code{font-size:.95em;padding:0 .2em;border-radius:3px;
background:color-mix(in srgb,currentColor 10%,transparent);color:inherit}
.isolearn-verdict pre{margin:.4em 0 0 0;white-space:pre-wrap;overflow-wrap:anywhere;background:transparent;
color:inherit}
.isolearn-verdict--passed{--isolearn-verdict-accent:#2da44e}
.isolearn-verdict--not-implemented{--isolearn-verdict-accent:#bf8700}
.isolearn-verdict--failed,.isolearn-verdict--error,.isolearn-verdict--timeout,.isolearn-verdict--forbidden,
.isolearn-verdict--unknown{--isolearn-verdict-accent:#cf222e}
</style>"""


@dataclass
class Verdict:
    """The outcome of :func:`check`: ``status`` is one of passed, failed, error, not implemented,
    timeout, forbidden or unknown; ``passed`` is True only when every case passed. ``output``
    holds the first lines the learner's function printed."""

    name: str
    status: str
    message: str
    detail: str = ""
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        icon = _ICONS.get(self.status, "❌")
        text = f"{icon} {self.name}: {self.message}" + (f"\n{self.detail}" if self.detail else "")
        return text + (f"\n{self.output}" if self.output else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        icon = _ICONS.get(self.status, "❌")
        code = lambda text: _CODE.sub(r"<code>\1</code>", html.escape(text))  # noqa: E731
        detail = f"<pre>{code(self.detail)}</pre>" if self.detail else ""
        output = f'<pre class="isolearn-verdict__output">{html.escape(self.output)}</pre>' if self.output else ""
        kind = self.status.replace(" ", "-")
        return (f'{_STYLE}<div class="isolearn-verdict isolearn-verdict--{kind}" role="status">'
                f"<b>{icon} {html.escape(self.name)}</b>: {code(self.message)}{detail}{output}</div>")


# --- describing and comparing answers ----------------------------------------------------------

def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if type(value).__module__ == "numpy":
        kind = "a NumPy array" if hasattr(value, "shape") and value.shape else "a NumPy number"
        return f"{value!r} ({kind})"
    return f"{value!r} ({type(value).__name__})"


def _plain(value: Any) -> Any:
    """Lists for tuples and NumPy values for Python ones, to tell "right values, wrong type"."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if type(value).__module__ == "numpy":
        return _plain(value.tolist())
    if isinstance(value, torch.Size):
        return list(value)
    return value


def _type_hint(expected: Any, got: Any) -> str:
    if type(got).__module__ == "numpy":
        return "return plain Python values: int(...), float(...) or .tolist()"
    if isinstance(expected, list) and expected and isinstance(expected[0], tuple):
        return "each entry must be a tuple, e.g. tuple(shape), not a list"
    if isinstance(expected, tuple):
        return "return a tuple, not a list"
    return f"return a {type(expected).__name__}"


def _tensor_difference(ex: Exercise, expected: torch.Tensor, got: Any) -> str | None:
    if not isinstance(got, torch.Tensor):
        if type(got).__module__ == "numpy" and hasattr(got, "shape"):
            return (f"expected a tensor of shape {tuple(expected.shape)}, got a NumPy array of shape "
                    f"{tuple(got.shape)}: return a tensor (torch.as_tensor(...), or stay in torch)")
        return f"expected a tensor of shape {tuple(expected.shape)}, got {_describe(got)}"
    where = ""
    got = got.detach()
    if got.layout != torch.strided:
        got, where = got.to_dense(), f" (and it is {got.layout}: return a dense tensor, .to_dense())"
    if got.device.type == "meta":
        return f"your answer is on the meta device, which holds no values: compute it on {expected.device}"
    if got.device != expected.device:
        where = f" (and it is on {got.device}, not on the input's device {expected.device})"
        got = got.cpu()
    if got.shape != expected.shape:
        return f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}{where}"
    if got.is_complex() or got.dtype == torch.bool:
        return f"expected real numbers ({expected.dtype}), got {got.dtype}{where}"
    g, e = got.double(), expected.double()
    if _allclose(g, e, rtol=ex.rtol, atol=ex.atol, equal_nan=False):
        return f"right values{where}: return it as the inputs come" if where else None
    bad = ~_isfinite(g) & _isfinite(e)
    if bad.any():  # NaN or inf where a number was expected (e.g. 0/0 at the origin)
        at = tuple(int(i) for i in _nonzero(bad)[0])
        return (f"right shape, but {int(bad.sum())} value(s) are NaN or inf, the first at index {at} "
                f"(expected {e[at].item():.4g}, got {g[at].item()})")
    err = (g - e).abs() - ex.rtol * e.abs()  # how far beyond the tolerance
    at = tuple(int(i) for i in _nonzero(err == err.max())[0])
    text = (f"right shape, wrong values: largest error {(g - e).abs()[at].item():.3g} at index {at} "
            f"(expected {e[at].item():.4g}, got {g[at].item():.4g})")
    if _equal(_sort(g.flatten()).values, _sort(e.flatten()).values) or _allclose(
            _sort(g.flatten()).values, _sort(e.flatten()).values, rtol=ex.rtol, atol=ex.atol):
        text += ("\nhint:     the right values in the wrong places: a reshape or view where a "
                 "transpose or permute is needed?")
    return text


def _count_hint(case_values: dict[str, Any], diff: int, params: bool = True) -> str:
    """"8 = 1 × embed_dim (embed_dim=8)": the difference of two counts as a small multiple, a
    square or a product of the case's sizes, the shape of what is missing or extra."""
    values = {k: v for k, v in case_values.items() if isinstance(v, int) and not isinstance(v, bool) and v > 1}
    n, found = abs(diff), []
    for k in (1, 2, 3, 4):
        found += [f"{k} × {name} ({name}={v:,})" for name, v in values.items() if n == k * v]
    found += [f"{name}² ({name}={v:,})" for name, v in values.items() if n == v * v]
    names = list(values)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            found += [f"{k} × {a} × {b}" for k in (1, 2) if n == k * values[a] * values[b]]
    if not found:
        return ""
    what = "a vector (a bias, a norm, a token) or a matrix of that size" if params else "a term of that size"
    return f"{n:,} = " + ", or ".join(found[:3]) + f": {what} is " + ("extra" if diff > 0 else "missing")


def _difference(ex: Exercise, case: Case, expected: Any, got: Any) -> str | None:
    """None if ``got`` matches ``expected``; else a sentence saying how it differs."""
    if isinstance(expected, torch.Tensor):
        return _tensor_difference(ex, expected, got)
    if isinstance(expected, bool) or expected is None or not isinstance(expected, (int, float)):
        if type(got) is type(expected) and got == expected:
            return None
        if isinstance(got, torch.Tensor) or (expected is None) != (got is None):
            return f"expected {_describe(expected)}, got {_describe(got)}"
        right = _plain(got) == _plain(expected)
        text = f"expected {_describe(expected)}, got {_describe(got)}"
        if right:
            text += f"\nhint:     the right values, of another type: {_type_hint(expected, got)}"
        return text
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if type(got).__module__ == "numpy" and isinstance(got, numbers.Number):
        if got == expected:
            return (f"expected the {type(expected).__name__} {expected!r}, got {_describe(got)}: the "
                    f"right number, as NumPy's type; return {type(expected).__name__}(...)")
        got = got.item()
    if isinstance(expected, int) and isinstance(got, float) and got == expected:
        return f"expected the int {expected}, got the float {got!r}: use // or int(...)"
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return f"expected {_describe(expected)}, got {_describe(got)}"
    if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
        return None
    if isinstance(expected, int) and isinstance(got, int):
        diff = got - expected
        text = (f"expected {expected:,}, got {got:,}: {abs(diff):,} too "
                f"{'many' if diff > 0 else 'few'}")
        hint = _count_hint(_named(ex, case), diff, params="param" in ex.name)
        return text + (f"\nhint:     {hint}" if hint else "")
    return f"expected {expected!r}, got {got!r}"


def _named(ex: Exercise, case: Case) -> dict[str, Any]:
    """The case's arguments by the names in the exercise's signature."""
    inside = ex.signature[ex.signature.find("(") + 1: ex.signature.find(")")]
    names = [p.split("=")[0].strip().lstrip("*") for p in inside.split(",") if p.strip()]
    return {**dict(zip(names, case.args)), **case.kwargs}


# --- running the learner's function ------------------------------------------------------------

class _Timeout(BaseException):
    """Not an Exception: ``except Exception`` in the learner's code cannot swallow it."""


class _Forbidden(BaseException):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class _Watchdog:
    """Stops the learner's function ``seconds`` from now, and keeps stopping it until it is done.

    On the main thread (where signal handlers run) a watchdog thread sends SIGALRM at the
    deadline and every 0.2 s after, which also wakes a ``time.sleep``; from the first alarm on,
    every new line of the learner's code raises :class:`_Timeout` as well, so that a bare
    ``except:`` in a retry loop cannot hold on. Elsewhere (another thread, Windows) a trace
    function checks the clock at every line of the learner's code. Neither ever raises inside
    the checker's own code, so its clean-up always runs. A single long native call (one huge
    matrix product, a ``time.sleep`` off the main thread) finishes before the verdict.
    """

    def __init__(self, seconds: float):
        self.seconds, self.done, self.lock = seconds, threading.Event(), threading.Lock()
        self.finished = False  # a plain flag: the handler and tracer must not call into threading
        self.deadline = time.monotonic() + seconds
        self.target = threading.get_ident()
        self.signals = (threading.current_thread() is threading.main_thread()
                        and hasattr(signal, "pthread_kill") and hasattr(signal, "SIGALRM"))

    def _foreign(self, frame) -> bool:
        return not self.finished and frame is not None and frame.f_globals.get("__name__") != __name__

    def _tracer(self, frame, event, arg):
        """Raise on a new line of the learner's code (not on an "exception" event: raising there
        would replace the exception inside its own ``try``)."""
        if not self._foreign(frame):
            return None
        if event == "line" and (self.signals or time.monotonic() > self.deadline):
            raise _Timeout()
        return self._tracer

    def _handler(self, signum, frame):
        if not self._foreign(frame):
            return  # the learner's code has returned: nothing to stop
        sys.settrace(self._tracer)
        f = frame
        while self._foreign(f):
            f.f_trace = self._tracer
            f = f.f_back
        raise _Timeout()

    def _watch(self) -> None:
        if self.done.wait(self.seconds):
            return
        while True:
            with self.lock:
                if self.done.is_set():
                    return
                signal.pthread_kill(self.target, signal.SIGALRM)
            if self.done.wait(0.2):
                return

    def __enter__(self):
        self.trace = sys.gettrace()
        if self.signals:
            self.previous = signal.signal(signal.SIGALRM, self._handler)
            threading.Thread(target=self._watch, daemon=True, name="isolearn-check-watchdog").start()
        else:
            sys.settrace(self._tracer)
        return self

    def __exit__(self, *exc):
        self.finished = True
        sys.settrace(self.trace)
        with self.lock:
            self.done.set()
        if self.signals:
            signal.signal(signal.SIGALRM, self.previous)
        return False


class _Output(io.TextIOBase):
    """Keeps the first ``keep`` lines written to it and counts the rest."""

    def __init__(self, keep: int = 8):
        self.keep, self.lines, self.count, self.partial = keep, [], 0, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        parts = (self.partial + text).split("\n")
        self.partial = parts.pop()
        for line in parts:
            self.count += 1
            if len(self.lines) < self.keep:
                self.lines.append(line[:300])
        return len(text)

    def summary(self) -> str:
        count = self.count + bool(self.partial)
        if not count:
            return ""
        lines = self.lines + ([self.partial[:300]] if self.partial and len(self.lines) < self.keep else [])
        more = f"\n... and {count - len(lines):,} more line(s)" if count > len(lines) else ""
        return (f"your function printed {count:,} line(s){', the first:' if more else ':'}\n  "
                + "\n  ".join(lines) + more)


def _resolve(path: str) -> tuple[Any, str]:
    """("torch.nn.functional.conv2d") -> (the module torch.nn.functional, "conv2d")."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:-1]:
            owner = getattr(owner, part)
        return owner, parts[-1]
    raise ValueError(f"forbid: cannot import {path!r}")


@contextlib.contextmanager
def _forbidden(paths: tuple[str, ...], namespace: dict | None, called: list[str]) -> Iterator[None]:
    """Replace each function of ``paths`` (and every name bound to it in ``namespace``, the
    learner's globals) by one that records the call and raises :class:`_Forbidden`."""
    undo: list[Callable[[], None]] = []
    try:
        for path in paths:
            try:
                owner, name = _resolve(path)
                original = getattr(owner, name)
            except (ValueError, AttributeError):
                continue  # an optional library (or an old torch) without it

            def blocked(*args, _path=path, **kwargs):
                called.append(_path)
                raise _Forbidden(_path)

            had = name in vars(owner)
            setattr(owner, name, blocked)
            undo.append(lambda o=owner, n=name, v=original, h=had: setattr(o, n, v) if h else delattr(o, n))
            for key, value in list((namespace or {}).items()):
                if value is original:
                    namespace[key] = blocked
                    undo.append(lambda k=key, v=value: namespace.__setitem__(k, v))
        yield
    finally:
        for step in reversed(undo):
            step()


class _Pristine:
    """The functions of torch (and of isolearn) as they were when the checker was imported.

    ``restored()`` puts back any that were replaced since (``torch.allclose = ...``), for the
    time the checker computes expected answers and compares, then puts the replacements back."""

    MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.nn.init", "torch._C._nn", "math",
               "einops", "isolearn.activations", "isolearn.attention", "isolearn.conv", "isolearn.patches",
               "isolearn.profile", "isolearn.models.cnn", "isolearn.models.mixer", "isolearn.models.vit",
               "isolearn.models.convmixer")

    def __init__(self):
        self.saved: list[tuple[Any, dict[str, Any]]] = []
        owners: list[Any] = [torch.Tensor, getattr(torch._C, "TensorBase", torch.Tensor)]
        for name in self.MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            owners.append(module)
            owners += [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, nn.Module)
                       and v.__module__.startswith(("torch.nn", "isolearn"))]
        for owner in dict.fromkeys(owners):
            attrs = {k: v for k, v in vars(owner).items()
                     if callable(v) and not isinstance(v, types.ModuleType)}
            self.saved.append((owner, attrs))

    @contextlib.contextmanager
    def restored(self) -> Iterator[None]:
        changed = []
        for owner, attrs in self.saved:
            now = vars(owner)
            for name, value in attrs.items():
                if now.get(name) is not value:
                    changed.append((owner, name, name in now, now.get(name)))
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(owner, name, value)
        try:
            yield
        finally:
            for owner, name, existed, value in reversed(changed):
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(owner, name, value) if existed else delattr(owner, name)


def _code_of(fn: Callable) -> types.CodeType | None:
    for candidate in (fn, getattr(fn, "func", None), getattr(fn, "__call__", None), getattr(fn, "forward", None)):
        code = getattr(candidate, "__code__", None)
        if code is not None:
            return code
    return None


def _your_line(exc: BaseException, fn: Callable) -> str:
    """' (line 3 of your function: `return n // s`)' for the deepest frame in the learner's code."""
    code = _code_of(fn)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if code and f.filename == code.co_filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.lineno - code.co_firstlineno + 1
    source = (frame.line or "").strip()
    return f" (line {line} of your function" + (f": `{source}`)" if source else ")")


def _is_stub(exc: NotImplementedError, fn: Callable) -> bool:
    """The stub's own ``raise NotImplementedError``, not one raised by torch (an unsupported op,
    a misspelled ``forward``)."""
    code = _code_of(fn)
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or code is None or frames[-1].filename != code.co_filename:
        return False
    line = frames[-1].line or ""
    return "NotImplementedError" in line if line else not str(exc)


def _seal(module: Any, what: str, called: list[str]) -> None:
    """Make calling ``module(...)`` itself raise, leaving its parts usable."""
    if isinstance(module, nn.Module):
        def blocked(*args, **kwargs):
            called.append(what)
            raise _Forbidden(what)
        module.forward = blocked


@dataclass
class _Run:
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    forbidden: str | None = None


def _call(ex: Exercise, fn: Callable, args: tuple, kwargs: dict, seconds: float, output: _Output,
          namespace: dict | None) -> _Run:
    called: list[str] = []
    for i in ex.sealed:
        if i < len(args):
            _seal(args[i], f"{type(args[i]).__name__}.forward (calling the block itself, `block(x)`)", called)
    run = _Run()
    reference = ex.reference

    def blocked(*a, **k):  # the checker's own answer is not the learner's either
        called.append(f"EXERCISES[{ex.name!r}].reference")
        raise _Forbidden("reference")

    try:
        ex.reference = blocked
        with _forbidden(ex.forbid, namespace, called), contextlib.redirect_stdout(output), \
                contextlib.redirect_stderr(output):
            with _Watchdog(seconds):
                run.value = fn(*args, **kwargs)
    except _Timeout:
        run.timed_out = True
    except _Forbidden:
        pass
    except KeyboardInterrupt:
        raise  # the learner pressed Interrupt: stop, as any cell does
    except BaseException as exc:  # noqa: BLE001  (SystemExit, the learner's bugs, ...: a verdict)
        run.error = exc
    finally:
        ex.reference = reference
    run.forbidden = called[0] if called else None
    return run


def _gradient(x: torch.Tensor, f: Callable[[torch.Tensor], Any], weights: torch.Tensor):
    """d/dx of sum(weights · f(x)) at x (a non-leaf copy goes in, so in-place answers run)."""
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        out = f(leaf.clone())
        if not isinstance(out, torch.Tensor) or out.grad_fn is None:
            return None, out
        (grad,) = torch.autograd.grad((out * weights.to(out.dtype)).sum(), leaf)
    return grad, out


# --- check ---------------------------------------------------------------------------------------

def check(name: str, fn: Callable, timeout: float = 10.0, budget: float = 60.0) -> Verdict:
    """Run exercise ``name``'s hidden cases against ``fn``; return (and display) a :class:`Verdict`.

    ``timeout``: seconds per case; ``budget``: seconds for all cases together."""
    if name not in EXERCISES:
        import difflib

        close = difflib.get_close_matches(str(name), EXERCISES, n=3) or sorted(EXERCISES)
        return Verdict(str(name), "unknown", f"no exercise of that name; did you mean {', '.join(close)}?")
    ex = EXERCISES[name]
    if not callable(fn) or isinstance(fn, type):
        return Verdict(name, "error", f"pass your function itself, not {_describe(fn)}: "
                                      f"check({name!r}, your_function)", f"implement {ex.signature}")
    for path in ex.forbid:  # the library function itself, passed as the answer
        with contextlib.suppress(ValueError, AttributeError):
            owner, attr = _resolve(path)
            if getattr(owner, attr) is fn:
                return Verdict(name, "forbidden", f"you passed `{path}` itself, which this exercise asks "
                               "you to write yourself", f"implement {ex.signature}")
    try:
        prepared = _prepare(ex)
    except Exception as exc:  # noqa: BLE001  (a bug of the checker itself, never the learner's)
        return Verdict(name, "error", f"the checker's own reference failed ({type(exc).__name__}: {exc}); "
                                      "this is a bug in isolearn, please report it")
    output = _Output()
    try:
        verdict = _judge(ex, fn, prepared, timeout, budget, output)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001  (never raise)
        verdict = Verdict(name, "error", f"the checker could not judge your answer ({type(exc).__name__}: "
                                         f"{str(exc).splitlines()[0] if str(exc) else ''})")
    verdict.output = output.summary()
    return verdict


def _prepare(ex: Exercise) -> list[tuple[Case, Any, Any]]:
    """(case, expected answer, expected gradient) for every case, computed with torch's own
    functions, on copies, and without touching the learner's random state."""
    prepared = []
    with _PRISTINE.restored(), torch.random.fork_rng(devices=[]):
        for case in ex.cases():
            args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
            expected = ex.reference(*args, **kwargs)
            if isinstance(expected, torch.Tensor):
                expected = expected.detach()
            grad = None
            if ex.gradient and isinstance(expected, torch.Tensor):
                weights = _weights(expected)
                rest = copy.deepcopy(case.args[1:])
                grad, _ = _gradient(case.args[0], lambda x: ex.reference(x, *rest, **case.kwargs), weights)
            prepared.append((case, expected, grad))
    return prepared


def _weights(expected: torch.Tensor) -> torch.Tensor:
    gen = torch.Generator().manual_seed(11)
    return torch.randn(expected.shape, generator=gen, dtype=torch.float64).to(expected.dtype)


def _judge(ex: Exercise, fn: Callable, prepared: list, timeout: float, budget: float, output: _Output) -> Verdict:
    name, start = ex.name, time.perf_counter()
    namespace = getattr(fn, "__globals__", None)
    for number, (case, expected, grad) in enumerate(prepared, 1):
        left = budget - (time.perf_counter() - start)
        if left <= 0:
            return Verdict(name, "timeout", f"the cases took longer than {budget:g} s together (a limit "
                           f"for all {len(prepared)} cases); is something very slow?", f"input: {case.describe}")
        args = tuple(copy.deepcopy(a) for a in case.args)  # each its own copy: no two share memory
        run = _call(ex, fn, args, copy.deepcopy(case.kwargs), min(timeout, left), output, namespace)
        if run.timed_out and left < timeout and not run.forbidden:
            return Verdict(name, "timeout", f"the cases took longer than {budget:g} s together (a limit "
                           f"for all {len(prepared)} cases); is something very slow?", f"input: {case.describe}")
        verdict = _outcome(ex, fn, run, number, case, min(timeout, left))
        if verdict is not None:
            return verdict
        with _PRISTINE.restored():
            try:
                problem = _difference(ex, case, expected, run.value)
            except Exception as exc:  # noqa: BLE001  (an answer the comparison cannot handle)
                problem = (f"your answer could not be compared with the expected one: "
                           f"{type(exc).__name__}: {exc}; expected {_describe(expected)}, got "
                           f"{_describe(run.value)}")
            if problem and ex.hint is not None:
                with contextlib.suppress(Exception):
                    extra = ex.hint(case, run.value)
                    problem += f"\nhint:     {extra}" if extra else ""
        if problem:
            return Verdict(name, "failed", f"case {number} of {len(prepared)} is wrong",
                           f"input:    {case.describe}\nproblem:  {problem}")
        if ex.gradient and grad is not None:
            verdict = _check_gradient(ex, fn, case, grad, number, len(prepared), min(timeout, left), output,
                                      namespace)
            if verdict is not None:
                return verdict
    return Verdict(name, "passed", f"all {len(prepared)} cases pass. Well done!")


def _outcome(ex: Exercise, fn: Callable, run: _Run, number: int, case: Case, seconds: float) -> Verdict | None:
    """The verdict when the learner's function did not return normally (or called a shortcut)."""
    name = ex.name
    if run.forbidden:
        return Verdict(name, "forbidden", f"case {number}: your function calls `{run.forbidden}`, which "
                       "this exercise asks you to write yourself", f"implement {ex.signature}")
    if run.timed_out:
        return Verdict(name, "timeout", f"case {number} took longer than {seconds:g} s; is there a loop "
                       "that never ends?", f"input: {case.describe}")
    exc = run.error
    if exc is None:
        return None
    if isinstance(exc, NotImplementedError) and _is_stub(exc, fn):
        return Verdict(name, "not implemented", "not implemented yet: replace the "
                       "`raise NotImplementedError` with your code and run this cell again",
                       f"implement {ex.signature}")
    if isinstance(exc, SystemExit):
        return Verdict(name, "error", f"case {number}: your function called `sys.exit()` (or `exit()`); "
                       "return the answer instead", f"input: {case.describe}")
    message = str(exc).splitlines()[0] if str(exc) else ""
    hint = ""
    if isinstance(exc, TypeError) and re.search(r"positional argument|keyword argument", message):
        hint = f"\nthe checker calls {ex.signature}"
    return Verdict(name, "error", f"case {number} raised {type(exc).__name__}: {message}{_your_line(exc, fn)}",
                   f"input: {case.describe}{hint}")


def _check_gradient(ex: Exercise, fn: Callable, case: Case, expected: torch.Tensor, number: int, total: int,
                    seconds: float, output: _Output, namespace: dict | None) -> Verdict | None:
    """Gradients must flow through the answer, finite, and (``"equal"``) equal the reference's."""
    name, rest = ex.name, copy.deepcopy(case.args[1:])
    weights = _weights(expected)
    holder: dict[str, Any] = {}

    def backward():
        holder["grad"], holder["out"] = _gradient(case.args[0], lambda x: fn(x, *rest, **case.kwargs), weights)

    run = _call(ex, lambda: backward(), (), {}, seconds, output, namespace)
    verdict = _outcome(ex, fn, run, number, case, seconds)
    if verdict is not None and run.error is None:
        return verdict
    detail = f"input:    {case.describe}\nproblem:  "
    if run.error is not None:
        if isinstance(run.error, RuntimeError) and "inplace operation" in str(run.error):
            return None  # an in-place answer: its values are right; autograd cannot say more
        message = str(run.error).splitlines()[0] if str(run.error) else ""
        return Verdict(name, "failed", f"case {number} of {total}: the values are right, but the gradient fails",
                       detail + f"backward through your function raised {type(run.error).__name__}: {message}")
    grad = holder.get("grad")
    if grad is None:
        return Verdict(name, "failed", f"case {number} of {total}: the values are right, but no gradient "
                       "flows through them", detail + "the output does not depend on x for autograd: no "
                       "`.detach()`, `.item()`, NumPy or `torch.no_grad()` in an activation")
    with _PRISTINE.restored():
        bad = ~_isfinite(grad)
        if bad.any():
            at = tuple(int(i) for i in _nonzero(bad)[0])
            return Verdict(name, "failed", f"case {number} of {total}: the values are right, but the gradient "
                           "is NaN or inf", detail + f"{int(bad.sum())} gradient entries are NaN or inf, the "
                           f"first at index {at}: a square root or a division at 0 (√0 has an infinite "
                           "slope, and 0 · inf = NaN); keep them away from 0, as the chapter's double "
                           "`torch.where` does")
        if ex.gradient == "equal" and not _allclose(grad.double(), expected.double(), rtol=1e-3, atol=1e-5):
            err = (grad.double() - expected.double()).abs()
            at = tuple(int(i) for i in _nonzero(err == err.max())[0])
            return Verdict(name, "failed", f"case {number} of {total}: the values are right, but the gradient "
                           "is not", detail + f"the gradient differs most at index {at} (expected "
                           f"{expected[at].item():.4g}, got {grad[at].item():.4g}): a formula that is right "
                           "in value but not in slope, e.g. an ε added to a length")
    return None


_PRISTINE = _Pristine()

# Each chapter's exercises live in their own module and register themselves on import.
from isolearn.exercises import convolution  # noqa: E402,F401  chapter 1
from isolearn.exercises import vision_transformer  # noqa: E402,F401  chapter 3
from isolearn.exercises import pyramids  # noqa: E402,F401  chapter 2
from isolearn.exercises import activations  # noqa: E402,F401  chapter 7
from isolearn.exercises import mixer  # noqa: E402,F401  chapter 4
from isolearn.exercises import convmixer  # noqa: E402,F401  chapter 5
from isolearn.exercises import measured  # noqa: E402,F401  chapter 6
from isolearn.exercises import representations  # noqa: E402,F401  chapter 8
from isolearn.exercises import neurons  # noqa: E402,F401  chapter 9
