"""No hand-typed results in chapters (genmath.sitebuild.lint), and the lint itself works."""

from __future__ import annotations

import pytest
from conftest import ROOT

from genmath.sitebuild.lint import bad_allow_entries, hand_typed_numbers, significant_digits
from genmath.sitebuild.scan import mask_code, scan_file, scan_text

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_no_hand_typed_results(page) -> None:
    chapter = scan_file(DOCS, page)
    findings = hand_typed_numbers(chapter) + bad_allow_entries(chapter)  # type: ignore[operator]
    assert not findings, "quote these from a snippet, or allow-list them with a reason:\n" + "\n".join(
        map(str, findings))


@pytest.mark.parametrize("lines,masked", [
    (["plain 0.5 prose", ""], ["plain 0.5 prose", ""]),
    (["a `x = 0.5` b ``y`z`` c"], ["a " + " " * 9 + " b " + " " * 7 + " c"]),
    (["an unclosed ` tick 0.5"], ["an unclosed ` tick 0.5"]),
    (["a ``` run ` then `0.5`"], ["a ``` run " + " " * 8 + "0.5`"]),  # ``` has no closing run
    (["x <!-- 0.5", "still 2.5 -->y `3`"], ["x" + " " * 9, " " * 13 + "y    "]),
    (["x <!-- a", "0.5 inside", "--> b"], ["x" + " " * 7, " " * 10, "    b"]),  # a line inside a comment
    (["`<!--` 0.5 <!-- `1` --> 2"], ["       0.5              2"]),
    (["```python", "x = 0.5", "```", "after 1.5"], ["         ", "       ", "   ", "after 1.5"]),
    (["~~~~", "~~~ 0.5", "~~~~", "`2`"], ["    ", "       ", "    ", "   "]),
])
def test_mask_code_blanks_code_and_comments_and_keeps_columns(lines: list[str], masked: list[str]) -> None:
    """What the number lint and the quote checks must not read: fenced code, code spans (any run of
    backticks, closed by the same run) and HTML comments (across lines), each character a space."""
    assert mask_code(lines) == masked


@pytest.mark.parametrize("number,digits", [("0.5", 1), ("10", 1), ("1000", 1), ("0.02", 1),
                                           ("0.999", 3), ("3.14", 3), ("1024", 4), ("0.050", 2),
                                           ("12.5", 3), ("7", 1)])
def test_significant_digits(number: str, digits: int) -> None:
    assert significant_digits(number) == digits


def test_lint_finds_numbers_in_prose_and_math_but_not_quotes_code_or_years() -> None:
    text = """---
numbers_allowed:
  "0.999": "input: clipping of the cosine schedule"
---
The KL is 0.693 nats and $\\hat p = 0.7134$; quoted {{ kl.x:.4f }} nats.
Inputs: 0.999, T = 1000, 10 tosses, (Goodfellow et al., 2014), [link](https://x.org/1234567).
Cited: Bishop (2006), Eqs. 2.116–2.117; Table 2.1; Thm. 5.39 and Sec. 3.2.1; but 2.116 alone.
`code 123.456` and

```python
x = 98765
```
$$
a = 1.2345 \\label{x}
$$
"""
    found = [(f.line, f.number) for f in hand_typed_numbers(scan_text(text, "t.md"))]
    assert found == [(5, "0.693"), (5, "0.7134"), (7, "2.116"), (14, "1.2345")]


def test_allow_list_entries_need_a_reason() -> None:
    text = '---\nnumbers_allowed:\n  "0.999": ""\n---\nx\n'
    assert bad_allow_entries(scan_text(text, "t.md")) == ["docs/t.md: numbers_allowed['0.999'] needs a reason"]
