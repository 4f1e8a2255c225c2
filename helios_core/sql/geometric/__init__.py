"""PostgreSQL's geometric types: point, lseg, line, box, path, polygon and circle.

Representation: a value is stored as its canonical output text (an Arrow string), the
coordinates written with float8's shortest exact digits: ``(1,2)``, ``(3,4),(1,2)`` for a box,
``[(0,0),(1,1)]`` for an open path. Like inet and jsonpath, these types have no Arrow-native
counterpart, and text-backed storage keeps every part of the engine that moves values (storage
segments, COPY, the PostgreSQL text wire format, NULL handling, arrays) working unchanged: at the
default extra_float_digits the stored text *is* the output. An extension type over a struct
would save the parsing but paths and polygons are variable-length anyway, and none of these
types has a btree ordering, so nothing gains from columnar comparisons. Operators parse the
texts of a batch once per distinct value and compute in Python with PostgreSQL's own float8
steps and EPSILON tolerance.

Modules, each one idea: ``fuzzy`` (float8 steps and EPSILON comparisons), ``shapes`` (the value
tuples and their construction rules), ``text_io`` (input and output text), ``planar`` (the
geometry: distances, intersections, containment), ``operators`` (the operator table),
``conversions`` (casts and the type-named functions), ``vectors`` (applying all of it to Arrow
columns), ``functions`` (the SQL functions).
"""

TYPE_NAMES = frozenset({"point", "lseg", "line", "box", "path", "polygon", "circle"})
