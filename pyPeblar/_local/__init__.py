"""The local REST API's clients, ``Peblar`` and ``AsyncPeblar``: its flows over the generated
``pyPeblar.api`` and ``pyPeblar.aio.api`` classes.
"""

__all__: list[str] = []
