"""No server-controlled byte drives the terminal (issue 22.1, the CLI half).

A hostile server (``hostile_server.py``) sends names, metadata, error messages, principals
and unreachable locations full of terminal control: a window-title OSC, an OSC 52 clipboard
write, clear-screen, a carriage return that overwrites the line, C1 CSI, bidi overrides,
zero-width characters, a BOM, a newline forging a line, and rich markup. Every command
must show them escaped (``\\x1b``, ``\\u202e``), and ``--json`` / ``watch`` must stay JSON
with the same values. The pseudo-terminal tests read the very bytes the terminal gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hostile_server import FORBIDDEN, NAME, SHOWN, SHOWN_NAME, TEXT, HostileServer
from lro_cli_helpers import PtyRun, Runner, make_inprocess_runner

from lro._sync.client import Client
from lro.cli._escape import json_shown, shown
from lro_server import RunningServer

#: Every character of TEXT a terminal would act on (or that spoofs what it shows).
CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def run(hostile: HostileServer) -> Runner:
    return make_inprocess_runner(hostile.url)


def _clean(text: str) -> str:
    found = CONTROL.findall(text)
    assert not found, f"raw control characters reached the output: {found!r}\n{text}"
    return text


@pytest.mark.parametrize(
    ("args", "code", "out", "err"),
    [
        (
            ["get", "operations/x"],
            0,
            [f"name:     {SHOWN_NAME}\n", f"error:    FAILED_PRECONDITION: {SHOWN}\n"],
            [],
        ),
        (["--audited", "get", "operations/x"], 0, [SHOWN_NAME], []),
        (["list"], 0, [f"{SHOWN_NAME}  RUNNING  40%"], [f"1 unreachable: {SHOWN}\n"]),
        (["--audited", "list"], 0, [f"RUNNING  40%       {SHOWN}  -"], []),
        (
            ["wait", "operations/x", "--progress", "plain"],
            1,
            [f"s {SHOWN_NAME} FAILED("],
            [f"lro: operation {SHOWN_NAME} failed: FAILED_PRECONDITION: {SHOWN}\n"],
        ),
        (["wait", "operations/x", "--progress", "none"], 1, [f"name:     {SHOWN_NAME}\n"], [SHOWN]),
        (
            ["wait", "operations/x", "operations/y", "--progress", "none"],
            1,
            [f"{SHOWN_NAME}  FAILED"],
            [SHOWN],
        ),
        (["create"], 0, [f"{SHOWN_NAME}\n"], []),
        (["finish", "operations/x", "--abort"], 0, [f"{SHOWN_NAME}: FAILED("], []),
        (["seen", "operations/x"], 0, [f"{SHOWN_NAME}: seen at"], []),
        (["cancel", "operations/x"], 0, ["operations/x: cancel requested\n"], []),
    ],
)
def test_every_human_readable_output_shows_server_text_escaped(
    run: Runner, args: list[str], code: int, out: list[str], err: list[str]
) -> None:
    done = run(*args)
    assert done.returncode == code, done.stderr
    for expected in out:
        assert expected in _clean(done.stdout)
    for expected in err:
        assert expected in _clean(done.stderr)


def test_an_http_error_message_is_one_escaped_line(run: Runner) -> None:
    done = run("get", "operations/denied")
    assert done.returncode == 5
    line = _clean(done.stderr)
    assert line.startswith("lro: PERMISSION_DENIED (403): \\x1b]0;pwned-title\\x07")
    assert line.count("\n") == 1 and "[bold]x[/bold]" in line  # no forged second line


@pytest.mark.parametrize(
    "args",
    [
        ["get", "operations/x", "--json"],
        ["watch", "operations/x"],
        ["wait", "operations/x", "--json", "--progress", "none"],
        ["list", "--json"],
    ],
)
def test_json_output_stays_json_with_the_same_values(run: Runner, args: list[str]) -> None:
    done = run(*args)
    out = _clean(done.stdout)
    docs = (
        [json.loads(line) for line in out.splitlines()] if args[0] != "list" else [json.loads(out)]
    )
    ops = docs[0]["operations"] if args[0] == "list" else docs
    assert [op["name"] for op in ops] == [NAME]  # escaped as JSON, not altered
    assert ops[0]["metadata"]["note"] == TEXT
    if args[0] in ("wait", "watch"):  # the failure, reported as JSON on stderr
        error = json.loads(_clean(done.stderr).splitlines()[-1])
        assert error["error"]["message"] == TEXT and error["name"] == NAME
    if args[0] == "list":
        assert docs[0]["unreachable"] == [TEXT]


def test_a_json_error_line_is_json_with_the_message_escaped(run: Runner) -> None:
    done = run("get", "operations/denied", "--json")
    assert done.returncode == 5
    assert json.loads(_clean(done.stderr))["error"]["message"] == TEXT


def _no_terminal_control(raw: bytes) -> None:
    hits = [seq for seq in FORBIDDEN if seq in raw]
    assert not hits, f"the terminal received {hits!r}"


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_a_terminal_receives_no_escape_sequence_from_lro_get(hostile: HostileServer) -> None:
    run = PtyRun(hostile.url, "get", "operations/x")
    code, screen = run.close()
    assert code == 0, screen
    _no_terminal_control(run.raw)
    assert b"\x1b" not in run.raw  # lro get draws nothing: no title, no clipboard, no colour
    assert re.search(rb"\r(?!\n)", run.raw) is None  # no carriage return overwriting a line
    assert f"error:    FAILED_PRECONDITION: {SHOWN}" in screen.replace("\n\n", "\n")
    assert f"name:     {SHOWN_NAME}" in screen


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_a_terminal_receives_no_escape_sequence_from_the_wait_bar(
    hostile: HostileServer,
) -> None:
    run = PtyRun(hostile.url, "wait", "operations/x", "--progress", "bar")
    code, screen = run.close()
    assert code == 1, screen
    _no_terminal_control(run.raw)  # rich's own colours and cursor moves are all that is left
    assert "operations/x\\x1b]0;pwned-title\\x07" in screen  # the bar, then the summary
    assert f"lro: operation {SHOWN_NAME} failed: FAILED_PRECONDITION: {SHOWN}" in screen


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_rich_markup_in_a_name_is_shown_literally_in_the_bar() -> None:
    server = HostileServer("operations/[bold red]x[/bold red]\x1b[31m")
    try:
        run = PtyRun(server.url, "wait", "operations/x", "--progress", "bar")
        code, screen = run.close()
    finally:
        server.close()
    assert code == 1, screen
    bar = screen[: screen.index("name:")]
    assert "operations/[bold red]x[/bold red]\\x1b[31m FAILED" in bar
    assert b"\x1b[31m" not in run.raw and b"\x1b[1;31m" not in run.raw


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_a_finalized_error_message_from_the_reference_server_is_escaped(
    srv: RunningServer, lro: Runner
) -> None:
    """The attack of the issue: another principal finalizes with terminal control."""
    with Client(srv.url) as client:
        name = client.create().name
        client.finalize(name, error={"code": 9, "message": TEXT})
    done = lro("get", name)
    assert f"error: FAILED_PRECONDITION: {SHOWN}\n" in _clean(done.stdout)
    run = PtyRun(srv.url, "get", name)
    code, screen = run.close()
    assert code == 0, screen
    _no_terminal_control(run.raw)


def test_escaping_is_visible_and_idempotent() -> None:
    assert shown("a\x1bb\u202ec\n") == "a\\x1bb\\u202ec\\n"
    assert shown("a\nb", keep_newlines=True) == "a\nb"
    assert shown(shown(TEXT)) == shown(TEXT) == SHOWN
    assert shown("café [bold]名前[/bold]") == "café [bold]名前[/bold]"  # text, not escaped
    assert json.loads(json_shown(json.dumps("\U000e0041\u2028\x85"))) == "\U000e0041\u2028\x85"
    assert json_shown(json.dumps("\U000e0041", ensure_ascii=False)) == '"\\udb40\\udc41"'


# -- 22.6: JSON out is JSON ------------------------------------------------------------------

NUMBERS = (
    b'{"name":"operations/n","done":true,"metadata":{"@type":"type.googleapis.com/test.Job",'
    b'"huge":1e400,"tiny":-2.5e-400,"long":123456789012345678901234567890,'
    b'"precise":0.1000000000000000000001,"plain":1.5},"response":{"@type":"t/x"}}'
)


def _strict(text: str) -> object:
    """Parse as RFC 8259 JSON: NaN/Infinity refused, numbers read as exact decimals."""

    def refuse(word: str) -> object:
        raise AssertionError(f"{word} is not JSON")

    return json.loads(text, parse_constant=refuse, parse_float=Decimal)


@pytest.mark.parametrize("args", [["get", "operations/n", "--json"], ["watch", "operations/n"]])
def test_json_output_keeps_the_numbers_the_server_sent(args: list[str]) -> None:
    """``1e400`` came out as ``Infinity``, which strict JSON parsers refuse."""
    server = HostileServer(raw=NUMBERS)
    try:
        done = make_inprocess_runner(server.url)(*args)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout == NUMBERS.decode() + "\n"  # byte for byte: every literal kept
    assert _strict(done.stdout) == _strict(NUMBERS.decode())


def test_pretty_output_of_lro_get_keeps_the_literals_too() -> None:
    server = HostileServer(raw=NUMBERS)
    try:
        done = make_inprocess_runner(server.url)("get", "operations/n")
    finally:
        server.close()
    assert '"huge":1e400,"tiny":-2.5e-400,"long":123456789012345678901234567890,' in done.stdout
    assert "Infinity" not in done.stdout
