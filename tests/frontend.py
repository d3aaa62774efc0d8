"""A small Jupyter front end for tests: run code in a real kernel and work its widgets as a
browser does, with whichever ipywidgets the kernel has (7.7 on Colab, 8.1 in the book's env).

A browser keeps a copy of every widget's state from the kernel's ``comm`` messages, shows each
``Output`` widget's outputs (the kernel sets the widget's ``msg_id``; every output whose parent
message has that id goes into the widget instead of the cell), and when the reader moves a
control it sends the kernel a ``comm_msg`` with the new state. :class:`Frontend` does the same
over jupyter_client, so a test can build an explorer, move a control and see what the reader
would see. Used by tests/test_explorers_live.py and by the Colab replica (tests/colab/).
"""

from __future__ import annotations

import os
import tempfile
from queue import Empty

from jupyter_client.manager import KernelManager

WIDGET = "application/vnd.jupyter.widget-view+json"
# Controls a reader can move, by how they carry their value (ipywidgets 7 and 8 alike).
CHOICES = {"DropdownModel", "SelectionSliderModel", "RadioButtonsModel", "ToggleButtonsModel",
           "SelectModel"}  # sync `index` into `_options_labels`
RANGES = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"}  # `value` in [min, max]
NUMBERS = {"IntTextModel", "FloatTextModel", "BoundedIntTextModel", "BoundedFloatTextModel"}
TOGGLES = {"CheckboxModel", "ToggleButtonModel"}
# Models that show things or hold layout, not controls.
PASSIVE = {"HTMLModel", "HTMLMathModel", "LabelModel", "OutputModel", "ImageModel",
           "ProgressModel", "IntProgressModel", "FloatProgressModel", "ButtonModel"}


class KernelError(AssertionError):
    """Code run by the front end raised, or the kernel logged an error: the message has both."""


class Frontend:
    """A kernel (``kernel_name``, started with ``env`` added to this process's environment, in
    ``cwd``) with a browser's bookkeeping: ``models`` (comm id -> widget state) and
    ``outputs`` (Output widget's comm id -> its outputs, as a browser would show them)."""

    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None,
                 kernel_name: str = "python3", timeout: float = 120):
        self.timeout = timeout
        self.log = tempfile.TemporaryFile()  # the kernel's own stdout and stderr
        self.km = KernelManager(kernel_name=kernel_name)
        self.km.start_kernel(env={**os.environ, **(env or {})}, cwd=cwd,
                             stdout=self.log, stderr=self.log)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=timeout)
        self.models: dict[str, dict] = {}
        self.outputs: dict[str, list[dict]] = {}
        self._clear_pending: set[str] = set()

    # --- talking to the kernel ----------------------------------------------------------------

    def execute(self, code: str, allow_errors: bool = False) -> list[dict]:
        """Run ``code``; returns the outputs the cell itself shows (not those routed into
        Output widgets). Raises :class:`KernelError` if the code raised, unless
        ``allow_errors`` (then the error is one of the outputs)."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        return self._until_idle(msg_id, code, allow_errors)

    def send_state(self, model_id: str, state: dict) -> list[dict]:
        """What the browser sends when the reader moves a control: the control's new state."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": state, "buffer_paths": []}})
        self.kc.shell_channel.send(msg)
        self.models[model_id].update(state)
        return self._until_idle(msg["header"]["msg_id"], f"moving {self.describe(model_id)}")

    def _until_idle(self, msg_id: str, what: str, allow_errors: bool = False) -> list[dict]:
        shown: list[dict] = []
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=self.timeout)
            except Empty:
                raise KernelError(f"no reply within {self.timeout} s to {what}\n{self.kernel_log()}")
            self._handle(msg, shown)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"):
                break
        errors = [o for o in shown if o["output_type"] == "error"]
        if errors and not allow_errors:
            raise KernelError(f"{what} raised:\n" + "\n".join(
                "\n".join(e["traceback"]) for e in errors) + self.kernel_log())
        return shown

    def _handle(self, msg: dict, shown: list[dict]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.models[content["comm_id"]] = dict(content["data"].get("state", {}))
            return
        if kind == "comm_msg":
            data = content["data"]
            if data.get("method") in ("update", "echo_update"):
                self.models.setdefault(content["comm_id"], {}).update(data.get("state", {}))
            return
        if kind not in ("stream", "display_data", "execute_result", "error", "clear_output"):
            return
        parent = msg["parent_header"].get("msg_id")
        target = next((m for m, s in self.models.items()
                       if s.get("_model_name") == "OutputModel" and s.get("msg_id") == parent
                       and parent), None)
        if target is None:
            shown.append({"output_type": kind, **content})
            return
        outputs = self.outputs.setdefault(target, [])
        if kind == "clear_output":
            if content.get("wait"):
                self._clear_pending.add(target)
            else:
                outputs.clear()
            return
        if target in self._clear_pending:
            outputs.clear()
            self._clear_pending.discard(target)
        outputs.append({"output_type": kind, **content})

    def kernel_log(self) -> str:
        self.log.seek(0)
        text = self.log.read().decode(errors="replace").strip()
        return f"\n--- the kernel's log ---\n{text[-4000:]}" if text else ""

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self.log.close()
        del self.kc  # now, not at interpreter exit, where jupyter_client 7 logs an error

    def __enter__(self) -> "Frontend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the widget tree ----------------------------------------------------------------------

    def describe(self, model_id: str) -> str:
        state = self.models.get(model_id, {})
        name = state.get("description") or ""
        return f"{state.get('_model_name', '?')}({name!r})"

    def tree(self, model_id: str) -> list[str]:
        """``model_id`` and every widget below it (children, depth first)."""
        found = [model_id]
        for child in self.models[model_id].get("children", []):
            found += self.tree(child.removeprefix("IPY_MODEL_"))
        return found

    def controls(self, root: str) -> list[str]:
        """The controls under ``root`` that a reader can move, in display order. Raises if one
        is of a kind this front end does not know how to move."""
        found = []
        for m in self.tree(root):
            state = self.models[m]
            kind = state.get("_model_name", "")
            if kind in CHOICES | RANGES | NUMBERS | TOGGLES:
                if not state.get("disabled"):
                    found.append(m)
            elif kind not in PASSIVE and ("value" in state or "index" in state):
                raise AssertionError(f"tests/frontend.py cannot move a {kind} yet: add it to one "
                                     f"of CHOICES, RANGES, NUMBERS or TOGGLES (and to moved())")
        return found

    def moved(self, model_id: str) -> dict:
        """A new state for the control: the next option, the other end of a range, the number
        plus one step, the other side of a toggle."""
        state = self.models[model_id]
        kind = state["_model_name"]
        if kind in CHOICES:
            n, index = len(state["_options_labels"]), state.get("index")
            return {"index": n - 1 if index is None else (index + 1) % n}
        if kind in RANGES:
            top = state["max"]
            return {"value": state["min"] if state["value"] == top else top}
        if kind in NUMBERS:
            value = state["value"] + (state.get("step") or 1)
            if "max" in state and value > state["max"]:
                value = state["min"]
            return {"value": value}
        return {"value": not state["value"]}

    def displayed_widget(self, outputs: list[dict]) -> str:
        """The model id of the widget that ``outputs`` (an execute's outputs) displayed."""
        views = [o["data"][WIDGET]["model_id"] for o in outputs
                 if o["output_type"] in ("display_data", "execute_result") and WIDGET in o["data"]]
        if not views:
            shown = [sorted(o.get("data", {})) or o["output_type"] for o in outputs]
            raise AssertionError(f"no live widget was displayed (outputs: {shown}); is "
                                 f"ISOLEARN_STATIC set, or ipywidgets missing in the kernel?")
        return views[-1]

    def pictures(self, root: str) -> dict[str, list[str]]:
        """{Output widget id: the images (PNG, base64) it shows} for every Output under
        ``root``: what a reader sees change when a control moves."""
        return {m: [o["data"]["image/png"] for o in self.outputs.get(m, [])
                    if "image/png" in o.get("data", {})]
                for m in self.tree(root) if self.models[m].get("_model_name") == "OutputModel"}
