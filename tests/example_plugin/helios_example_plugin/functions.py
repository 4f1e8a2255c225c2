"""SQL functions over Arrow arrays: each receives one array per argument, returns one array."""

import time

import pyarrow as pa
import pyarrow.compute as pc


def reverse_text(args: list[pa.Array]) -> pa.Array:
    """example_reverse('abc') = 'cba'."""
    return pc.utf8_reverse(args[0])


def sleep_seconds(args: list[pa.Array]) -> pa.Array:
    """example_sleep(s): sleeps s seconds per row and returns s (a slow statement for shutdown tests)."""
    for value in args[0].to_pylist():
        if value:
            time.sleep(value)
    return args[0]
