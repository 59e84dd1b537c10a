"""The asyncio half of the public surface: ``AsyncClient`` and its companions.

Every name here is also importable from :mod:`lro` itself (loaded on first use, so
``import lro`` does not pay for asyncio):

    async with lro.AsyncClient(url) as client:
        op = await client.get(name)
        final = await op.wait(timeout=60)
"""

from __future__ import annotations

from lro._async.client import AsyncAuditedView, AsyncClient
from lro._async.handles import AsyncHandle
from lro._async.operation import AsyncOperation
from lro._async.paging import AsyncPager
from lro._async.transport import AsyncTransport
from lro._async.wait_many import async_as_completed, async_wait_all
from lro._core.http import AsyncTransportLike

__all__ = [
    "AsyncAuditedView",
    "AsyncClient",
    "AsyncHandle",
    "AsyncOperation",
    "AsyncPager",
    "AsyncTransport",
    "AsyncTransportLike",
    "async_as_completed",
    "async_wait_all",
]
