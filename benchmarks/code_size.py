"""Code lines of a part of the tree at git revisions: the "house size" measure of the storage work.

    python benchmarks/code_size.py tunelab/storage --exclude journal e173d34 HEAD

A code line holds a token outside docstrings and comments (blank lines, comment lines and
docstrings do not count); the total lines of the same files are printed beside it.
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize

SKIPPED = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)


def code_lines(text: str) -> int:
    """Lines holding a token that is not a comment and not part of a docstring.

    >>> code_lines('\"\"\"Doc.\"\"\"\\n\\n# note\\nx = 1  # one\\ndef f():\\n    \"\"\"Doc.\"\"\"\\n    return x\\n')
    3
    """
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in SKIPPED:
            lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return len(lines)


def measure(rev: str, path: str, exclude: list[str]) -> tuple[int, int, int]:
    """(files, code lines, total lines) of the Python files under ``path`` at ``rev``."""
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, path], capture_output=True, text=True,
                           check=True).stdout.split()
    files = code = total = 0
    for name in names:
        if not name.endswith(".py") or any(word in name for word in exclude):
            continue
        text = subprocess.run(["git", "show", f"{rev}:{name}"], capture_output=True, text=True, check=True).stdout
        files += 1
        code += code_lines(text)
        total += text.count("\n")
    return files, code, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("revs", nargs="+")
    ap.add_argument("--exclude", action="append", default=[], help="leave out files whose path contains this")
    args = ap.parse_args()
    print("| revision | files | code lines | lines |")
    print("|---|---:|---:|---:|")
    for rev in args.revs:
        files, code, total = measure(rev, args.path, args.exclude)
        print(f"| {rev} | {files} | {code} | {total} |")


if __name__ == "__main__":
    main()
