"""PL/pgSQL's grammar: a body's text into helios_core.plpgsql.nodes.

Recursive descent over the SQL tokenizer's tokens; an expression or a SQL statement is the
source text between two structural keywords (``IF x > 1 THEN``: "x > 1"), kept as text.
What is not built (cursors, transaction control, FOREACH SLICE...) is refused with 0A000
naming it.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import Token, TokenType

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres.dialect import tokenize_plain
from helios_core.plpgsql import conditions
from helios_core.plpgsql import nodes as N

_STRING_TOKENS = (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING,
                  TokenType.RAW_STRING, TokenType.BYTE_STRING, TokenType.BIT_STRING, TokenType.HEX_STRING)
_LEVELS = ("DEBUG", "LOG", "INFO", "NOTICE", "WARNING", "EXCEPTION")


class PlpgsqlSyntaxError(HeliosError):
    sqlstate = "42601"


def parse(text: str) -> N.Block:
    """The top block of a function body or DO block."""
    try:
        toks = tokenize_plain(text)
    except Exception as e:  # noqa: BLE001 - the tokenizer's own error types
        raise PlpgsqlSyntaxError(f"syntax error in PL/pgSQL body: {e}") from None
    p = _Parser(text, toks)
    block = p.block()
    if p.cur is not None and p.cur.token_type == TokenType.SEMICOLON:
        p.i += 1
    if p.cur is not None:
        p.fail()
    return block


class _Parser:
    def __init__(self, text: str, toks: list[Token]) -> None:
        self.text = text
        self.toks = toks
        self.i = 0
        self.cursor_names: set[str] = set()  # bound cursors declared so far (FOR r IN cursor LOOP)

    # -- cursor ---------------------------------------------------------------------------
    @property
    def cur(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        j = self.i + k
        if j >= len(self.toks):
            return ""
        t = self.toks[j]
        return "" if t.token_type in _STRING_TOKENS else t.text.upper()

    def accept(self, *words: str) -> bool:
        for k, w in enumerate(words):
            if self.word(k) != w:
                return False
        self.i += len(words)
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            self.fail()

    def fail(self) -> None:
        t = self.cur
        if t is None:
            raise PlpgsqlSyntaxError("syntax error at end of input")
        raise PlpgsqlSyntaxError(f'syntax error at or near "{t.text}"')

    def semicolon(self) -> None:
        if self.cur is None or self.cur.token_type != TokenType.SEMICOLON:
            self.fail()
        self.i += 1

    def name(self) -> str:
        t = self.cur
        if t is None or t.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.SEMICOLON):
            self.fail()
        assert t is not None
        self.i += 1
        return t.text if t.token_type == TokenType.IDENTIFIER else t.text.lower()

    def dotted(self) -> str:
        out = self.name()
        while self.cur is not None and self.cur.token_type == TokenType.DOT:
            self.i += 1
            out += "." + self.name()
        return out

    def text_until(self, *stops: str, semicolon: bool = True, comma: bool = False) -> str:
        """Source text up to a stop word at depth 0 (CASE ... END counts as depth), not consumed."""
        start = self.i
        depth = 0
        case_depth = 0
        while self.cur is not None:
            t = self.cur
            w = self.word()
            if depth == 0 and case_depth == 0:
                if semicolon and t.token_type == TokenType.SEMICOLON:
                    break
                if comma and t.token_type == TokenType.COMMA:
                    break
                if w in stops:
                    break
            if t.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
            elif t.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
            elif w == "CASE":
                case_depth += 1
            elif w == "END" and case_depth:
                case_depth -= 1
            self.i += 1
        if self.i == start:
            self.fail()
        return self.text[self.toks[start].start:self.toks[self.i - 1].end + 1].strip()

    # -- blocks ---------------------------------------------------------------------------
    def label(self) -> str | None:
        if self.cur is not None and self.cur.text == "<<" or (
                self.cur is not None and self.cur.token_type == TokenType.LT and self.word(1) == "<"):
            self.i += 1 if self.cur.text == "<<" else 2
            name = self.name()
            if self.cur is not None and self.cur.text == ">>":
                self.i += 1
            else:
                self.expect(">")
                self.expect(">")
            return name
        return None

    def block(self, label: str | None = None) -> N.Block:
        label = label or self.label()
        decls: list[N.Declaration] = []
        while self.accept("DECLARE"):
            while self.word() not in ("BEGIN", "DECLARE", ""):
                decls.append(self.declaration())
        self.expect("BEGIN")
        body = self.statements("END", "EXCEPTION")
        handlers = []
        if self.accept("EXCEPTION"):
            while self.accept("WHEN"):
                conds = [self.condition()]
                while self.accept("OR"):
                    conds.append(self.condition())
                self.expect("THEN")
                handlers.append(N.Handler(conds, self.statements("WHEN", "END")))
        self.expect("END")
        if self.cur is not None and self.cur.token_type != TokenType.SEMICOLON:
            self.name()  # END label
        return N.Block(body=body, declarations=decls, handlers=handlers, label=label)

    def condition(self) -> str:
        """An EXCEPTION WHEN condition: a name from PostgreSQL's errcodes (42704 otherwise, when the
        routine is created, as PostgreSQL checks it), OTHERS, or SQLSTATE 'xxxxx'."""
        if self.accept("SQLSTATE"):
            return "sqlstate:" + self.string()
        name = self.name().lower()
        if name != "others" and conditions.sqlstate_of(name) is None:
            raise HeliosError(f'unrecognized exception condition "{name}"', sqlstate="42704")
        return name

    def string(self) -> str:
        t = self.cur
        if t is None or t.token_type not in (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.NATIONAL_STRING,
                                             TokenType.RAW_STRING):
            self.fail()
        assert t is not None
        self.i += 1
        return t.text

    def declaration(self) -> N.Declaration:
        name = self.name()
        if self.accept("ALIAS", "FOR"):
            if self.cur is not None and self.cur.token_type == TokenType.PARAMETER and self.word(1).isdigit():
                target = "$" + self.toks[self.i + 1].text  # $n: the tokenizer splits it in two
                self.i += 2
            else:
                target = self.name()
            self.semicolon()
            return N.Declaration(name=name, type_text="", alias_of=target)
        if self.word() == "CURSOR" or (self.word() == "NO" and self.word(1) == "SCROLL") or self.word() == "SCROLL":
            return self.cursor_declaration(name)
        constant = self.accept("CONSTANT")
        type_text = self.text_until("DEFAULT", "NOT", ":=", "=", "COLLATE")
        if type_text.endswith(":") and self.cur is not None and self.cur.token_type == TokenType.EQ:
            type_text = type_text[:-1].strip()  # ":" "=" tokenized apart
            self.i -= 0
        not_null = self.accept("NOT", "NULL")
        default = None
        if self.accept("DEFAULT") or self._assign_op():
            default = self.text_until()
        self.semicolon()
        return N.Declaration(name=name, type_text=type_text, default=default, constant=constant,
                             not_null=not_null)

    def cursor_declaration(self, name: str) -> N.Declaration:
        """name [[NO] SCROLL] CURSOR [(param type, ...)] {FOR | IS} query;"""
        if self.accept("NO"):
            self.expect("SCROLL")
        else:
            self.accept("SCROLL")
        self.expect("CURSOR")
        params: list[tuple[str, str]] = []
        if self.cur is not None and self.cur.token_type == TokenType.L_PAREN:
            for part in self.parenthesized():
                pname, _, ptype = part.strip().partition(" ")
                if not ptype.strip():
                    self.fail()
                params.append((pname.strip('"'), ptype.strip()))
        if not (self.accept("FOR") or self.accept("IS")):
            self.fail()
        query = self.text_until()
        self.semicolon()
        self.cursor_names.add(name.lower())
        return N.Declaration(name=name, type_text="refcursor", cursor_query=query, cursor_params=params)

    def parenthesized(self) -> list[str]:
        """The comma-separated texts of a parenthesized list (the cursor is at its "(")."""
        self.i += 1
        start, depth, parts = self.i, 0, []
        while self.cur is not None:
            t = self.cur.token_type
            if depth == 0 and t in (TokenType.COMMA, TokenType.R_PAREN):
                parts.append(self.text[self.toks[start].start:self.toks[self.i - 1].end + 1] if self.i > start else "")
                self.i += 1
                if t == TokenType.R_PAREN:
                    return parts
                start = self.i
                continue
            depth += t == TokenType.L_PAREN
            depth -= t == TokenType.R_PAREN
            self.i += 1
        self.fail()
        return parts

    def open_statement(self) -> N.Open:
        self.expect("OPEN")
        cursor = self.name()
        if self.accept("NO"):
            self.expect("SCROLL")
        else:
            self.accept("SCROLL")
        if self.accept("FOR"):
            if self.accept("EXECUTE"):
                cmd = self.text_until("USING")
                using = self.expr_list() if self.accept("USING") else []
                self.semicolon()
                return N.Open(cursor, query=cmd, dynamic=True, using=using)
            query = self.text_until()
            self.semicolon()
            return N.Open(cursor, query=query)
        args = self.parenthesized() if self.cur is not None and self.cur.token_type == TokenType.L_PAREN else []
        self.semicolon()
        return N.Open(cursor, args=[a.strip() for a in args])

    def fetch_statement(self) -> N.Fetch:
        move = self.word() == "MOVE"
        self.i += 1
        spec = self.text_until("INTO").split()
        into = self.target_list() if not move and self.accept("INTO") else []
        self.semicolon()
        if not spec or (not move and not into):
            self.fail()
        cursor = spec[-1]
        direction = spec[:-1]
        if direction and direction[-1].upper() in ("FROM", "IN"):
            direction = direction[:-1]
        return N.Fetch(cursor.strip('"'), " ".join(direction), into, move)

    def _assign_op(self) -> bool:
        t = self.cur
        if t is None:
            return False
        if t.text == ":=":
            self.i += 1
            return True
        if t.token_type == TokenType.COLON and self.i + 1 < len(self.toks) and self.toks[self.i + 1].text == "=":
            self.i += 2
            return True
        if t.token_type == TokenType.EQ:
            self.i += 1
            return True
        return False

    # -- statements -----------------------------------------------------------------------
    def statements(self, *ends: str) -> list[Any]:
        out: list[Any] = []
        while self.cur is not None and self.word() not in ends:
            if self.word() in ("ELSIF", "ELSEIF", "ELSE", "WHEN") and self.word() not in ends:
                break
            out.append(self.statement())
        return out

    def statement(self) -> Any:
        label = self.label()
        w = self.word()
        if w in ("DECLARE", "BEGIN"):
            block = self.block(label)
            self.semicolon()
            return block
        if w == "LOOP":
            self.i += 1
            body = self.statements("END")
            self.end_of("LOOP")
            return N.Loop(body, label)
        if w == "WHILE":
            self.i += 1
            cond = self.text_until("LOOP")
            self.expect("LOOP")
            body = self.statements("END")
            self.end_of("LOOP")
            return N.While(cond, body, label)
        if w == "FOR":
            return self.for_loop(label)
        if w == "FOREACH":
            self.i += 1
            var = self.dotted()
            if self.accept("SLICE"):
                raise FeatureNotSupported("FOREACH ... SLICE is not supported")
            self.expect("IN", "ARRAY")
            arr = self.text_until("LOOP")
            self.expect("LOOP")
            body = self.statements("END")
            self.end_of("LOOP")
            return N.ForEach(var, arr, body, label)
        if label is not None:
            self.fail()
        if w == "IF":
            return self.if_statement()
        if w == "CASE":
            return self.case_statement()
        if w in ("EXIT", "CONTINUE"):
            self.i += 1
            lbl = None
            if self.cur is not None and self.cur.token_type != TokenType.SEMICOLON and self.word() != "WHEN":
                lbl = self.name()
            cond = None
            if self.accept("WHEN"):
                cond = self.text_until()
            self.semicolon()
            return N.Exit(w == "CONTINUE", lbl, cond)
        if w == "RETURN":
            self.i += 1
            if self.accept("NEXT"):
                expr = None if self.cur is not None and self.cur.token_type == TokenType.SEMICOLON else self.text_until()
                self.semicolon()
                return N.ReturnNext(expr)
            if self.accept("QUERY"):
                if self.accept("EXECUTE"):
                    cmd = self.text_until("USING")
                    using = self.expr_list() if self.accept("USING") else []
                    self.semicolon()
                    return N.ReturnQuery(cmd, True, using)
                q = self.text_until()
                self.semicolon()
                return N.ReturnQuery(q, False, [])
            expr = None if self.cur is not None and self.cur.token_type == TokenType.SEMICOLON else self.text_until()
            self.semicolon()
            return N.Return(expr)
        if w == "RAISE":
            return self.raise_statement()
        if w == "ASSERT":
            self.i += 1
            cond = self.text_until(comma=True)
            msg = None
            if self.cur is not None and self.cur.token_type == TokenType.COMMA:
                self.i += 1
                msg = self.text_until()
            self.semicolon()
            return N.Assert(cond, msg)
        if w == "PERFORM":
            self.i += 1
            q = self.text_until()
            self.semicolon()
            return N.Perform("SELECT " + q)
        if w == "EXECUTE":
            self.i += 1
            cmd = self.text_until("INTO", "USING")
            into: list[str] = []
            strict = False
            using: list[str] = []
            while self.word() in ("INTO", "USING"):
                if self.accept("INTO"):
                    strict = self.accept("STRICT")
                    into = self.target_list()
                elif self.accept("USING"):
                    using = self.expr_list("INTO")
            self.semicolon()
            return N.Execute(cmd, into, strict, using)
        if w == "GET":
            self.i += 1
            stacked = self.accept("STACKED")
            self.accept("CURRENT")
            self.expect("DIAGNOSTICS")
            items = []
            while True:
                var = self.dotted()
                if not self._assign_op():
                    self.fail()
                items.append((var, self.name().upper()))
                if self.cur is not None and self.cur.token_type == TokenType.COMMA:
                    self.i += 1
                    continue
                break
            self.semicolon()
            return N.GetDiagnostics(stacked, items)
        if w == "NULL" and self.i + 1 < len(self.toks) and self.toks[self.i + 1].token_type == TokenType.SEMICOLON:
            self.i += 2
            return N.Null()
        if w == "OPEN":
            return self.open_statement()
        if w in ("FETCH", "MOVE"):
            return self.fetch_statement()
        if w == "CLOSE":
            self.i += 1
            cursor = self.name()
            self.semicolon()
            return N.Close(cursor)
        if w in ("COMMIT", "ROLLBACK"):
            self.i += 1
            chain = False
            if self.accept("AND"):
                chain = not self.accept("NO")
                self.expect("CHAIN")
            self.semicolon()
            return N.TransactionControl(w == "COMMIT", chain)
        assign = self.try_assignment()
        if assign is not None:
            return assign
        return self.sql_statement()

    def end_of(self, what: str) -> None:
        self.expect("END", what)
        if self.cur is not None and self.cur.token_type != TokenType.SEMICOLON:
            self.name()
        self.semicolon()

    def try_assignment(self) -> N.Assign | None:
        save = self.i
        t = self.cur
        if t is None or t.token_type in _STRING_TOKENS and t.token_type != TokenType.IDENTIFIER:
            return None
        try:
            target = self.dotted()
        except HeliosError:
            self.i = save
            return None
        subscripts = []
        while self.cur is not None and self.cur.token_type == TokenType.L_BRACKET:
            subscripts.append(self.subscript())
        if self._assign_op():
            expr = self.text_until()
            self.semicolon()
            return N.Assign(target, expr, subscripts)
        self.i = save
        return None

    def subscript(self) -> str:
        """``[expr]`` of an array element assignment: the expression's text (slices refused)."""
        self.i += 1
        start, depth = self.i, 0
        while self.cur is not None and (depth or self.cur.token_type != TokenType.R_BRACKET):
            if self.cur.token_type in (TokenType.L_BRACKET, TokenType.L_PAREN):
                depth += 1
            elif self.cur.token_type in (TokenType.R_BRACKET, TokenType.R_PAREN):
                depth -= 1
            elif depth == 0 and self.cur.token_type == TokenType.COLON:
                raise FeatureNotSupported("assigning to an array slice in PL/pgSQL is not supported")
            self.i += 1
        if self.cur is None or self.i == start:
            self.fail()
        text = self.text[self.toks[start].start:self.toks[self.i - 1].end + 1]
        self.i += 1
        return text

    def target_list(self) -> list[str]:
        out = [self.dotted()]
        while self.cur is not None and self.cur.token_type == TokenType.COMMA:
            self.i += 1
            out.append(self.dotted())
        return out

    def expr_list(self, *stops: str) -> list[str]:
        out = [self.text_until(*stops, comma=True)]
        while self.cur is not None and self.cur.token_type == TokenType.COMMA:
            self.i += 1
            out.append(self.text_until(*stops, comma=True))
        return out

    def if_statement(self) -> N.If:
        self.expect("IF")
        branches = []
        cond = self.text_until("THEN")
        self.expect("THEN")
        branches.append((cond, self.statements("ELSIF", "ELSEIF", "ELSE", "END")))
        otherwise = None
        while True:
            if self.accept("ELSIF") or self.accept("ELSEIF"):
                cond = self.text_until("THEN")
                self.expect("THEN")
                branches.append((cond, self.statements("ELSIF", "ELSEIF", "ELSE", "END")))
                continue
            if self.accept("ELSE"):
                otherwise = self.statements("END")
            break
        self.expect("END", "IF")
        self.semicolon()
        return N.If(branches, otherwise)

    def case_statement(self) -> N.Case:
        self.expect("CASE")
        subject = None if self.word() == "WHEN" else self.text_until("WHEN")
        branches = []
        while self.accept("WHEN"):
            cond = self.text_until("THEN")
            self.expect("THEN")
            branches.append((cond, self.statements("WHEN", "ELSE", "END")))
        otherwise = self.statements("END") if self.accept("ELSE") else None
        self.expect("END", "CASE")
        self.semicolon()
        return N.Case(subject, branches, otherwise)

    def for_loop(self, label: str | None) -> Any:
        self.expect("FOR")
        targets = self.target_list()
        self.expect("IN")
        reverse = self.accept("REVERSE")
        if self.accept("EXECUTE"):
            cmd = self.text_until("USING", "LOOP")
            using = self.expr_list("LOOP") if self.accept("USING") else []
            self.expect("LOOP")
            body = self.statements("END")
            self.end_of("LOOP")
            return N.ForQuery(targets, cmd, True, using, body, label)
        if self.word().lower() in self.cursor_names and len(targets) == 1 and not reverse and \
                self.i + 1 < len(self.toks) and (self.word(1) == "LOOP" or self.toks[self.i + 1].token_type ==
                                                 TokenType.L_PAREN):  # FOR r IN bound_cursor [(args)] LOOP
            cursor = self.name()
            args = self.parenthesized() if self.cur is not None and self.cur.token_type == TokenType.L_PAREN else []
            self.expect("LOOP")
            body = self.statements("END")
            self.end_of("LOOP")
            return N.ForCursor(targets[0], cursor, [a.strip() for a in args], body, label)
        spec = self.text_until("LOOP")
        self.expect("LOOP")
        body = self.statements("END")
        self.end_of("LOOP")
        dots = _top_level_dots(spec)
        if dots is not None and len(targets) == 1:
            low, rest = spec[:dots].strip(), spec[dots + 2:].strip()
            step = None
            by = _top_level_word(rest, "BY")
            if by is not None:
                rest, step = rest[:by].strip(), rest[by + 2:].strip()
            return N.ForRange(targets[0], low, rest, step, reverse, body, label)
        if reverse:
            self.fail()
        return N.ForQuery(targets, spec, False, [], body, label)

    def raise_statement(self) -> N.Raise:
        line = self.cur.line if self.cur is not None else 0
        self.expect("RAISE")
        level = "EXCEPTION"
        if self.word() in _LEVELS:
            level = self.word()
            self.i += 1
        elif self.cur is not None and self.cur.token_type == TokenType.SEMICOLON:
            self.i += 1
            return N.Raise("", None, [], None, [], line)
        message = None
        condition = None
        args: list[str] = []
        if self.cur is not None and self.cur.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING,
                                                            TokenType.HEREDOC_STRING):
            message = self.string()
            while self.cur is not None and self.cur.token_type == TokenType.COMMA:
                self.i += 1
                args.append(self.text_until("USING", comma=True))
        elif self.accept("SQLSTATE"):
            condition = "sqlstate:" + self.string()
        elif self.word() not in ("USING", ""):
            condition = self.name().lower()
        options = []
        if self.accept("USING"):
            while True:
                opt = self.name().upper()
                if not self._assign_op():
                    self.fail()
                options.append((opt, self.text_until(comma=True)))
                if self.cur is not None and self.cur.token_type == TokenType.COMMA:
                    self.i += 1
                    continue
                break
        self.semicolon()
        return N.Raise(level, message, args, condition, options, line)

    def sql_statement(self) -> N.Sql:
        start = self.i
        text = self.text_until()
        self.semicolon()
        toks = self.toks[start:self.i - 1]
        return _with_into(self.text, toks, text)


def _with_into(source: str, toks: list[Token], text: str) -> N.Sql:
    """A SQL statement with its INTO [STRICT] targets taken out (SELECT ... INTO x FROM,
    INSERT/UPDATE/DELETE ... RETURNING ... INTO x)."""
    first = toks[0].text.upper() if toks else ""
    depth = 0
    seen_returning = False
    for k, t in enumerate(toks):
        w = t.text.upper() if t.token_type not in _STRING_TOKENS else ""
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        if depth:
            continue
        if w == "RETURNING":
            seen_returning = True
        if w != "INTO":
            continue
        if first == "INSERT" and not seen_returning:
            continue  # INSERT INTO table
        if first in ("SELECT", "WITH") or seen_returning:
            j = k + 1
            strict = j < len(toks) and toks[j].text.upper() == "STRICT"
            if strict:
                j += 1
            targets = []
            end = j
            while end < len(toks):
                name = toks[end].text if toks[end].token_type == TokenType.IDENTIFIER else toks[end].text.lower()
                end += 1
                while end + 1 < len(toks) and toks[end].token_type == TokenType.DOT:
                    nxt = toks[end + 1]
                    name += "." + (nxt.text if nxt.token_type == TokenType.IDENTIFIER else nxt.text.lower())
                    end += 2
                targets.append(name)
                if end < len(toks) and toks[end].token_type == TokenType.COMMA:
                    end += 1
                    continue
                break
            base = toks[0].start
            cut_from = t.start - base
            cut_to = (toks[end - 1].end + 1 - base)
            return N.Sql(text=(text[:cut_from] + " " + text[cut_to:]).strip(), into=targets, strict=strict)
    return N.Sql(text=text)


def _top_level_dots(spec: str) -> int | None:
    depth = 0
    quote = False
    for k, ch in enumerate(spec):
        if ch == "'":
            quote = not quote
        elif quote:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "." and depth == 0 and spec[k:k + 2] == "..":
            return k
    return None


def _top_level_word(text: str, word: str) -> int | None:
    upper = text.upper()
    k = upper.find(f" {word} ")
    return k + 1 if k >= 0 else None
