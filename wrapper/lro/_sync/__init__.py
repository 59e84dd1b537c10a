"""The synchronous I/O half: the urllib3 transport, ``Client``, waiting and ``wait_all``
from threads, ``Pager``. It drives :mod:`lro._core` and never imports ``lro._async``."""
