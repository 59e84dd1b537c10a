"""A response body as both transports read it: the size cap and the Content-Encoding.

Neither urllib3 nor httpx decodes a body here: each transport feeds the raw bytes off the
wire to one :class:`BodyReader`, so both halves accept and refuse the same bodies.

* ``identity`` (or none): the bytes as they are.
* ``gzip`` / ``x-gzip``: every member of a multi-member body (RFC 1952 2.2), in order;
  bytes after a member that do not start another one, or a member cut short, are an
  :class:`~lro.errors.InvalidResponse`: a body is decoded whole or refused, never
  silently truncated.
* ``deflate``: one zlib stream, nothing after it.
* Any other coding: InvalidResponse.

The cap (``max_response_bytes``) applies to the raw and to the decoded size: a small
compressed body cannot inflate past it (each decompression is bounded by what is left).
A body that cannot be decoded is InvalidResponse (the server's answer is wrong; sending
the request again would not help), never a transport error that a retry policy repeats.
"""

from __future__ import annotations

import zlib

from .errors import InvalidResponse
from .http import too_large

__all__ = ["BodyReader"]

_GZIP = 16 + zlib.MAX_WBITS


class BodyReader:
    """Collects one response body, decoding it as its ``Content-Encoding`` says.

    Args:
        content_length: the ``Content-Length`` header, if any (refused early when over).
        content_encoding: the ``Content-Encoding`` header, if any.
        limit: the most bytes the body may have, raw or decoded.

    Raises:
        InvalidResponse: over ``limit`` or an unsupported coding (here, or from
            :meth:`feed` / :meth:`body` as the bytes come).
    """

    def __init__(self, content_length: str | None, content_encoding: str | None, limit: int):
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
            raise too_large(limit)
        self._limit = limit
        self._raw_size = 0
        self._chunks: list[bytes] = []
        self._size = 0
        coding = (content_encoding or "").strip().lower()
        if coding in ("", "identity"):
            self._wbits: int | None = None
        elif coding in ("gzip", "x-gzip"):
            self._wbits = _GZIP
        elif coding == "deflate":
            self._wbits = zlib.MAX_WBITS
        else:
            raise InvalidResponse(f"unsupported Content-Encoding {coding[:40]!r}")
        self._coding = coding
        # The decoder of the member being read; None between gzip members (or before one).
        self._decoder: zlib._Decompress | None = None
        self._members = 0

    def feed(self, raw: bytes) -> None:
        """Add the next raw bytes off the wire."""
        self._raw_size += len(raw)
        if self._raw_size > self._limit:
            raise too_large(self._limit)
        data = raw if self._wbits is None else self._decode(raw)
        self._size += len(data)
        if self._size > self._limit:
            raise too_large(self._limit)
        self._chunks.append(data)

    def _decode(self, data: bytes) -> bytes:
        """Decoded bytes of ``data``; at most one byte past the cap (the caller refuses)."""
        out: list[bytes] = []
        room = self._limit - self._size + 1
        try:
            while data and room > 0:
                if self._decoder is None:
                    if self._members and self._wbits != _GZIP:
                        raise InvalidResponse("the response body has data after its deflate end")
                    self._decoder = zlib.decompressobj(self._wbits or zlib.MAX_WBITS)
                    self._members += 1
                piece = self._decoder.decompress(data, room)
                out.append(piece)
                room -= len(piece)
                if self._decoder.eof:  # a member ends: what follows starts the next one
                    data = self._decoder.unused_data
                    self._decoder = None
                else:
                    data = self._decoder.unconsumed_tail
        except zlib.error as exc:
            raise InvalidResponse(
                f"cannot decode the {self._coding} response body: {exc}"
            ) from None
        return b"".join(out)

    def body(self) -> bytes:
        """The whole decoded body, once the raw bytes have all been fed."""
        if self._decoder is not None:  # a member began but never reached its end
            raise InvalidResponse(f"the {self._coding} response body is truncated")
        return b"".join(self._chunks)
