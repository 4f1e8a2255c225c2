"""The syntax of CREATE/ALTER/DROP FOREIGN TABLE and COMMENT ON FOREIGN TABLE.

A foreign table is a table whose rows live elsewhere, so its statements are those of a table
with SQL/MED's clauses added: ``SERVER name``, table and column ``OPTIONS (...)``. Those
clauses are read here and blanked out of the text (spaces of the same length, so every error
position stays where it was), and the rest is parsed as the table statement it then is. The
clauses ride along as ``foreign_table`` on the tree; helios_core.sql.foreign_tables runs them.
ALTER FOREIGN TABLE whose actions only change OPTIONS becomes a Utility of its own.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported, HeliosError, SyntaxError_
from helios_core.frontends.postgres import foreign_data_syntax

_CONSTRAINT_WORDS = {"PRIMARY": "primary key", "UNIQUE": "unique", "REFERENCES": "foreign key",
                     "FOREIGN": "foreign key", "EXCLUDE": "exclusion"}


def starts_statement(words: list[str]) -> bool:
    w = (words + ["", "", "", ""])[:4]
    if w[0] in ("CREATE", "ALTER", "DROP"):
        return w[1] == "FOREIGN" and w[2] == "TABLE"
    return w[0] == "COMMENT" and w[1] == "ON" and w[2] == "FOREIGN" and w[3] == "TABLE"


def rewrite(c: Any, utility: Any) -> Any:
    """(blanked text, clauses) for the table statement to parse, or a Utility (OPTIONS-only ALTER)."""
    blank = _Blanker(c.text)
    verb = c.word()
    foreign_at = 2 if verb == "COMMENT" else 1
    blank.out(c.toks[foreign_at], c.toks[foreign_at])
    if verb == "CREATE":
        clauses = _create(c, blank)
        return blank.text(), clauses
    if verb == "ALTER":
        return _alter(c, blank, utility)
    return blank.text(), {"verb": verb.lower()}


class _Blanker:
    def __init__(self, text: str) -> None:
        self.chars = list(text)

    def out(self, first: Any, last: Any) -> None:
        for i in range(first.start, last.end + 1):
            if self.chars[i] not in "\n":
                self.chars[i] = " "

    def text(self) -> str:
        return "".join(self.chars)


def _name_of(tok: Any) -> str:
    return tok.text if tok.token_type == TokenType.IDENTIFIER else tok.text.lower()


def _options_at(c: Any, blank: _Blanker) -> list:
    """The OPTIONS (...) list at the cursor, blanked out."""
    first = c.cur
    opts = foreign_data_syntax.options(c)
    blank.out(first, c.toks[c.i - 1])
    return [(name, value) for _action, name, value in opts]


def _is_options(c: Any, i: int) -> bool:
    return (i + 1 < len(c.toks) and c.toks[i].token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
            and c.toks[i].text.upper() == "OPTIONS" and c.toks[i + 1].token_type == TokenType.L_PAREN)


def _create(c: Any, blank: _Blanker) -> dict:
    c.i = 3
    c.accept("IF", "NOT", "EXISTS")
    table = c.name_parts()
    column_options: dict[str, list] = {}
    if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
        _column_list(c, blank, column_options)
    server = None
    options: list = []
    partition_of = None
    depth = 0
    while c.cur is not None:
        t = c.cur
        if depth == 0 and c.word() == "PARTITION" and c.peek_word() == "OF" and partition_of is None:
            c.i += 2
            partition_of = c.name_parts()
            continue
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and server is None and t.token_type != TokenType.STRING and t.text.upper() == "SERVER":
            c.i += 1
            server = c.name()
            blank.out(t, c.toks[c.i - 1])
            if _is_options(c, c.i):
                options = _options_at(c, blank)
            continue
        c.i += 1
    if server is None:
        c.fail()  # PostgreSQL's grammar wants SERVER: a syntax error where the statement ends
    return {"verb": "create", "table": table, "server": server, "options": options,
            "column_options": column_options, "partition_of": partition_of}


def _column_list(c: Any, blank: _Blanker, column_options: dict[str, list]) -> None:
    """The ( column definitions and constraints ): column OPTIONS taken out, and the constraints a
    foreign table cannot have refused (42809 at the constraint, as PostgreSQL)."""
    c.i += 1
    element_start = c.i
    depth = 1
    while c.cur is not None and depth > 0:
        t = c.cur
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif t.token_type == TokenType.COMMA and depth == 1:
            element_start = c.i + 1
        elif depth == 1 and c.i > element_start and _is_options(c, c.i):
            column_options[_name_of(c.toks[element_start])] = _options_at(c, blank)
            continue
        elif depth == 1 and t.token_type != TokenType.STRING:
            _refuse_constraint(c, element_start)
        c.i += 1


def _refuse_constraint(c: Any, element_start: int) -> None:
    words = c.cur.text.upper().split()  # the tokenizer may keep PRIMARY KEY as one token
    word = words[0] if words else ""
    kind = _CONSTRAINT_WORDS.get(word)
    if kind is None or (word in ("PRIMARY", "FOREIGN") and words[1:] != ["KEY"] and c.peek_word() != "KEY"):
        return
    if word == "FOREIGN" and c.i != element_start and not (
            c.i >= 2 and c.toks[c.i - 2].text.upper() == "CONSTRAINT"):
        return
    at = c.toks[c.i - 2] if c.i >= 2 and c.toks[c.i - 2].text.upper() == "CONSTRAINT" else c.cur
    raise HeliosError(f"{kind} constraints are not supported on foreign tables", sqlstate="0A000",
                      position=c.offset + at.start + 1)


def _alter(c: Any, blank: _Blanker, utility: Any) -> Any:
    c.i = 3
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    table_options: list | None = None
    column_options: list[tuple[str, list]] = []
    added_options: dict[str, list] = {}
    others = 0
    while c.cur is not None:
        if _is_options(c, c.i):
            table_options = list(foreign_data_syntax.options(c))
        elif c.word() == "ALTER" and _column_options_follow(c):
            c.i += 1
            c.accept("COLUMN")
            col = c.name()
            column_options.append((col, list(foreign_data_syntax.options(c))))
        else:
            others += 1
            _other_action(c, blank, added_options, table.split(".")[-1])
        if c.cur is None:
            break
        if c.cur.token_type != TokenType.COMMA:
            c.fail()
        c.i += 1
    if table_options is None and not column_options:
        return blank.text(), {"verb": "alter", "table": table, "if_exists": if_exists,
                              "column_options": added_options}
    if others:
        raise FeatureNotSupported("ALTER FOREIGN TABLE with OPTIONS and other actions in one statement "
                                  "is not supported")
    return utility(kind="foreign_table_options", args={"table": table, "if_exists": if_exists,
                                                       "options": table_options, "columns": column_options})


def _column_options_follow(c: Any) -> bool:
    j = c.i + 1
    if j < len(c.toks) and c.toks[j].text.upper() == "COLUMN" and c.toks[j].token_type != TokenType.IDENTIFIER:
        j += 1
    return _is_options(c, j + 1)


def _other_action(c: Any, blank: _Blanker, added_options: dict[str, list], table: str) -> None:
    """Step over one action up to its comma; ``ADD [COLUMN] c type OPTIONS (...)`` keeps its options.
    What PostgreSQL refuses on a foreign table is refused here, as its parse analysis does."""
    start = c.i
    depth = 0
    first = c.word()
    if first == "ALTER" and c.peek_word() == "CONSTRAINT":
        raise HeliosError(f'ALTER action ALTER CONSTRAINT cannot be performed on relation "{table}"',
                          sqlstate="42809", detail="This operation is not supported for foreign tables.")
    if first == "ADD" and c.peek_word() not in ("COLUMN", ""):
        c.i += 1
        if c.accept("CONSTRAINT"):
            c.i += 1
        _refuse_constraint(c, c.i)
        c.i = start
    while c.cur is not None:
        t = c.cur
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif t.token_type == TokenType.COMMA and depth == 0:
            return
        elif depth == 0 and first == "ALTER" and t.text.upper() == "USING" and t.token_type != TokenType.STRING:
            raise HeliosError(f'"{table}" is not a table', sqlstate="42809")  # USING rewrites the rows
        elif depth == 0 and _is_options(c, c.i) and c.toks[start].text.upper() == "ADD":
            words = [x for x in c.toks[start + 1:c.i] if x.text.upper() not in ("COLUMN", "IF", "NOT", "EXISTS")]
            if not words:
                raise SyntaxError_("syntax error at or near \"OPTIONS\"", position=c.offset + t.start + 1)
            added_options[_name_of(words[0])] = _options_at(c, blank)
            continue
        c.i += 1
