"""``python -m pyPeblar.simulator``: run a simulated Peblar until Ctrl-C."""

import argparse
import sys

from pyPeblar.simulator._cli import DESCRIPTION, add_arguments, run

PROG = "python -m pyPeblar.simulator"
parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
add_arguments(parser)
sys.exit(run(parser.parse_args(), PROG))
