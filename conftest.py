"""Root conftest: makes the ``helios_server`` fixture (helios_core.testing) available everywhere."""

pytest_plugins = ["helios_core.testing"]
