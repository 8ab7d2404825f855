"""Packages of snapsim: every ``sim*`` package, plus ``sim.scenarios``, the repository's
``scenarios/`` folder installed as package data (pyproject.toml maps the folder and its files).
Everything else is configured in pyproject.toml."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["sim", "sim.*"]) + ["sim.scenarios"])
