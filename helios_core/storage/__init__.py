"""HeliosDB storage kernel (docstring completed below)."""

from helios_core.storage.memory_tier import MemoryTier
from helios_core.storage.schema import BranchInfo, ColumnDef, TableDef, WriteOutcome
from helios_core.storage.store import Store
from helios_core.storage.txn import READ_COMMITTED, REPEATABLE_READ, Transaction

__all__ = [
    "READ_COMMITTED", "REPEATABLE_READ", "BranchInfo", "ColumnDef", "MemoryTier", "Store", "TableDef",
    "Transaction", "WriteOutcome",
]
