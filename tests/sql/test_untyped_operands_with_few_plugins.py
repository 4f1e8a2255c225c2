"""Two untyped literals and a plugin operator (sql.extension_operators): ``'a' || 'b'`` is text's
concatenation however few plugins are installed. With the search plugin switched off, hstore's
``||`` (hstore, hstore) was the one plugin ``||`` left, was taken for two untyped literals, and
failed with 'type "hstore" does not exist': ``helios serve`` then refused to start, its start-up
probe being such a statement (a fresh ``pip install ./ ./plugins/protocol_pg``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import helios_core
    from helios_core import dependencies
    s = helios_core.connect()
    print(s.execute(dependencies.PROBE)[-1].rows())
    print(s.execute("SELECT 'a' || 'b', 'x' || 1, 'a:1'::text || 'b'")[-1].rows())
    s.execute("CREATE EXTENSION hstore")
    print(s.execute("SELECT ('a=>1'::hstore || 'b=>2')::text = '\\"a\\"=>\\"1\\", \\"b\\"=>\\"2\\"', 'a' || 'b'")[-1].rows())
    if "@@" in SEARCH:
        print(s.execute("SELECT 'a fat cat' @@ 'cat', 'fat' @@ 'rat'")[-1].rows())
""")


def _run(disabled: str, search: str = "") -> list[str]:
    env = {**os.environ, "HELIOS_DISABLE_PLUGINS": disabled}
    code = f"SEARCH = {search!r}\n" + SCRIPT
    out = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()


def test_text_concatenation_without_the_search_plugin():
    assert _run("search") == ["[(2, 'ab'), (1, 'ab'), (None, 'ab')]", "[('ab', 'x1', 'a:1b')]",
                              "[(True, 'ab')]"]


def test_with_the_search_plugin_a_match_of_two_literals_is_text_search():
    assert _run("", search="@@") == ["[(2, 'ab'), (1, 'ab'), (None, 'ab')]", "[('ab', 'x1', 'a:1b')]",
                                     "[(True, 'ab')]", "[(True, False)]"]
