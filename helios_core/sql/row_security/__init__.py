"""Row-level security: policies (syntax, statements) and how reads and writes obey them (policies)."""
