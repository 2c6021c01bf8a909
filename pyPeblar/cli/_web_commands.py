"""The commands of the charger's web interface: ``config``, ``smart-charging``, ``rfid``,
``history``, ``versions``, ``update``, ``identify`` and ``reboot``.

Each logs in with the web interface password (``Context.web``: $PEBLAR_PASSWORD, --password-file
or --password - for standard input, asked for on a terminal), prints through one renderer of
``_render`` and returns an exit status; ``_commands`` registers them (with their help lines) and
finds them in ``WEB_COMMANDS`` when one runs. A
reboot and an update ask first on a terminal and, without --yes, refuse before sending anything
when nobody can answer. Like every command module, this one imports only the standard library
until a command runs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from pyPeblar._transport.shown import shown
from pyPeblar.cli._context import Context, RefusedError, UsageError, no_arguments

if TYPE_CHECKING:
    from pyPeblar.webui.models import UserConfiguration

__all__ = ["WEB_COMMANDS", "WebCommand"]


class WebCommand(NamedTuple):
    """A web-interface command: how it declares its arguments, and what it runs."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context], int]


def yes_option(parser: argparse.ArgumentParser, doing: str) -> None:
    parser.add_argument(
        "--yes",
        action="store_true",
        help=f"{doing} without asking (needed when standard input is not a terminal)",
    )


# -- config -------------------------------------------------------------------------------------


#: How deep a VALUE's JSON may nest: settings are scalars, and the limit keeps a hostile
#: ``[[[[...`` from exhausting the parser's recursion.
MAX_JSON_DEPTH: Final = 32


def key_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``, the value read as JSON when it is JSON (``true``, ``16``, ``"16"``,
    ``null``), else the text as it is (``Fixed``). Whether it is of the setting's type is
    checked later, with the spec (``checked_settings``)."""
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise argparse.ArgumentTypeError(
            f"{shown(text)} is not KEY=VALUE (UserKeepSocketLocked=true)"
        )
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise argparse.ArgumentTypeError(
            f"{shown(key)}: the value nests deeper than {MAX_JSON_DEPTH} levels; a setting takes "
            "one value"
        )
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def json_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in ``text`` (outside strings): what ``json.loads`` would
    recurse into, counted without recursing."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def checked_settings(changes: dict[str, Any]) -> None:
    """Refuse (a ``UsageError``, nothing sent) a value whose JSON type or value the web
    interface's spec does not allow for its setting: ``HmiBuzzerVolume="1"`` is text where a
    number is wanted, ``HmiBuzzerVolume=true`` a truth value. Names the spec does not know are
    left to the client, which refuses them."""
    from pyPeblar.cli._drift import load_spec, validate

    spec = load_spec("pyPeblar.webui")
    properties = spec["components"]["schemas"]["UserConfigurationUpdate"]["properties"]
    for name, value in changes.items():
        if name in properties:
            for problem in validate(spec, name, value, properties[name]):
                raise UsageError(f"config set {name}: {problem.detail}; nothing was sent")


def config_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="config_action", metavar="set")
    change = actions.add_parser(
        "set",
        help="change settings, KEY=VALUE (snake_case or the charger's names)",
        description="Change settings of the web interface and show them as the charger then "
        "reports them. KEY is the charger's name (UserKeepSocketLocked) or its snake_case "
        '(user_keep_socket_locked); VALUE is read as JSON when it can be (true, 16, "16" for '
        "text), else as text (Fixed), and must be of the setting's type.",
    )
    change.add_argument("settings", nargs="+", type=key_value, metavar="KEY=VALUE")


def writable_keys() -> dict[str, str]:
    """Each setting ``config set`` can change: its snake_case name -> the charger's name."""
    from pyPeblar.webui.models.user_configuration_update import UserConfigurationUpdate

    return {name: info.alias or name for name, info in UserConfigurationUpdate.model_fields.items()}


def settings_document(configuration: UserConfiguration) -> dict[str, Any]:
    """The charger's keys and values (unknown keys kept), enum members as their wire values."""
    return {key: getattr(value, "value", value) for key, value in configuration.to_dict().items()}


def mode_name(configuration: UserConfiguration) -> str | None:
    from pyPeblar._web.flows import mode_of

    mode = mode_of(configuration)
    return None if mode is None else mode.value


def config(context: Context) -> int:
    from pyPeblar.cli._render import render_changed_settings, render_settings

    web = context.web()
    if context.args.config_action != "set":
        configuration = web.user_configuration()
        document = settings_document(configuration)
        mode = mode_name(configuration)
        context.emit(document, render_settings(document, writable_keys().values(), mode))
        return 0
    wire = writable_keys()
    changes: dict[str, Any] = {}
    for key, value in context.args.settings:
        name = wire.get(key, key)  # one name for each setting, so none is given twice
        if name in changes:
            raise UsageError(f"config set: {name} is given twice")
        changes[name] = value
    checked_settings(changes)
    configuration = web.update_user_configuration(**changes)
    document = settings_document(configuration)
    context.emit(document, render_changed_settings(document, list(changes)))
    return 0


# -- smart charging -----------------------------------------------------------------------------


def smart_charging_mode(text: str) -> str:
    """A mode as the client names it: ``pure-solar`` and ``PURE_SOLAR`` read as ``pure_solar``."""
    return text.strip().lower().replace("-", "_")


#: The smart-charging keys of the user configuration (for --json).
SMART_CHARGING_KEYS: Final = (
    "ScheduledChargingEnable",
    "SolarChargingEnable",
    "SolarChargingMode",
    "SolarChargingCustomAlwaysCharge",
    "SolarChargingCustomPowerTarget",
    "SolarChargingCustomPowerThreshold",
)


def smart_charging_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar._web.flows import SmartChargingMode

    parser.add_argument(
        "mode",
        nargs="?",
        type=smart_charging_mode,
        choices=[mode.value for mode in SmartChargingMode],
        metavar="MODE",
        help="switch to this mode: "
        + ", ".join(mode.value for mode in SmartChargingMode)
        + " (without MODE: show the current one)",
    )
    parser.add_argument(
        "--always-charge",
        action=argparse.BooleanOptionalAction,
        help="custom_solar: keep charging when the sun is not enough",
    )
    parser.add_argument(
        "--power-target",
        type=int,
        metavar="W",
        help="custom_solar: the grid power to aim at, in W (negative: export)",
    )
    parser.add_argument(
        "--power-threshold",
        type=int,
        metavar="W",
        help="custom_solar: the solar surplus needed to start, in W",
    )


def smart_charging(context: Context) -> int:
    from pyPeblar.cli._render import render_smart_charging

    args = context.args
    custom = {
        "always_charge": args.always_charge,
        "power_target": args.power_target,
        "power_threshold": args.power_threshold,
    }
    given = [f"--{name.replace('_', '-')}" for name, value in custom.items() if value is not None]
    if given and args.mode != "custom_solar":
        raise UsageError(f"{' and '.join(given)} go with custom_solar only")
    web = context.web()
    if args.mode is None:
        configuration = web.user_configuration()
        done = ""
    else:
        configuration = web.set_smart_charging_mode(args.mode, **custom)
        done = f"Smart charging set to {args.mode}.\n\n"
    document = settings_document(configuration)
    mode = mode_name(configuration)
    shown = {"mode": mode} | {key: document.get(key) for key in SMART_CHARGING_KEYS}
    context.emit(shown, done + render_smart_charging(mode, document))
    return 0


# -- RFID cards -----------------------------------------------------------------------------------


def rfid_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="rfid_action", metavar="list|add|remove", required=True)
    actions.add_parser("list", help="the cards allowed to charge", description="List the cards.")
    add = actions.add_parser("add", help="allow a card to charge", description="Add a card.")
    add.add_argument("uid", metavar="UID", help="the card's UID, as the charger shows it")
    add.add_argument(
        "description", metavar="DESCRIPTION", nargs="?", default="", help="your name for it"
    )
    remove = actions.add_parser("remove", help="remove a card", description="Remove a card.")
    remove.add_argument("uid", metavar="UID", help="the card's UID")


def rfid(context: Context) -> int:
    from pyPeblar.cli._render import render_rfid_tokens

    args = context.args
    web = context.web()
    done = ""
    if args.rfid_action == "add":
        web.add_rfid_token(args.uid, args.description)
        named = f" ({args.description})" if args.description else ""
        done = f"Added {args.uid}{named}.\n\n"
    elif args.rfid_action == "remove":
        if args.uid not in (token.rfid_token_uid for token in web.rfid_tokens()):
            raise RefusedError(
                f"{shown(args.uid)} is not on the charger's RFID list: nothing removed",
                "`pypeblar rfid list` shows the cards on it.",
            )
        web.remove_rfid_token(args.uid)
        done = f"Removed {args.uid}.\n\n"
    tokens = web.rfid_tokens()
    context.emit([token.to_dict() for token in tokens], done + render_rfid_tokens(tokens))
    return 0


# -- history --------------------------------------------------------------------------------------

WHEN_FORMS: Final = "2026-03-01, 2026-03-01T18:00 or 2026-03-01T18:00+01:00"


def when(text: str, *, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time; a date alone is the day's start (or, for --until, its end).

    Without an offset, the time is the charger's local time (the charger reads it so).
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{shown(text)} is not an ISO 8601 date or date-time ({WHEN_FORMS})"
        ) from None


def since(text: str) -> datetime:
    return when(text, end_of_day=False)


def until(text: str) -> datetime:
    return when(text, end_of_day=True)


def history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=since,
        metavar="WHEN",
        help=f"sessions that had not ended by then ({WHEN_FORMS}; no offset: the charger's time)",
    )
    parser.add_argument(
        "--until",
        type=until,
        metavar="WHEN",
        help="sessions that had started by then (a date alone: the end of that day)",
    )


def history(context: Context) -> int:
    from pyPeblar.cli._render import history_csv

    start, stop = context.args.since, context.args.until
    if (
        start is not None
        and stop is not None
        and (start.tzinfo is None) == (stop.tzinfo is None)
        and start > stop
    ):
        raise UsageError("--since is after --until: no session can be in between")
    answer = context.web().meter_history(start, stop)
    context.emit(answer.to_dict(), history_csv(answer))
    return 0


# -- firmware, identify, reboot ---------------------------------------------------------------


def versions(context: Context) -> int:
    from pyPeblar.cli._render import render_versions

    web = context.web()
    current, available = web.versions(), web.available_versions()
    document = {"current": current.to_dict(), "available": available.to_dict()}
    context.emit(document, render_versions(current, available))
    return 0


PACKAGES: Final = ("Firmware", "Customization")


def package_name(text: str) -> str:
    return text.strip().capitalize()


def update_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--package",
        type=package_name,
        choices=PACKAGES,
        default="Firmware",
        help="what to install: Firmware (default) or Customization",
    )
    yes_option(parser, "install")


def update(context: Context) -> int:
    package = context.args.package
    context.confirmable("installs an update")  # refuse before anything is sent
    web = context.web()
    current, available = web.versions(), web.available_versions()
    now, offered = getattr(current, package.lower()), getattr(available, package.lower())
    document = {"package": package, "current": now, "available": offered, "installing": False}
    if offered is None or offered == now:
        context.emit(document, f"{package} {now} is up to date: nothing to install.")
        return 0
    question = (
        f"Install {package.lower()} {offered} on {web.host} (now {now})? The charger reboots "
        "to install it, which stops charging until it is back."
    )
    if not context.confirm(question, "installs an update"):
        context.emit(document, "Nothing installed.")
        return 0
    web.start_update(package)
    document["installing"] = True
    context.emit(
        document,
        f"Installing {package.lower()} {offered}; the charger reboots to install it.",
    )
    return 0


def identify(context: Context) -> int:
    web = context.web()
    web.identify()
    context.emit(
        {"host": web.host, "identified": True}, f"The charger at {web.host} blinks its LED."
    )
    return 0


def reboot_arguments(parser: argparse.ArgumentParser) -> None:
    yes_option(parser, "reboot")


def reboot(context: Context) -> int:
    host = context.host() or "the charger"
    question = f"Reboot the charger at {host}? Charging stops until it is back."
    if not context.confirm(question, "reboots the charger"):
        context.emit({"host": host, "rebooting": False}, "Not rebooted.")
        return 0
    web = context.web()
    web.reboot()
    context.emit(
        {"host": web.host, "rebooting": True},
        f"The charger at {web.host} is rebooting; it answers again in a minute or so.",
    )
    return 0


#: What each web-interface command declares and runs (``_commands`` registers them, with help).
WEB_COMMANDS: Final = {
    "config": WebCommand(config_arguments, config),
    "smart-charging": WebCommand(smart_charging_arguments, smart_charging),
    "rfid": WebCommand(rfid_arguments, rfid),
    "history": WebCommand(history_arguments, history),
    "versions": WebCommand(no_arguments, versions),
    "update": WebCommand(update_arguments, update),
    "identify": WebCommand(no_arguments, identify),
    "reboot": WebCommand(reboot_arguments, reboot),
}
