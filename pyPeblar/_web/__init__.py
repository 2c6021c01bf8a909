"""The web interface's clients, ``PeblarWeb`` and ``AsyncPeblarWeb``: the session, the
settings and their checks, confirmed writes, and the live events of its websocket.
"""

__all__: list[str] = []
