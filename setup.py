"""Metadata and dependencies are in setup.cfg. The bundled catalogs and scenarios are top-level
folders (fixtures/, scenarios/), shipped as the packages mockserver.fixtures and
mockserver.scenarios, which setup.cfg's declarative find cannot add beside the ones it finds."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["mockserver", "mockserver.*"]) + ["mockserver.fixtures", "mockserver.scenarios"],
    package_dir={"mockserver.fixtures": "fixtures", "mockserver.scenarios": "scenarios"},
)
