"""One page of a List call, and the rule that ends a listing (shared by both pagers).

An empty
``nextPageToken`` is the only end-of-list signal; a server that hands back the token it was
given would loop forever, so that raises :class:`~lro.errors.InvalidResponse`.

The pagers themselves are ``lro.Pager`` and ``lro.AsyncPager``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import InvalidResponse

__all__ = ["Page", "check_next_token"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a List response.

    Attributes:
        items: the page's items (operations).
        next_page_token: the token of the next page; empty on the last page.
        total_size: all matches ignoring paging, when the server says (audited view).
        unreachable: resources the server could not reach (standard view, partial success).
    """

    items: list[T]
    next_page_token: str = ""
    total_size: int | None = None
    unreachable: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def check_next_token(page: Page[T], token: str | None) -> str | None:
    """The token to fetch after ``page`` (which was fetched with ``token``), None at the end."""
    following = page.next_page_token
    if not following:
        return None
    if following == token:
        raise InvalidResponse(
            "the server returned the same nextPageToken again; stopping to avoid a loop",
            raw=following[:200],
        )
    return following
