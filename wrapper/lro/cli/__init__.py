"""The ``lro`` command line (extra ``lro-sdk[cli]``: click and rich).

Commands: get, list, wait, cancel, delete (users); create, update, finish, seen, unseen
(workers and creators, audited view); serve (the reference server). Every command takes
``--json``; exit codes are documented in ``lro --help`` and docs/cli.md.

Importing this package imports click but not rich (loaded only to draw a progress bar),
nor the SDK client, lro_api or pydantic (loaded inside the commands that talk to a server).
``import lro`` never imports this package.
"""

from __future__ import annotations

from ._app import cli, main, run
from ._exit import EXIT_CODE_TABLE, ExitCode

__all__ = ["EXIT_CODE_TABLE", "ExitCode", "cli", "main", "run"]
