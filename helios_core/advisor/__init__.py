"""Index advice from observed statements: ``SELECT * FROM heliosdb.index_advice()``.

``candidates`` finds the columns the statistics' statements compare in scans that read
whole tables; ``what_if`` plans each statement again as if an index on such a column
existed (HypoPG's idea) and estimates the rows it would read; ``plugin`` offers the table
function, a built-in plugin like the others.
"""
