"""A small headless-Chromium driver for the report tests (no dependency beyond the browser).

It speaks the Chrome DevTools protocol over ``--remote-debugging-pipe``: the browser reads
NUL-terminated JSON commands on its file descriptor 3 and writes replies and events on 4, so no
websocket library and no network port are needed. Only what the tests use is here: open a page
at a viewport width, evaluate JavaScript, collect console errors, screenshot, print to PDF.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio",
         "--remote-debugging-pipe"]


class BrowserError(RuntimeError):
    pass


# Every table cell a reader cannot see whole: [table id, the cell's first words, its right
# edge, the edge it passes] (CSS px). A cell may lie past the window's right edge only inside a
# box that scrolls sideways (overflow-x auto or scroll), and then within what that box scrolls
# to; a box that hides its overflow (hidden, clip) cuts what passes its own right edge.
CUT_CELLS = """
(() => {
  const cut = [], view = document.documentElement.clientWidth;
  for (const cell of document.querySelectorAll('td, th')) {
    const r = cell.getBoundingClientRect();
    if (!r.width || !cell.getClientRects().length) continue;
    let limit = view;
    for (let el = cell.parentElement; el && el !== document.body; el = el.parentElement) {
      const ox = getComputedStyle(el).overflowX;
      if (ox === 'visible') continue;
      const box = el.getBoundingClientRect();
      limit = (ox === 'auto' || ox === 'scroll')
        ? box.left + el.clientLeft - el.scrollLeft + el.scrollWidth
        : box.left + el.clientLeft + el.clientWidth;
      break;
    }
    if (r.right > limit + 0.5) {
      const table = cell.closest('table');
      cut.push([table && table.id, cell.textContent.trim().slice(0, 30),
                Math.round(r.right), Math.round(limit)]);
    }
  }
  return cut;
})()
"""

# How far (CSS px) the cells of the table with this id reach past the right edge of the box
# they scroll in (the window if none): 0 or less when the whole table is in view without
# scrolling sideways.
PAST_THE_EDGE = """
((id) => {
  const table = document.getElementById(id), wrap = table.closest('.scroll');
  // the box's own right edge: its clientWidth is rounded to whole pixels, cells are not
  const edge = wrap ? wrap.getBoundingClientRect().right : document.documentElement.clientWidth;
  return Math.max(...[...table.querySelectorAll('td, th')]
                  .map(c => c.getBoundingClientRect().right)) - edge;
})
"""


class Browser:
    """One headless Chromium process; use as a context manager."""

    def __init__(self, timeout: float = 60.0):
        if CHROMIUM is None:
            raise BrowserError("chromium is not installed")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="fe-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # move the child's ends above 4 so the dup2 calls below cannot clobber each other
        for name in ("to_child_r", "from_child_w"):
            fd = locals()[name]
            high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
            os.close(fd)
            if name == "to_child_r":
                to_child_r = high
            else:
                from_child_w = high

        def fds() -> None:  # runs in the child: its fds 3 and 4 are the protocol pipe
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, pass_fds=(3, 4, to_child_r, from_child_w))
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._send("Browser.close", wait=False)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- the protocol ---------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise BrowserError("no answer from chromium")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the protocol pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def _send(self, method: str, params: dict | None = None, session: str | None = None,
              wait: bool = True) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        if not wait:
            return {}
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _wait_event(self, method: str, session: str) -> dict[str, Any]:
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self._read()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def open(self, path: Path, width: int, height: int = 900) -> Page:
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        page = Page(self, session, target)
        for domain in ("Page", "Runtime", "Log", "DOM", "CSS"):
            self._send(f"{domain}.enable", session=session)
        self._send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1,
                    "mobile": width < 600}, session=session)
        self._send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        self._wait_event("Page.loadEventFired", session)
        page.eval("document.fonts.ready.then(() => true)")
        return page


class Page:
    def __init__(self, browser: Browser, session: str, target: str):
        self.b, self.session, self.target = browser, session, target

    def send(self, method: str, params: dict | None = None) -> dict[str, Any]:
        return self.b._send(method, params, session=self.session)

    def eval(self, expression: str) -> Any:
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise BrowserError(f"javascript error: {r['exceptionDetails']}")
        return r["result"].get("value")

    def cut_cells(self) -> list[list[Any]]:
        """The table cells no reader can see whole (see :data:`CUT_CELLS`)."""
        return self.eval(CUT_CELLS)

    def past_the_edge(self, table_id: str) -> float:
        """How far the table's cells reach past its box's visible right edge (CSS px)."""
        return self.eval(f"{PAST_THE_EDGE.strip()}({json.dumps(table_id)})")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far on this page."""
        out = []
        for e in self.b.events:
            if e.get("sessionId") != self.session:
                continue
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error",
                                                                                 "assert"):
                out.append(" ".join(str(a.get("value", a.get("description")))
                                    for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def screenshot(self, path: Path, full: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
            size = self.eval("[document.documentElement.scrollWidth,"
                             " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))
        return path

    def pdf(self) -> bytes:
        r = self.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
        return base64.b64decode(r["data"])

    def close(self) -> None:
        self.b._send("Target.closeTarget", {"targetId": self.target})
