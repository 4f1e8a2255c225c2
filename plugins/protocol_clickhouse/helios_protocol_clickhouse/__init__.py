"""ClickHouse protocols for HeliosDB: the HTTP interface, the native TCP protocol and the dialect.

Both protocols reach the kernel only through the session API; ``execute`` runs a ClickHouse
statement and describes its columns with ClickHouse type names (``types``), which every
output format (``formats``) and the native protocol (``native``) encode from.
"""
