"""``pypeblar demo``: pyPeblar at work in half a minute, no charger needed.

With no charger configured it starts the built-in simulator in this process and walks through a
scripted session: plug in a car, read the status, set 10 A, switch to one phase and back, pause
and resume, and let simulated time pass so the meter moves. With a charger configured
(--host and a token, or PEBLAR_HOST/PEBLAR_TOKEN) it only reads: a demo must never switch a real
charger's relays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyPeblar._local.client import Peblar
    from pyPeblar.cli._context import Context

__all__ = ["run"]


def run(context: Context) -> int:
    configured = context.host() and context.token()
    steps = read_only_tour(context) if configured else simulated_session(context)
    if context.json:
        context.emit({"steps": steps}, "")
    return 0


def step(
    context: Context,
    steps: list[dict[str, Any]],
    title: str,
    action: Callable[[], Any],
    render: Callable[[Any], str],
) -> None:
    """Run one step: announce it, do it, show the result (and keep it for --json)."""
    context.say(f"\n== {title}")
    result = action()
    if not context.json:
        context.say(render(result))
    steps.append({"step": title, "result": as_document(result)})


def as_document(result: Any) -> Any:
    """A step's result as JSON-ready data: a model's dict, or a dict of the four readings."""
    if isinstance(result, Readings):
        return {name: model.to_dict() for name, model in zip(Readings.NAMES, result, strict=True)}
    return result.to_dict()


class Readings(tuple):  # type: ignore[type-arg]
    """health, system, EV interface and meter, read together for a status screen."""

    NAMES = ("health", "system", "evinterface", "meter")

    @classmethod
    def of(cls, charger: Peblar) -> Readings:
        return cls((charger.health(), charger.system(), charger.ev_interface(), charger.meter()))

    def render(self) -> str:
        from pyPeblar.cli._render import render_status

        return render_status(*self)


def then(first: Callable[[], object], second: Callable[[], Any]) -> Callable[[], Any]:
    """Do ``first``, then return what ``second`` gives."""

    def both() -> Any:
        first()
        return second()

    return both


def simulated_session(context: Context) -> list[dict[str, Any]]:
    from pyPeblar._local.client import Peblar
    from pyPeblar._shared.memory import ChargerMemory
    from pyPeblar.cli._render import render_ev, render_meter
    from pyPeblar.simulator import Simulator

    steps: list[dict[str, Any]] = []
    with Simulator(phase_switch_delay=1.0) as sim:
        context.say(f"Built-in simulator at {sim.url}: a three-phase 16 A charger.")
        with Peblar(sim.host, sim.token, memory=ChargerMemory()) as charger:

            def then_status(action: Callable[[], object]) -> Callable[[], Readings]:
                return then(action, lambda: Readings.of(charger))

            status = Readings.render
            step(context, steps, "A car is plugged in", then_status(sim.plug_in), status)
            step(
                context,
                steps,
                "Set the charge current limit to 10 A",
                lambda: charger.set_charge_current_limit(amps=10),
                render_ev,
            )
            step(context, steps, "The meter follows", charger.meter, render_meter)
            step(
                context,
                steps,
                "Switch to one phase (the charger takes a moment)",
                then_status(lambda: charger.force_single_phase(True)),
                status,
            )
            step(
                context,
                steps,
                "Back to all three phases",
                then_status(lambda: charger.force_single_phase(False)),
                status,
            )
            step(context, steps, "Pause charging", then_status(charger.pause), status)
            step(
                context,
                steps,
                "Resume: the 10 A limit comes back",
                then_status(charger.resume),
                status,
            )
            step(
                context,
                steps,
                "Fifteen minutes later (simulated clock)",
                then(lambda: sim.advance(900), charger.meter),
                render_meter,
            )
    context.say(
        "\nDone. Try it on your charger:\n"
        "  export PEBLAR_HOST=HOST PEBLAR_TOKEN=TOKEN; pypeblar status"
    )
    return steps


def read_only_tour(context: Context) -> list[dict[str, Any]]:
    import time

    from pyPeblar.cli._render import render_meter

    charger = context.rest()
    steps: list[dict[str, Any]] = []
    context.say(f"Reading {charger.host} (the demo changes nothing on a real charger).")
    step(context, steps, "Status", lambda: Readings.of(charger), Readings.render)
    for sample in range(1, 4):
        if sample > 1:
            time.sleep(2)
        step(context, steps, f"Meter, sample {sample}", charger.meter, render_meter)
    return steps
