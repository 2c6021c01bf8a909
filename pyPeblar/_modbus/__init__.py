"""The Modbus TCP clients, ``PeblarModbus`` and ``AsyncPeblarModbus``: the register map,
pymodbus's clients under the policy, and the flows that fill the REST API's models.
"""

__all__: list[str] = []
