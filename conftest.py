"""Root conftest: makes the ``helios_server`` fixture (helios_core.testing) available everywhere.

The suite runs with HELIOS_CHECK_ENDED_RANGES set (here and in the servers its tests start): the
storage checks each kept range of end stamps against the stamps (helios_core.storage.versions).
"""

import os

os.environ["HELIOS_CHECK_ENDED_RANGES"] = "1"

from helios_core.storage import versions

versions._CHECK_RANGES = True

pytest_plugins = ["helios_core.testing"]
