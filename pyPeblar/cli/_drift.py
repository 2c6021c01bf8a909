"""Firmware drift: what a charger sends that the spec does not describe, and fixtures from it.

The models read anything (they are lenient on purpose), so they cannot tell a user that firmware
has moved on. This module holds the charger's raw JSON against the spec itself: keys the spec does
not know, keys it requires that are missing, enum values it does not list, and wrong types. It
knows the part of JSON Schema the spec uses (types with OpenAPI's ``nullable``, ``enum``,
``properties``, ``required``, ``items``, ``$ref``) and needs only the standard library, so
``pypeblar check`` runs without the generator or a JSON Schema package.

``anonymize`` prepares a charger's answers for a bug report or a test fixture: serial numbers,
part numbers and tokens are masked in place, so the charger's own formatting survives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "ENDPOINTS",
    "WEB_ENDPOINTS",
    "Drift",
    "Probe",
    "Report",
    "anonymize",
    "answer_drifts",
    "by_endpoint",
    "load_spec",
    "probe_status",
    "response_schema",
    "validate",
]

#: The GET endpoints ``check`` and ``dump`` read, in this order.
ENDPOINTS: Final = ("/health", "/system", "/meter", "/evinterface")
#: The web interface's GET answers ``check`` reads with a password (paths under ``/api/v1``), each
#: with the generated API (as ``_web.flows.WEB_API_CLASSES`` names it) and operation that reads it.
WEB_ENDPOINTS: Final = {
    "/config/user": ("settings", "get_user_configuration"),
    "/system/info": ("device", "get_system_information"),
    "/system/software/automatic-update/current-versions": ("device", "get_current_versions"),
    "/config/auth/standalonelist": ("tokens", "list_rfid_tokens"),
}
#: Operations newer than the first firmware, probed with a body no charger can act on.
PROBES: Final = (("PUT", "/evinterface"), ("POST", "/authorization/charge-session"))

UNKNOWN_KEY: Final = "unknown key"
MISSING_KEY: Final = "missing key"
UNKNOWN_VALUE: Final = "unknown value"
WRONG_TYPE: Final = "wrong type"


@dataclass(frozen=True)
class Drift:
    """One way an answer differs from the spec."""

    endpoint: str
    kind: str
    where: str
    detail: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "kind": self.kind,
            "where": self.where,
            "detail": self.detail,
            "value": self.value,
        }


@dataclass(frozen=True)
class Probe:
    """Whether an operation exists: True, False (older firmware) or None (unknown)."""

    method: str
    path: str
    present: bool | None
    status: int | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": f"{self.method} {self.path}",
            "present": self.present,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass
class Report:
    """The outcome of a check: drift per endpoint, the firmware, and the newer operations; and
    the web interface's drift per endpoint, or why it was not checked."""

    host: str
    firmware: str | None = None
    api_version: str | None = None
    drifts: list[Drift] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    web_drifts: list[Drift] = field(default_factory=list)
    web_checked: list[str] = field(default_factory=list)
    web_not_checked: str | None = None
    modbus_drifts: list[Drift] = field(default_factory=list)
    modbus_checked: list[str] = field(default_factory=list)
    modbus_not_checked: str | None = "not asked for (--modbus)"

    @property
    def drifted(self) -> bool:
        return bool(self.drifts or self.web_drifts or self.modbus_drifts)

    def to_dict(self) -> dict[str, Any]:
        def endpoints(checked: list[str], drifts: list[Drift]) -> dict[str, Any]:
            grouped = by_endpoint(checked, drifts).items()
            return {endpoint: [drift.to_dict() for drift in found] for endpoint, found in grouped}

        def api(not_checked: str | None, checked: list[str], drifts: list[Drift]) -> dict[str, Any]:
            """A further API's part: whether it was checked (why not), and its endpoints."""
            return {
                "checked": not_checked is None,
                "not_checked": not_checked,
                "endpoints": endpoints(checked, drifts),
            }

        return {
            "host": self.host,
            "firmware": self.firmware,
            "api_version": self.api_version,
            "matches_spec": not self.drifted,
            "endpoints": endpoints(self.checked, self.drifts),
            "operations": [probe.to_dict() for probe in self.probes],
            "web": api(self.web_not_checked, self.web_checked, self.web_drifts),
            "modbus": api(self.modbus_not_checked, self.modbus_checked, self.modbus_drifts),
        }


def by_endpoint(checked: list[str], drifts: list[Drift]) -> dict[str, list[Drift]]:
    """Each endpoint read, in order, with the differences found in its answer."""
    return {endpoint: [d for d in drifts if d.endpoint == endpoint] for endpoint in checked}


def load_spec(package: str = "pyPeblar") -> dict[str, Any]:
    """A spec the package ships, written by scripts/regenerate: the local REST API's
    (``pyPeblar/openapi.json``), or with ``"pyPeblar.webui"`` the web interface's."""
    from importlib.resources import files

    spec: dict[str, Any] = json.loads(files(package).joinpath("openapi.json").read_text())
    return spec


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(component name, schema) behind a ``$ref``; the name is None for an inline schema."""
    reference = schema.get("$ref")
    if not isinstance(reference, str):
        return None, schema
    name = reference.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return name, resolved


def response_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema of the 200 answer of ``GET path``."""
    answer = spec["paths"][path]["get"]["responses"]["200"]
    schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
    return schema


def answer_drifts(spec: dict[str, Any], path: str, document: Any) -> list[Drift]:
    """Every way the answer of ``GET path`` differs from ``spec``; ``document`` is its JSON, or
    None when the answer is not JSON."""
    if document is None:
        return [Drift(path, WRONG_TYPE, "", "the answer is not JSON")]
    return validate(spec, path, document, response_schema(spec, path))


TYPES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
}


def is_type(value: Any, expected: str) -> bool:
    """JSON Schema's idea of a type: a bool is not an integer, an integer is a number."""
    if isinstance(value, bool):
        return expected == "boolean"
    checks = {
        "boolean": False,
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int),
        "number": isinstance(value, (int, float)),
    }
    return checks.get(expected, True)


def validate(
    spec: dict[str, Any], endpoint: str, value: Any, schema: dict[str, Any], where: str = ""
) -> list[Drift]:
    """Every way ``value`` differs from ``schema``, strictly (unknown keys included)."""
    name, schema = resolve(spec, schema)
    label = where
    if value is None:
        if schema.get("nullable"):
            return []
        expected = TYPES.get(schema.get("type", ""), "a value")
        return [Drift(endpoint, WRONG_TYPE, label, f"null where the spec expects {expected}", None)]
    expected_type = schema.get("type")
    if expected_type and not is_type(value, expected_type):
        found = json.dumps(value)[:60]
        return [
            Drift(
                endpoint,
                WRONG_TYPE,
                label,
                f"{found} where the spec expects {TYPES.get(expected_type, expected_type)}",
                value,
            )
        ]
    if "enum" in schema and value not in schema["enum"]:
        listing = name or "the spec's list"
        return [
            Drift(endpoint, UNKNOWN_VALUE, label, f"{json.dumps(value)} is not in {listing}", value)
        ]
    if isinstance(value, dict):
        return object_drifts(spec, endpoint, value, schema, where)
    if isinstance(value, list) and "items" in schema:
        return [
            drift
            for index, item in enumerate(value)
            for drift in validate(spec, endpoint, item, schema["items"], f"{where}[{index}]")
        ]
    return []


def object_drifts(
    spec: dict[str, Any], endpoint: str, value: dict[str, Any], schema: dict[str, Any], where: str
) -> list[Drift]:
    properties: dict[str, Any] = schema.get("properties", {})
    drifts = []
    for key, item in value.items():
        path = f"{where}.{key}" if where else key
        if key in properties:
            drifts.extend(validate(spec, endpoint, item, properties[key], path))
        else:
            shown = json.dumps(item)[:40]
            drifts.append(
                Drift(endpoint, UNKNOWN_KEY, path, f"not in the spec (value {shown})", item)
            )
    for key in schema.get("required", []):
        if key not in value:
            path = f"{where}.{key}" if where else key
            drifts.append(Drift(endpoint, MISSING_KEY, path, "required by the spec but absent"))
    return drifts


def probe_status(method: str, path: str, status: int) -> Probe:
    """What the answer to a deliberately invalid request says about an operation's existence."""
    if status in (404, 405):
        return Probe(method, path, False, status, "missing: this firmware predates it")
    if status in (400, 403, 422) or 200 <= status < 300:
        return Probe(method, path, True, status, "present")
    return Probe(method, path, None, status, f"unknown (the charger answered {status})")


# -- anonymising ---------------------------------------------------------------------------

#: Keys whose string values identify a charger.
IDENTIFYING: Final = ("ProductSn", "ProductPn", "SerialNumber", "MacAddress", "Hostname")
#: Values that look like an API token or another long secret.
SECRET_LIKE: Final = re.compile(r"^[0-9A-Za-z_\-]{32,}$")


def mask(text: str) -> str:
    """The same shape with nothing of the original: digits become 0, letters X."""
    return "".join("0" if c.isdigit() else "X" if c.isalpha() else c for c in text)


def secrets_in(value: Any, tokens: tuple[str, ...], key: str = "") -> set[str]:
    """The strings in ``value`` to mask: identifying keys' values, tokens, token-like strings."""
    found: set[str] = set()
    if isinstance(value, dict):
        for name, item in value.items():
            found |= secrets_in(item, tokens, name)
    elif isinstance(value, list):
        for item in value:
            found |= secrets_in(item, tokens, key)
    elif isinstance(value, str) and (
        key in IDENTIFYING or SECRET_LIKE.match(value) or any(t and t in value for t in tokens)
    ):
        found.add(value)
    return found


def anonymize(raw: bytes, *, tokens: tuple[str, ...] = ()) -> bytes:
    """``raw`` with serials, part numbers and tokens masked, the formatting left as it was.

    Each secret's JSON string is replaced by a masked string of the same length, so the file is
    still the charger's own formatting (tabs, ``" : "``, key order) and still valid JSON. A body
    that is not JSON is masked for ``tokens`` only.
    """
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    secrets = secrets_in(document, tokens) if document is not None else set()
    secrets |= {token for token in tokens if token}
    for secret in sorted(secrets, key=len, reverse=True):
        for encoded in {json.dumps(secret)[1:-1], secret}:
            raw = raw.replace(encoded.encode(), mask(encoded).encode())
    return raw
