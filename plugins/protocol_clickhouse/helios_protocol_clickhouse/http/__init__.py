"""ClickHouse's HTTP interface (``http_port``): HTTP/1.1 framing in ``wire``, ClickHouse's
request semantics (query, settings, sessions, formats, errors) in ``handler``."""
