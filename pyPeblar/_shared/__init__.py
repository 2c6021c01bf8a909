"""What every client shares, whatever its API: the options and their checks, the flows and
their drivers, and the charging control (pause memory, relay guard, phase switching, confirmed
writes) that the REST and Modbus clients both run.
"""

__all__: list[str] = []
