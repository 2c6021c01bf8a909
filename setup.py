"""Legacy entry point for tools that still run ``python setup.py``.

Every piece of metadata (name, version, dependencies, extras, the ``pypeblar`` console script) lives
in pyproject.toml, so the two files cannot disagree; this shim only hands over to setuptools.
"""

from setuptools import setup

setup()
