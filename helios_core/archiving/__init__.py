"""WAL archiving, backups and point-in-time recovery (``[storage.wal_archiving]``).

Modules: ``objects`` (sealed, checksummed objects), ``repository`` (the archive layout in one
backend), ``backends`` (backends by name from the archiver plugins), ``shipper`` (closing and
shipping WAL files in a running server), ``backup`` (create / list / verify / expire),
``restore`` (a server to a point in time), ``branch_restore`` (heliosdb.restore_branch),
``plugin`` (the built-in hooks: start-up, status table, metrics), ``cli`` (the commands).
"""
