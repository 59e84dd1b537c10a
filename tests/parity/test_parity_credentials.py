"""Parity of the credential options (token callables, headers, API keys, proxies): one test
body, run through lro.Client and lro.AsyncClient against the real server. The behaviours
the reference server cannot show (versions, Google error bodies, expiring tokens, a
proxy) are in tests/realservices, also run through both clients."""

from __future__ import annotations

from typing import Any

import pytest
from parity_support import TOKEN, Side

import lro

parity = pytest.mark.parity

META = {"@type": "type.googleapis.com/test.Job", "step": 0}


class Tokens:
    """A token callable that answers from a script and counts what the client did."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0
        self.invalidated = 0

    def __call__(self) -> str:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def invalidate(self) -> None:
        self.invalidated += 1


@parity("client.create", "client.get")
def test_a_token_callable_is_asked_per_request_and_once_more_after_a_401(side: Side) -> None:
    tokens = Tokens(TOKEN, "expired-token", TOKEN)
    client = side.client(token=tokens)
    op = client.create(META)  # asked: the good token
    assert client.get(op.name).name == op.name  # asked: refused (401), then asked again
    assert (tokens.asked, tokens.invalidated) == (3, 1)
    refused = side.client(token=Tokens("expired-token"), retry=None)
    with pytest.raises(lro.Unauthenticated):
        refused.get(op.name)  # asked twice, refused twice: no loop


@parity("client.get")
def test_headers_and_api_keys_are_sent_and_checked_alike(side: Side) -> None:
    client = side.client(headers={"x-goog-user-project": "p1"}, api_key="AIzaSy-parity-key")
    target: Any = client
    shown = repr(target)
    assert "api_key=set" in shown and "AIzaSy-parity-key" not in shown
    assert "x-goog-user-project" in shown
    with pytest.raises(lro.NotFound):
        client.get("operations/none")
    for bad in ({"Host": "x"}, {"x-a": "1\r\n"}):
        with pytest.raises(lro.InvalidArgument):
            side.client(headers=bad)
    with pytest.raises(lro.InvalidArgument, match="socks5"):
        side.client(proxy="socks5://127.0.0.1:1080")
