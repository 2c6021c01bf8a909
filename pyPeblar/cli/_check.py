"""``pypeblar check`` and ``pypeblar dump``: compare a charger with the spec, capture its answers.

``check`` reads every GET endpoint raw and holds it against the spec (not the lenient models),
then probes whether the newer operations exist with bodies no charger can act on (an empty PUT,
an empty charge-session call): a 400 or 403 means present, 404 or 405 means older firmware. It
changes nothing. Exit status 1 when the answers differ from the spec; operations missing on older
firmware are reported but are not drift (the spec says they may be missing).

``dump`` saves each answer byte for byte, ready to become a test fixture or to join a bug report;
``--anonymize`` masks serials, part numbers and tokens in place.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyPeblar._drift import Report
    from pyPeblar.cli._context import Context

__all__ = ["add_dump_arguments", "check", "dump"]


def read(context: Context, path: str) -> tuple[bytes, Any]:
    """The raw answer of ``GET path`` and its JSON (None if it is not JSON)."""
    raw = context.charger().raw("GET", path)
    try:
        return raw, json.loads(raw)
    except ValueError:
        return raw, None


def build_report(context: Context) -> Report:
    from pyPeblar._drift import (
        ENDPOINTS,
        PROBES,
        WRONG_TYPE,
        Drift,
        Report,
        load_spec,
        probe_status,
        response_schema,
        validate,
    )
    from pyPeblar._errors import PeblarResponseError

    spec = load_spec()
    charger = context.charger()
    report = Report(host=charger.host)
    for path in ENDPOINTS:
        _, document = read(context, path)
        report.checked.append(path)
        if document is None:
            report.drifts.append(Drift(path, WRONG_TYPE, "", "the answer is not JSON"))
            continue
        report.drifts.extend(validate(spec, path, document, response_schema(spec, path)))
        if path == "/health" and isinstance(document, dict):
            report.api_version = str(document.get("ApiVersion"))
        if path == "/system" and isinstance(document, dict):
            report.firmware = str(document.get("FirmwareVersion"))
    for method, path in PROBES:
        try:
            # An empty body: no charger can act on it, so even a retry changes nothing.
            charger.raw(method, path, b"{}", retry=True)
            status = 200
        except PeblarResponseError as error:
            status = error.status
        report.probes.append(probe_status(method, path, status))
    return report


def differences(count: int) -> str:
    return f"{count} difference{'s' if count != 1 else ''}"


def render(report: Report) -> str:
    lines = [f"Charger {report.host}: firmware {report.firmware}, API {report.api_version}", ""]
    for endpoint in report.checked:
        drifts = [drift for drift in report.drifts if drift.endpoint == endpoint]
        summary = differences(len(drifts)) if drifts else "matches the spec"
        lines.append(f"GET {endpoint:<16}{summary}")
        for drift in drifts:
            lines.append(f"  {drift.kind}: {drift.where or 'the whole answer'}")
            lines.append(f"    {drift.detail}"[:80])
    lines.append("")
    lines.extend(f"{probe.method} {probe.path}: {probe.detail}"[:80] for probe in report.probes)
    lines.append("")
    if report.drifted:
        lines.append(f"{differences(len(report.drifts))} from the spec: see docs/regenerating.md")
    else:
        lines.append("The charger matches the spec.")
    return "\n".join(lines)


def check(context: Context) -> int:
    from pyPeblar.cli._context import EXIT_DRIFT

    report = build_report(context)
    context.emit(report.to_dict(), render(report))
    return EXIT_DRIFT if report.drifted else 0


def add_dump_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", type=Path, default=Path("peblar-dump"), help="folder (default ./peblar-dump)"
    )
    parser.add_argument(
        "--anonymize", action="store_true", help="mask serials, part numbers and tokens"
    )


def dump(context: Context) -> int:
    from pyPeblar import __version__
    from pyPeblar._drift import ENDPOINTS, anonymize

    folder: Path = context.args.output
    folder.mkdir(parents=True, exist_ok=True)
    charger = context.charger()
    secrets = (charger.token,)
    written = []
    firmware = None
    for path in ENDPOINTS:
        raw, document = read(context, path)
        if path == "/system" and isinstance(document, dict):
            firmware = document.get("FirmwareVersion")
        if context.args.anonymize:
            raw = anonymize(raw, tokens=secrets)
        target = folder / f"{path.strip('/')}.json"
        target.write_bytes(raw)
        written.append(str(target))
    manifest = {
        "captured": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "firmware": firmware,
        "host": "anonymized" if context.args.anonymize else charger.host,
        "anonymized": bool(context.args.anonymize),
        "pyPeblar": __version__,
        "files": [Path(name).name for name in written],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    human = "\n".join(["Saved:", *(f"  {name}" for name in written)])
    context.emit({"folder": str(folder), **manifest}, human)
    return 0
