"""``with`` and ``async with`` for what a program must close: every client, and the event stream.

Each class keeps its own ``close()`` (what it releases differs: a pool, a session to log out of,
a Modbus connection, a websocket); what leaving a block does is written here once, so that every
client leaves one the same way. (``AsyncPeblarWeb.events()``'s stream closes with ``aclose()``,
as an async generator does, so it keeps its own ``__aexit__``.)
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing_extensions costs ~10 ms at import; only annotations use it
    from typing_extensions import Self

__all__ = ["AsyncClosing", "Closing"]


class Closing:
    """Usable in ``with``: the block gets the object itself, and leaving it calls ``close()``."""

    if TYPE_CHECKING:  # each class writes its own

        def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClosing:
    """Usable in ``async with``: the block gets the object itself, and leaving it awaits
    ``close()``."""

    if TYPE_CHECKING:  # each class writes its own

        async def close(self) -> None: ...

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
