"""``pypeblar check`` and ``pypeblar dump``: compare a charger with the spec, capture its answers.

``check`` reads every GET endpoint raw and holds it against the spec (not the lenient models),
then probes whether the newer operations exist with bodies no charger can act on (an empty PUT,
an empty charge-session call): a 400 or 403 means present, 404 or 405 means older firmware. It
changes nothing. Exit status 1 when the answers differ from the spec; operations missing on older
firmware are reported but are not drift (the spec says they may be missing). With the web
interface password it also logs in and holds the web interface's answers (settings, system
information, versions, RFID list) against the second spec, ``pyPeblar/webui/openapi.json``;
without one it says so, and that is not an error. With ``--modbus`` it reads the charger's Modbus
registers too and compares them with the REST API's answers (``_modbus_drift``): the third API.

``dump`` saves each answer byte for byte, ready to become a test fixture or to join a bug report;
``--anonymize`` masks serials, part numbers and tokens in place.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context
    from pyPeblar.cli._drift import Drift, Report

__all__ = ["add_dump_arguments", "check", "dump"]


def with_json(raw: bytes) -> tuple[bytes, Any]:
    """``raw`` and its JSON (None if it is not JSON)."""
    try:
        return raw, json.loads(raw)
    except ValueError:
        return raw, None


def read(context: Context, path: str) -> tuple[bytes, Any]:
    """The raw answer of ``GET path`` and its JSON (None if it is not JSON)."""
    return with_json(context.rest().raw("GET", path))


def build_report(context: Context) -> Report:
    from pyPeblar._errors import PeblarResponseError
    from pyPeblar.cli._drift import (
        ENDPOINTS,
        PROBES,
        Report,
        answer_drifts,
        load_spec,
        probe_status,
    )

    spec = load_spec()
    charger = context.rest()
    report = Report(host=charger.host)
    for path in ENDPOINTS:
        _, document = read(context, path)
        report.checked.append(path)
        report.drifts.extend(answer_drifts(spec, path, document))
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
    check_web(context, report)
    check_modbus(context, report)
    return report


#: What ``check`` compares over Modbus: the REST path and the method both clients have.
MODBUS_COMPARED = (("/system", "system"), ("/meter", "meter"), ("/evinterface", "ev_interface"))


def check_modbus(context: Context, report: Report) -> None:
    """With --modbus, hold the Modbus registers against the REST API's answers."""
    if not context.modbus:
        return
    from pyPeblar.cli._modbus_drift import modbus_drifts

    rest, modbus = context.rest(), context.modbus_charger()
    report.modbus_not_checked = None
    for path, method in MODBUS_COMPARED:
        theirs = getattr(rest, method)()
        ours = getattr(modbus, method)()
        report.modbus_checked.append(path)
        report.modbus_drifts.extend(modbus_drifts(path, theirs, ours))


#: What ``check`` says when it has no web interface password.
NO_PASSWORD = "no password (PEBLAR_PASSWORD, --password-file PATH or --password -)"


def read_web(context: Context, api: str, operation: str) -> tuple[bytes, Any]:
    """The raw answer of a web-interface GET, through the generated API class in the session,
    and its JSON (None if it is not JSON)."""
    from importlib import import_module

    from pyPeblar._web.flows import WEB_API_CLASSES

    module, name = WEB_API_CLASSES[api]
    instance = getattr(import_module(f"pyPeblar.webui.api.{module}"), name)(
        context.web().api_client
    )
    return with_json(getattr(instance, f"{operation}_without_preload_content")().data)


def check_web(context: Context, report: Report) -> None:
    """With a password, hold the web interface's answers against its spec (never asks for one)."""
    from pyPeblar.cli._drift import WEB_ENDPOINTS, answer_drifts, load_spec

    if context.password(ask=False) is None:
        report.web_not_checked = NO_PASSWORD
        return
    spec = load_spec("pyPeblar.webui")
    context.web().login()  # a wrong password is an error (status 4), not drift
    for path, (api, operation) in WEB_ENDPOINTS.items():
        _, document = read_web(context, api, operation)
        report.web_checked.append(path)
        report.web_drifts.extend(answer_drifts(spec, path, document))


def differences(count: int) -> str:
    return f"{count} difference{'s' if count != 1 else ''}"


def render_endpoints(
    checked: list[str], drifts: list[Drift], agreeing: str = "matches the spec"
) -> list[str]:
    """A line per endpoint read, and a pair of lines per difference found in its answer."""
    from pyPeblar.cli._drift import by_endpoint

    lines = []
    for endpoint, found in by_endpoint(checked, drifts).items():
        summary = differences(len(found)) if found else agreeing
        lines.append(f"GET {endpoint:<15} {summary}")
        for drift in found:
            lines.append(f"  {drift.kind}: {drift.where or 'the whole answer'}")
            lines.append(f"    {drift.detail}"[:80])
    return lines


def render(report: Report) -> str:
    lines = [f"Charger {report.host}: firmware {report.firmware}, API {report.api_version}", ""]
    lines.extend(render_endpoints(report.checked, report.drifts))
    lines.append("")
    lines.extend(f"{probe.method} {probe.path}: {probe.detail}"[:80] for probe in report.probes)
    lines.append("")
    if report.web_not_checked is None:
        lines.append("Web interface (/api/v1):")
        lines.extend(render_endpoints(report.web_checked, report.web_drifts))
    else:
        lines.append(f"Web interface: not checked: {report.web_not_checked}.")
    if report.modbus_not_checked is None:
        lines.append("")
        lines.append("Modbus registers, against the REST API:")
        lines.extend(
            render_endpoints(report.modbus_checked, report.modbus_drifts, "agrees with it")
        )
    lines.append("")
    if report.modbus_drifts:
        lines.append(
            f"{differences(len(report.modbus_drifts))} between Modbus and the REST API: "
            "see docs/modbus.md"
        )
    if report.drifts or report.web_drifts:
        count = len(report.drifts) + len(report.web_drifts)
        lines.append(f"{differences(count)} from the spec: see docs/regenerating.md")
    if not report.drifted:
        agree = report.modbus_not_checked is None
        lines.append(
            "The charger matches the spec"
            + (", and its Modbus registers agree with the REST API." if agree else ".")
        )
    return "\n".join(lines)


def check(context: Context) -> int:
    from pyPeblar.cli._context import EXIT_DRIFT

    report = build_report(context)
    context.emit(report.to_dict(), render(report))
    return EXIT_DRIFT if report.drifted else 0


def output_folder(text: str) -> Path:
    """--output's folder: named (an empty name would be the current folder, unasked)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder name (. for the current folder)")
    return Path(text)


def add_dump_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=output_folder,
        default=Path("peblar-dump"),
        metavar="FOLDER",
        help="folder (default ./peblar-dump)",
    )
    parser.add_argument(
        "--anonymize", action="store_true", help="mask serials, part numbers and tokens"
    )


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """A file that cannot be written in ``folder`` is a usage error naming --output."""
    from pyPeblar._transport.shown import shown
    from pyPeblar.cli._context import UsageError

    try:
        yield
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        reason = getattr(error, "strerror", None) or str(error)
        where = shown(str(folder))
        raise UsageError(f"dump --output {where}: cannot write there ({reason})") from None


def dump(context: Context) -> int:
    from pyPeblar import __version__
    from pyPeblar.cli._drift import ENDPOINTS, anonymize

    folder: Path = context.args.output
    with writing(folder):  # before anything is asked of the charger
        folder.mkdir(parents=True, exist_ok=True)
    charger = context.rest()
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
        with writing(folder):
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
    target = folder / "manifest.json"
    with writing(folder):
        target.write_text(json.dumps(manifest, indent=2) + "\n")
    written.append(str(target))
    human = "\n".join(["Saved:", *(f"  {name}" for name in written)])
    context.emit({"folder": str(folder), **manifest}, human)
    return 0
