"""The query language of ``@@@``: ParadeDB's (Lucene's) strings, read into tantivy queries.

    shoes                    the word in the searched field (or in every text field of the index)
    body:shoes title:red     words of named fields; words side by side: either may match (OR)
    running AND shoes        both; ``OR``, ``NOT`` / ``-word``, ``+word`` (must), parentheses
    "running shoes"~2        a phrase, with up to 2 words between
    shoe*                    a prefix
    shoos~1                  a word within 1 edit (``~`` alone: 2)

Words go through the field's own analyzer (lower-casing, stemming when the index stems), so a
query matches what was indexed. tantivy's own parser knows neither prefixes nor fuzzy words,
hence this one. A string it cannot read is a 42601 error naming the place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import tantivy

from helios_core.errors import HeliosError

_TOKEN = re.compile(r'\s*(?:(?P<op>[()])|(?P<phrase>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()"]+))')
_MAX_FUZZY = 2


class Bm25QueryError(HeliosError):
    sqlstate = "42601"


class _Reader:
    """Recursive descent over the tokens: or_expr := and_expr (OR? and_expr)*."""

    def __init__(self, text: str, schema: tantivy.Schema, fields: dict[str, str], default_fields: list[str],
                 analyze: Callable[[str, str], list[str]]) -> None:
        self.text = text
        self.schema = schema
        self.fields = fields  # name -> "text" | "integer"
        self.default_fields = default_fields
        self.analyze = analyze
        self.tokens = self._tokenize(text)
        self.i = 0

    def _tokenize(self, text: str) -> list[str]:
        out, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise Bm25QueryError(f"syntax error in bm25 query at character {pos + 1}: {text!r}")
            pos = m.end()
            tok = m.group("op") or m.group("phrase") or m.group("word")
            if tok:
                out.append(tok)
        return out

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, what: str) -> Bm25QueryError:
        return Bm25QueryError(f"syntax error in bm25 query {self.text!r}: {what}")

    def read(self) -> tantivy.Query:
        if not self.tokens:
            raise self.fail("the query is empty")
        q = self.or_expr(None)
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return q

    def or_expr(self, field: str | None) -> tantivy.Query:
        """Clauses side by side (or joined by OR): Lucene's should / +must / -must-not."""
        clauses = [self.and_expr(field)]
        while self.peek() not in (None, ")"):
            if self.peek() == "OR":
                self.take()
            clauses.append(self.and_expr(field))
        if len(clauses) == 1 and clauses[0][0] != tantivy.Occur.MustNot:
            return clauses[0][1]
        if all(occ == tantivy.Occur.MustNot for occ, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def and_expr(self, field: str | None) -> tuple[Any, tantivy.Query]:
        parts = [self.unary(field)]
        while self.peek() == "AND":
            self.take()
            parts.append(self.unary(field))
        if len(parts) == 1:
            return parts[0]
        clauses = [(tantivy.Occur.MustNot if occ == tantivy.Occur.MustNot else tantivy.Occur.Must, q)
                   for occ, q in parts]
        if all(occ == tantivy.Occur.MustNot for occ, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Occur.Should, tantivy.Query.boolean_query(clauses)

    def unary(self, field: str | None) -> tuple[Any, tantivy.Query]:
        tok = self.peek()
        if tok is None or tok == ")":
            raise self.fail("a term is missing")
        if tok == "NOT":
            self.take()
            return tantivy.Occur.MustNot, self.unary(field)[1]
        if tok.startswith("-") and len(tok) > 1:
            self.tokens[self.i] = tok[1:]
            return tantivy.Occur.MustNot, self.unary(field)[1]
        if tok.startswith("+") and len(tok) > 1:
            self.tokens[self.i] = tok[1:]
            return tantivy.Occur.Must, self.unary(field)[1]
        return tantivy.Occur.Should, self.primary(field)

    def primary(self, field: str | None) -> tantivy.Query:
        tok = self.take()
        if tok == "(":
            q = self.or_expr(field)
            if self.peek() != ")":
                raise self.fail("a ')' is missing")
            self.take()
            return q
        if tok == "*":
            return tantivy.Query.all_query()
        if not tok.startswith('"') and ":" in tok:
            name, _, rest = tok.partition(":")
            if name not in self.fields:
                raise Bm25QueryError(f'field "{name}" of bm25 query {self.text!r} is not a field of the index')
            if rest:
                self.tokens[self.i - 1] = rest
                self.i -= 1
                return self.primary(name)
            if self.peek() in (None, ")"):
                raise self.fail(f"a term is missing after {tok!r}")
            return self.primary(name) if self.peek() != "(" else self._group(name)
        fields = [field] if field is not None else self.default_fields
        if tok.startswith('"'):
            return _either([self.phrase(f, tok) for f in fields])
        return _either([self.word(f, tok) for f in fields])

    def _group(self, field: str) -> tantivy.Query:
        self.take()
        q = self.or_expr(field)
        if self.peek() != ")":
            raise self.fail("a ')' is missing")
        self.take()
        return q

    def phrase(self, field: str, tok: str) -> tantivy.Query:
        body, _, tail = tok[1:].rpartition('"')
        slop = 0
        if self.peek() is not None and self.peek().startswith("~"):  # "a b" ~2 written apart
            tail = self.take()
        if tail:
            if not tail.startswith("~") or not tail[1:].isdigit():
                raise self.fail(f"unexpected {tail!r} after a phrase")
            slop = int(tail[1:])
        words = self.analyze(field, body.replace('\\"', '"'))
        if self.fields[field] != "text":
            raise self.fail(f'a phrase cannot search the non-text field "{field}"')
        if not words:
            return tantivy.Query.empty_query()
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, field, words[0])
        return tantivy.Query.phrase_query(self.schema, field, words, slop)

    def word(self, field: str, tok: str) -> tantivy.Query:
        if self.fields[field] == "integer":
            try:
                return tantivy.Query.term_query(self.schema, field, int(tok))
            except ValueError:
                raise Bm25QueryError(f'"{tok}" is not a value of the integer field "{field}"') from None
        if tok.endswith("*") and len(tok) > 1:
            words = self.analyze(field, tok[:-1])
            if len(words) != 1:
                raise self.fail(f"a prefix must be one word: {tok!r}")
            return tantivy.Query.regex_query(self.schema, field, _regex_literal(words[0]) + ".*")
        fuzzy = None
        if "~" in tok:
            tok, _, dist = tok.partition("~")
            if dist and not dist.isdigit():
                raise self.fail(f"a fuzzy distance must be a number: {dist!r}")
            fuzzy = min(int(dist) if dist else _MAX_FUZZY, _MAX_FUZZY)
        words = self.analyze(field, tok)
        if not words:
            return tantivy.Query.empty_query()
        if fuzzy is not None:
            if len(words) != 1:
                raise self.fail(f"a fuzzy term must be one word: {tok!r}")
            return tantivy.Query.fuzzy_term_query(self.schema, field, words[0], distance=fuzzy)
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, field, words[0])
        return tantivy.Query.phrase_query(self.schema, field, words)


def _either(parts: list[tantivy.Query]) -> tantivy.Query:
    return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in parts])


def _regex_literal(text: str) -> str:
    return "".join("\\" + ch if ch in r"\.+*?()|[]{}^$#&-~" else ch for ch in text)


def parse(text: str, schema: tantivy.Schema, fields: dict[str, str], default_fields: list[str],
          analyze: Callable[[str, str], list[str]]) -> tantivy.Query:
    """The tantivy query for a ``@@@`` string (42601 when it cannot be read)."""
    return _Reader(text, schema, fields, default_fields, analyze).read()
