"""HeliosDB benchmarks, run side by side with PostgreSQL 15 and DuckDB in one run.

Entry point: ``python -m bench`` (see bench/README.md). Never imported by the test suite.

Every benchmark measures the product, not the test suite's fixtures: the example plugin of
``tests/example_plugin`` (installed in development environments) writes a log line for every
statement, which no deployment does and which cost a third of a point query's server time, so
importing this package adds it to ``HELIOS_DISABLE_PLUGINS`` for this process and every server
and in-process engine it starts.
"""

import os

TEST_PLUGINS = ("example",)


def _switch_off_test_plugins() -> None:
    listed = [name for name in os.environ.get("HELIOS_DISABLE_PLUGINS", "").split(",") if name.strip()]
    os.environ["HELIOS_DISABLE_PLUGINS"] = ",".join([*listed, *(p for p in TEST_PLUGINS if p not in listed)])


_switch_off_test_plugins()
