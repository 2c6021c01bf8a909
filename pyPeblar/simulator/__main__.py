"""``python -m pyPeblar.simulator``: run a simulated Peblar until Ctrl-C."""

import argparse
import sys

from pyPeblar.simulator._cli import add_arguments, run

parser = argparse.ArgumentParser(
    prog="python -m pyPeblar.simulator",
    description="Serve a simulated Peblar charger's local REST API.",
)
add_arguments(parser)
sys.exit(run(parser.parse_args()))
