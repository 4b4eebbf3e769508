"""The preview's web server: one page on localhost, reloaded by Server-Sent Events when it is rebuilt.

The standard library's :class:`~http.server.ThreadingHTTPServer` is enough for one analyst's browser: the page
is a single self-contained HTML file (the deliverable's, with every resource embedded), and the reload signal is
one long-lived ``text/event-stream`` response per open tab. A small script, written inline into the page (the
deliverables load nothing from another host, nor does the preview), listens to it:

``GET /<name>.html``
    The last page built, with the script before ``</body>``; while the last build failed, the page built
    before it, with the error shown over it (or an error page if nothing was ever built).
``GET /__cufstudy/events?v=N``
    The event stream: ``reload`` when a page other than version ``N`` (the one the tab shows) is ready (a
    newer one, or any page for a tab left open from an earlier run of the preview),
    ``problem`` (the error message, as JSON) when a build fails; a comment every 15 s keeps it open.
``GET /__cufstudy/status``
    The state as JSON (version, ok, error, seconds and processor seconds of the last build): for scripts and tests.

Binding to ``127.0.0.1`` only, the server is reachable from this machine and nowhere else.
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

__all__ = ["EVENTS_PATH", "STATUS_PATH", "LiveServer", "PageState", "reload_script"]

EVENTS_PATH: Final = "/__cufstudy/events"
STATUS_PATH: Final = "/__cufstudy/status"
_KEEPALIVE: Final = 15.0

_SCRIPT: Final = """<script id="cufstudy-preview">
(function () {
  "use strict";
  var VERSION = %(version)d, KEY = "cufstudy-preview-scroll";
  try {
    var y = sessionStorage.getItem(KEY);
    if (y !== null) {
      sessionStorage.removeItem(KEY);
      window.addEventListener("load", function () { window.scrollTo(0, Number(y)); });
    }
  } catch (e) {}
  function overlay(text) {
    var box = document.getElementById("cufstudy-preview-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "cufstudy-preview-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;top:0;left:0;right:0;max-height:60vh;overflow:auto;z-index:2147483647;" +
        "background:#fff5f5;color:#5c0b0b;border-bottom:4px solid #c0392b;padding:1em 1.5em;" +
        "font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 4px 16px rgba(0,0,0,.25)";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var head = document.createElement("strong");
    head.textContent = "cufstudy preview: the last change could not be rendered (the page below is the previous one)";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:.6em 0 0";
    pre.textContent = text;
    box.appendChild(head);
    box.appendChild(pre);
  }
  var source = new EventSource("%(events)s?v=" + VERSION);
  source.addEventListener("reload", function () {
    try { sessionStorage.setItem(KEY, String(window.scrollY)); } catch (e) {}
    source.close();
    window.location.reload();
  });
  source.addEventListener("problem", function (event) { overlay(JSON.parse(event.data).error); });
})();
</script>
"""


def reload_script(version: int) -> str:
    """The inline script a served page carries: reload on the ``reload`` event, show a ``problem``."""
    return _SCRIPT % {"version": version, "events": EVENTS_PATH}


def _overlay(error: str) -> str:
    """The error box of a page served while the last build failed (the same box the script draws)."""
    return (
        '<div id="cufstudy-preview-error" role="alert" style="position:fixed;top:0;left:0;right:0;max-height:60vh;'
        "overflow:auto;z-index:2147483647;background:#fff5f5;color:#5c0b0b;border-bottom:4px solid #c0392b;"
        "padding:1em 1.5em;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;"
        'box-shadow:0 4px 16px rgba(0,0,0,.25)"><strong>cufstudy preview: the last change could not be rendered '
        "(the page below is the previous one)</strong>"
        f'<pre style="white-space:pre-wrap;margin:.6em 0 0">{html.escape(error)}</pre></div>'
    )


@dataclass
class PageState:
    """What the server shows: the last page built, its version, and the error of the last build if it failed."""

    name: str
    page: bytes | None = None
    version: int = 0
    error: str | None = None
    serial: int = 0
    """Incremented at every change of state (a page or an error): what the event streams wait for."""
    seconds: float | None = None
    cpu_seconds: float | None = None
    updated: float = field(default_factory=time.time)


class LiveServer:
    """The page of a preview on ``http://127.0.0.1:<port>/<name>.html``, with its event stream.

    Parameters
    ----------
    name
        The page's file name (``guide.html``).
    port
        The port; 0 lets the system choose a free one (:attr:`port` tells which).

    Raises
    ------
    OSError
        The port is taken (``errno.EADDRINUSE``).
    """

    def __init__(self, name: str, port: int = 0) -> None:
        self.state = PageState(name)
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        server = self

        class Handler(_Handler):
            live = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.state.name}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="cufstudy-preview-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End every event stream, stop serving and free the port."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:  # shutdown() waits for serve_forever(): never started, it would wait forever
            self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- what the session reports ------------------------------------------------------------------
    def publish(self, page: bytes, seconds: float | None = None, cpu_seconds: float | None = None) -> int:
        """A new page is ready: the open tabs reload. Returns its version."""
        with self._changed:
            s = self.state
            s.page, s.version, s.error, s.seconds, s.updated = page, s.version + 1, None, seconds, time.time()
            s.cpu_seconds = cpu_seconds
            s.serial += 1
            self._changed.notify_all()
            return s.version

    def fail(self, error: str) -> None:
        """The last build failed: the open tabs show ``error`` over the previous page."""
        with self._changed:
            self.state.error, self.state.updated = error, time.time()
            self.state.serial += 1
            self._changed.notify_all()

    # -- what the handlers read ----------------------------------------------------------------------
    def page(self) -> bytes:
        """The page to serve: the last one built, with the reload script (and the error box if any)."""
        with self._changed:
            s = self.state
            page, version, error = s.page, s.version, s.error
        extra = reload_script(version) + (_overlay(error) if error else "")
        if page is None:
            body = (
                '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>cufstudy preview</title></head>'
                '<body style="font:16px/1.5 system-ui,sans-serif;margin:3em">'
                f"<p>{'Nothing could be rendered yet.' if error else 'Rendering…'}</p>{extra}</body></html>"
            )
            return body.encode("utf-8")
        text = page.decode("utf-8")
        cut = text.lower().rfind("</body>")
        text = text[:cut] + extra + text[cut:] if cut >= 0 else text + extra
        return text.encode("utf-8")

    def wait(self, serial: int, timeout: float) -> PageState:
        """The state once its serial differs from ``serial`` (or after ``timeout`` seconds)."""
        with self._changed:
            self._changed.wait_for(lambda: self.state.serial != serial or self._stopping.is_set(), timeout)
            return PageState(**vars(self.state))

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()


class _Handler(BaseHTTPRequestHandler):
    live: LiveServer
    protocol_version = "HTTP/1.1"
    server_version = "cufstudy-preview"

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the terminal shows the builds, not every request

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == EVENTS_PATH:
            self._events(parse_qs(url.query).get("v", ["0"])[0])
        elif url.path == STATUS_PATH:
            s = self.live.state
            status = {"name": s.name, "version": s.version, "ok": s.error is None, "error": s.error,
                      "seconds": s.seconds, "cpu_seconds": s.cpu_seconds, "serial": s.serial}  # fmt: skip
            body = json.dumps(status).encode("utf-8")
            self._send(HTTPStatus.OK, "application/json", body)
        elif url.path in ("/", "/index.html") and self.live.state.name != "index.html":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", f"/{self.live.state.name}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == f"/{self.live.state.name}":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.live.page())
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, seen: str) -> None:
        version = int(seen) if seen.isdigit() else 0
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.close_connection = True
        serial = -1  # report the current state at once: a page may have been rebuilt since this tab loaded
        try:
            while not self.live.stopping:
                state = self.live.wait(serial, _KEEPALIVE)
                if self.live.stopping:
                    break
                if state.serial == serial:
                    self.wfile.write(b": keep-alive\n\n")
                elif state.error is not None:
                    self.wfile.write(f"event: problem\ndata: {json.dumps({'error': state.error})}\n\n".encode())
                elif state.version and state.version != version:
                    # newer, or a tab of an earlier run of the preview (its own count): reload it at once
                    self.wfile.write(f"event: reload\ndata: {state.version}\n\n".encode())
                    version = state.version
                self.wfile.flush()
                serial = state.serial
        except (BrokenPipeError, ConnectionResetError):
            return  # the tab was closed or reloaded
