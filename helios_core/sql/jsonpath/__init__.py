"""PostgreSQL 15's SQL/JSON path language (the ``jsonpath`` type).

No maintained Python library implements PostgreSQL's dialect (lax/strict modes, ``last``,
``like_regex`` flags, ``.keyvalue()`` ids, its error classes), so it is written here:
``syntax`` parses a path and prints it back as PostgreSQL normalises it, ``evaluate`` runs a
parsed path over a parsed jsonb document, ``datetimes`` holds ``.datetime()``'s parsing and the
comparison of its values.
"""
