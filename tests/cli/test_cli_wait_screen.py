"""`lro wait` on a real pseudo-terminal, 80 and 120 columns wide: what the screen shows.

Each test reads the screen as a terminal of that width draws it (``PtyRun.lines``: the
cursor moves rich makes, and the terminal's own wrapping of a line too long), against the
reference server, and asserts the rows: drawn from the first snapshot on, a final mark
on every finished row, a long name cut in the middle so that state, bar and percentage
stay on the line, and ``reconnecting…`` while the server is down.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lro_cli_helpers import PtyRun, clean_env, lro_command

from lro._sync.client import Client
from lro_server import RunningServer, serve

# Slow tier: what a real terminal (pty) shows; only a process gets one.
pytestmark = pytest.mark.slow

PROGRESS = "type.googleapis.com/lro.example.ProgressMetadata"
GOOGLE_PARENT = "projects/my-project/locations/us-central1"
SPINNER = re.compile("[\u2800-\u28ff]")  # rich's "dots" spinner frames (braille)
BAR = "[━╺╸]+"  # rich's bar: whole and half cells


def progress(percent: int) -> dict[str, object]:
    return {"@type": PROGRESS, "progressPercent": percent}


def row_of(lines: list[str], name_start: str) -> str:
    """The one screen line (a bar's row) whose name starts with ``name_start``."""
    (row,) = [line for line in lines if line[2:].startswith(name_start)]
    return row


@pytest.mark.parametrize("columns", [80, 120])
def test_missing_operation_is_never_drawn_running(srv: RunningServer, columns: int) -> None:
    run = PtyRun(srv.url, "wait", "operations/nope", columns=columns)
    code, screen = run.close()
    assert code == 4, screen  # NOT_FOUND's documented exit code
    assert "RUNNING" not in screen
    assert not SPINNER.search(screen) and "━" not in screen  # no bar was drawn at all
    shown = "".join(run.lines)  # the message, wrapped at 80 columns
    assert shown.startswith("lro: NOT_FOUND (404): operation 'operations/nope' not found")


@pytest.mark.parametrize("columns", [80, 120])
def test_every_finished_row_ends_with_its_mark(srv: RunningServer, columns: int) -> None:
    names = [
        srv.simulate(count=1, duration=duration, outcome=outcome)[0]["name"]
        for duration, outcome in ((0.4, "response"), (0.6, "error"), (0.8, "cancelled"))
    ]
    run = PtyRun(srv.url, "wait", *names, "operations/nope", "--interval", "0.2", columns=columns)
    code, screen = run.close()
    assert code == 1, screen  # one finished with an error
    lines = run.lines
    rows = lines[:4]
    assert [row[:2] for row in rows] == ["✓ ", "✗ ", "⊘ ", "✗ "], lines
    assert re.search(rf" SUCCEEDED +{BAR} 100% \d:\d\d:\d\d$", rows[0]), rows[0]
    assert " FAILED(INTERNAL) " in rows[1] and " CANCELLED " in rows[2]
    assert rows[3].startswith("✗ operations/nope ") and " FAILED(NOT_FOUND) " in rows[3]
    assert not any(SPINNER.search(line) for line in lines)  # no spinner left turning
    assert all(len(row) <= columns for row in rows)
    assert "operations/nope RUNNING" not in screen  # shown from its first snapshot on


@pytest.mark.parametrize("columns", [80, 120])
def test_interrupted_wait_leaves_no_spinner(srv: RunningServer, columns: int) -> None:
    with Client(srv.url) as client:
        name = client.create(progress(30)).name
        run = PtyRun(srv.url, "wait", name, "--interval", "0.2", columns=columns)
        run.expect(" 30%")
        run.child.send_signal(signal.SIGINT)  # Ctrl-C
        code, _ = run.close()
    assert code == 130
    row = row_of(run.lines, "operations/")
    assert re.match(rf"- operations/\S+ RUNNING +{BAR} +30% \d:\d\d:\d\d$", row), row


@pytest.mark.parametrize("columns", [80, 120])
def test_long_google_name_is_cut_in_the_middle_to_fit(srv: RunningServer, columns: int) -> None:
    with Client(srv.url) as client:
        name = client.create(progress(40), parent=GOOGLE_PARENT).name
        op_id = name.rsplit("/", 1)[1]
        assert re.fullmatch("[0-9a-f]{32}", op_id)  # a Google-style name, 85 characters
        run = PtyRun(srv.url, "wait", name, "--interval", "0.2", columns=columns)
        live = run.expect_line(" 40% ")
        client.finalize(name, response={"@type": PROGRESS})
        code, screen = run.close()
    assert code == 0, screen
    final = row_of(run.lines, "projects/my-")
    assert re.search(rf"… ?\S* RUNNING +{BAR} +40% \d:\d\d:\d\d$", live), live
    assert final.startswith("✓ "), final
    assert re.search(rf"\S SUCCEEDED +{BAR} 100% \d:\d\d:\d\d$", final), final
    for row in (live, final):
        assert len(row) <= columns, row  # one line: nothing wrapped
        head, _, tail = row[2:].split(" ")[0].partition("…")
        assert name.startswith(head) and name.endswith(tail) and op_id[-10:] in tail, row
        assert len(head) >= 10 and len(tail) >= 10, row  # both ends show
        assert len(head) + len(tail) > (60 if columns == 120 else 25), row


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[dict[str, RunningServer]]:
    """A server with its store on disk, so a test can stop it and start it again on the
    same port with the same operations; ``["server"]`` is the one running now."""
    servers = {"server": serve(port=0, db=str(tmp_path / "ops.sqlite3"))}
    yield servers
    servers["server"].stop()


def restart(servers: dict[str, RunningServer], db: Path) -> RunningServer:
    port = servers["server"].port
    servers["server"] = serve(port=port, db=str(db))
    return servers["server"]


@pytest.mark.parametrize("columns", [80, 120])
def test_bar_says_reconnecting_while_the_server_is_down(
    restartable: dict[str, RunningServer], tmp_path: Path, columns: int
) -> None:
    server = restartable["server"]
    with Client(server.url) as client:
        name = client.create(progress(7), parent=GOOGLE_PARENT).name
    run = PtyRun(server.url, "wait", name, "--interval", "0.2", columns=columns)
    run.expect_line(" 7% ")
    server.stop()
    down = run.expect_line("reconnecting…")
    assert re.search(rf"\S reconnecting… +{BAR} +7% \d:\d\d:\d\d$", down), down
    assert SPINNER.match(down) and len(down) <= columns and "RUNNING" not in down
    server = restart(restartable, tmp_path / "ops.sqlite3")
    back = run.expect_line(" RUNNING ")  # it answers again: its state is back
    assert re.search(rf"\S RUNNING +{BAR} +7% \d:\d\d:\d\d$", back), back
    with Client(server.url) as client:
        client.finalize(name, response={"@type": PROGRESS})
    code, screen = run.close()
    assert code == 0, screen
    final = row_of(run.lines, "projects/my-")
    assert final.startswith("✓ ") and re.search(rf" SUCCEEDED +{BAR} 100% ", final), final


def test_plain_line_says_reconnecting_while_the_server_is_down(
    restartable: dict[str, RunningServer], tmp_path: Path
) -> None:
    server = restartable["server"]
    with Client(server.url) as client:
        name = client.create(progress(7)).name
    child = subprocess.Popen(
        lro_command("wait", name, "--interval", "0.2"),
        env=clean_env(LRO_BASE_URL=server.url),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines = [child.stdout.readline()]
    server.stop()
    lines.append(child.stdout.readline())
    server = restart(restartable, tmp_path / "ops.sqlite3")
    lines.append(child.stdout.readline())
    with Client(server.url) as client:
        client.finalize(name, response={"@type": PROGRESS})
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    shown = [line.split(" ", 1)[1] for line in lines + rest.splitlines()[:1]]
    assert shown == [
        f"{name} RUNNING 7%\n",
        f"{name} reconnecting… 7%\n",
        f"{name} RUNNING 7%\n",
        f"{name} SUCCEEDED 7%",
    ]


def test_summary_lines_say_reconnecting_while_the_server_is_down(
    restartable: dict[str, RunningServer], tmp_path: Path
) -> None:
    server = restartable["server"]
    with Client(server.url) as client:
        names = [client.create(progress(7)).name for _ in range(2)]
    child = subprocess.Popen(
        lro_command("wait", *names, "--interval", "0.2"),
        env=clean_env(LRO_BASE_URL=server.url),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    with Client(server.url) as client:
        client.finalize(names[0], response={"@type": PROGRESS})
    first = child.stdout.readline()
    server.stop()
    lines = [first, child.stdout.readline()]
    server = restart(restartable, tmp_path / "ops.sqlite3")
    lines.append(child.stdout.readline())
    with Client(server.url) as client:
        client.finalize(names[1], response={"@type": PROGRESS})
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    shown = [line.split(" ", 1)[1].rstrip("\n") for line in lines + rest.splitlines()[:1]]
    assert shown == [
        f"{names[0]} SUCCEEDED 7%",
        "reconnecting…",
        "reconnected",
        f"{names[1]} SUCCEEDED 7%",
    ]


def test_a_server_that_never_answered_is_not_reconnecting() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    result = subprocess.run(
        lro_command("wait", "operations/1", "operations/2", "--timeout", "2"),
        env=clean_env(LRO_BASE_URL=f"http://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0  # which code, and how soon, is the client's matter
    assert result.stdout == ""  # no line about operations it never saw, nor "reconnecting…"
    assert "reconnecting" not in result.stderr
