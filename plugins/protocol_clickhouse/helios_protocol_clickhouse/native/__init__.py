"""ClickHouse's native TCP protocol (the ``port`` of ``[protocols.clickhouse]``), as
clickhouse-driver and clickhouse-client speak it.

``wire`` reads and writes the primitive encodings, ``types`` parses ClickHouse type names,
``columns`` and ``blocks`` turn Arrow arrays into columnar blocks and back, ``compression``
frames blocks with LZ4/ZSTD and CityHash128 checksums, ``packets`` holds the client and server
messages, ``server`` and ``connection`` serve sockets; statements run through
``helios_protocol_clickhouse.execute`` like the HTTP interface's.
"""

from __future__ import annotations
