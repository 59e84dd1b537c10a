"""A load generator in its own process (standard library only, asyncio, loopback only).

``rps``: keep-alive connections sending GETs round-robin over the given targets, bounded
by ``--seconds`` and ``--max-requests``; prints one JSON line with the counts.
``hold``: opens ``--count`` connections, each sending one ``POST <target>:wait``, prints
``holding N``, then keeps them open until stdin closes; prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            await reader.readexactly(int(line[15:]))
            break
    return status


async def rps(host: str, port: int, targets: list[str], conns: int, secs: float, cap: int) -> None:
    requests = [f"GET {t} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode() for t in targets]
    done = errors = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + secs

    async def worker(offset: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        while done < cap and time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - start)
            done += 1
            errors += status >= 400
            i += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(conns)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": done,
                "errors": errors,
                "seconds": elapsed,
                "rps": done / elapsed,
                "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
                "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
            }
        )
    )


async def hold(host: str, port: int, targets: list[str], count: int, body: str) -> None:
    payload = body.encode()
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for k in range(count):
        reader, writer = await asyncio.open_connection(host, port)
        target = targets[k % len(targets)]
        writer.write(
            f"POST {target}:wait HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
            f"application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        connections.append((reader, writer))
        if k % 100 == 99:
            await asyncio.gather(*(w.drain() for _, w in connections[-100:]))
    print(f"holding {len(connections)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    for _, writer in connections:
        writer.close()
    print(json.dumps({"opened": len(connections)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("rps", "hold"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--target", action="append", required=True, help="path and query")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--body", default='{"timeout":"60s"}')
    args = parser.parse_args()
    url = urlsplit(args.url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only")
    _raise_fd_limit()
    host, port = url.hostname or "127.0.0.1", url.port or 80
    if args.mode == "rps":
        job = rps(host, port, args.target, args.connections, args.seconds, args.max_requests)
    else:
        job = hold(host, port, args.target, args.count, args.body)
    asyncio.run(job)


if __name__ == "__main__":
    main()
