"""A hostile server on 127.0.0.1 whose every string is terminal control (issue 22.1).

The reference server refuses the names a hostile server would send (control characters,
bidi controls, zero-width characters, a BOM), so this one imitates a server that does not:
every operation it returns has ``NAME`` as its name, ``TEXT`` in its metadata, its error
message and reason, its creator; its list pages report ``TEXT`` as unreachable; and a GET of
``operations/denied`` is a 403 whose message is ``TEXT``. ``requests`` records the targets.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Terminal control a server might send: a window title (OSC 0), a clipboard write
#: (OSC 52: ``rm -rf ~`` in base64), clear screen, a carriage return that overwrites the
#: line with a reassuring word, C1 CSI, bidi overrides, zero-width characters, a BOM, a
#: newline that would start a forged line, and rich markup.
TEXT = (
    "\x1b]0;pwned-title\x07\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J"
    "boom\rSUCCEEDED\x9b31m \u202eevil\u2066\u200b\u200d\u2060\ufeff\u061c\u200e"
    "\nstate: SUCCEEDED [bold]x[/bold]"
)
#: How ``lro`` must show TEXT: every control character escaped, the markup literal.
SHOWN = (
    r"\x1b]0;pwned-title\x07\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J"
    r"boom\rSUCCEEDED\x9b31m \u202eevil\u2066\u200b\u200d\u2060\ufeff\u061c\u200e"
    r"\nstate: SUCCEEDED [bold]x[/bold]"
)
NAME = "operations/x" + TEXT
SHOWN_NAME = "operations/x" + SHOWN
#: The raw bytes that must never reach a terminal (TEXT's controls, UTF-8 encoded).
FORBIDDEN = [
    b"\x1b]",  # OSC: title, clipboard
    b"\x07",
    b"\x1b[2J",
    b"\xc2\x9b",  # C1 CSI
    *(c.encode() for c in "\u202e\u2066\u200b\u200d\u2060\ufeff\u061c\u200e"),
]
JOB = "type.googleapis.com/test.Job"


def operation(name: str = NAME, *, done: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {
        "name": name,
        "done": done,
        "metadata": {"@type": JOB, "note": TEXT, "progressPercent": 40},
        "creator": TEXT,
    }
    if done:
        op["error"] = {"code": 9, "message": TEXT, "details": []}
    return op


class HostileServer:
    """``name``: the name of every operation it returns (default :data:`NAME`);
    ``raw``: the JSON text of the operation every GET and POST returns instead."""

    def __init__(self, name: str = NAME, raw: bytes = b"") -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = raw or json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if raw:
                    self._reply(200, {})
                elif self.path.startswith("/v1/operations/denied"):
                    status = {"code": 7, "message": TEXT, "status": "PERMISSION_DENIED"}
                    self._reply(403, {"error": status})
                elif self.path.split("?")[0].endswith("/operations"):
                    page = {"operations": [operation(name, done=False)], "unreachable": [TEXT]}
                    self._reply(200, page)
                elif self.path.startswith("/audit/"):  # the audited view wraps its answer
                    self._reply(200, {"operation": operation(name)})
                else:
                    self._reply(200, operation(name))

            def do_POST(self) -> None:
                owner.requests.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/audit/"):  # the audited view wraps its answer
                    self._reply(200, {"operation": operation(name)})
                else:
                    self._reply(200, operation(name))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll: close() (shutdown) waits for it, 0.5 s by default.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
