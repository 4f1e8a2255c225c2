"""HeliosDB kernel: transactions, branches, storage and the SQL executor.

Embedded use (no server)::

    import helios_core
    session = helios_core.connect()          # in-memory
    session.execute("select 1")

Also the object-store backend sections (``[storage.s3]``, ``[storage.gcs]``, ``[storage.azure]``,
``[storage.local]``) that storage plugins are configured with, validated as in helios.toml.
"""

# first: the allocator reads its settings when pyarrow loads (see the module)
from helios_core import memory_retention  # noqa: F401, I001

from helios_core.config import (
    OBJECT_BACKENDS,
    AzureSection,
    ConfigError,
    GcsSection,
    LocalSection,
    S3Section,
    object_backend_section,
)

__all__ = [
    "OBJECT_BACKENDS",
    "AzureSection",
    "ConfigError",
    "GcsSection",
    "LocalSection",
    "S3Section",
    "__version__",
    "connect",
    "object_backend_section",
]

__version__ = "0.1.0"


def connect(data_dir=None, *, user: str = "helios", database: str = "helios", branch: str = "main"):
    """Open an embedded engine (in memory when data_dir is None) and return a Session."""
    from helios_core.engine import Engine

    return Engine.open(data_dir).connect(user=user, database=database, branch=branch)
