"""The no-work HTTP floor: an asyncio-streams server (the reference server's framework)
that answers every GET with a canned body and holds every POST ``...:wait`` forever.

Run as a script: ``python bench/bare_server.py --bodies FILE`` where FILE maps request
targets to JSON body text. ``GET /__held`` reports how many requests it is holding.
Prints ``bare-server listening on http://127.0.0.1:PORT``. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from pathlib import Path

_NOT_FOUND = b'{"code":5,"message":"not found"}'


class Bare:
    """Canned answers; counts held requests."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.held = 0

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target = head.split(b" ", 2)[:2]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if method == b"POST" and target.endswith(b":wait"):
                    self.held += 1
                    try:
                        await reader.read()  # until the client goes away
                    finally:
                        self.held -= 1
                    return
                path = target.decode()
                if path == "/__held":
                    body = json.dumps({"held": self.held}).encode()
                    status = b"200 OK"
                else:
                    found = self.bodies.get(path)
                    body, status = (found, b"200 OK") if found else (_NOT_FOUND, b"404 Not Found")
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def main(bodies_file: Path) -> None:
    raw = json.loads(bodies_file.read_text())
    bare = Bare({path: text.encode() for path, text in raw.items()})
    server = await asyncio.start_server(bare.connection, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(f"bare-server listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=Path, required=True)
    asyncio.run(main(parser.parse_args().bodies))
