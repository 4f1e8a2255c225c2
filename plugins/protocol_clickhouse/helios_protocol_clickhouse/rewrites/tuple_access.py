"""``t.1.2`` (the second element of t's first element) as ClickHouse reads it: sqlglot's tokenizer
takes ``1.2`` for one number, so the chain is split back into one access per element.

    x.1.2        -> (x.1).2
    arr[1].1.2   -> (arr[1].1).2
"""

from __future__ import annotations

from sqlglot import exp


def _chained(text: str) -> list[str] | None:
    parts = text.split(".")
    return parts if len(parts) > 1 and all(p.isdigit() for p in parts) else None


def rewrite(tree: exp.Expression) -> exp.Expression:
    def split(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            path = [node.args.get(k) for k in ("catalog", "db", "table", "this") if node.args.get(k) is not None]
            names = [p for p in path if not isinstance(p, exp.Literal)]
            numbers = [n for p in path if isinstance(p, exp.Literal) for n in p.this.split(".")]
            if names and len(numbers) > 1 and all(n.isdigit() for n in numbers) and path[:len(names)] == names:
                out: exp.Expression = exp.Column(this=exp.Literal.number(numbers[0]), table=names[-1].copy(),
                                                 db=names[-2].copy() if len(names) > 1 else None)
                for part in numbers[1:]:
                    out = exp.Dot(this=exp.Paren(this=out), expression=exp.Literal.number(part))
                return out
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Literal) and \
                not node.expression.is_string and (parts := _chained(node.expression.this)):
            out = node.this
            for part in parts:
                out = exp.Dot(this=exp.Paren(this=out) if isinstance(out, exp.Dot) else out,
                              expression=exp.Literal.number(part))
            return out
        return node

    return tree.transform(split)
