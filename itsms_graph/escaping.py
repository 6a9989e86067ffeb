r"""Values written for another program to read, safe for that program: a spreadsheet (no formula runs from a cell),
an XML parser (no character XML 1.0 forbids), a Cypher parser (a string literal Neo4j and FalkorDB both read back
exactly). Imported text reaches all three; each writer calls the function for its consumer.

>>> spreadsheet_cell('=HYPERLINK("http://x","click")')
'\'=HYPERLINK("http://x","click")'
>>> spreadsheet_cell("-5"), spreadsheet_cell("-rf")
('-5', "'-rf")
>>> xml_text("bell\x07")
'bell\\x07'
>>> print(cypher_string("it's a\\b"))
'it\'s a\\b'
"""

from __future__ import annotations

import re
from typing import Any

#: What a spreadsheet reads as the start of a formula (=, +, -, @) or a cell it may re-parse (tab, CR, LF)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """*value* for a CSV or XLSX cell: a text that a spreadsheet would run as a formula (OWASP's CSV injection:
    ``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe, which spreadsheets show as text; a number written
    as text ("-5", "+3.2") is left as it is. Anything else (numbers, dates, None) passes unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def from_spreadsheet_cell(text: str) -> str:
    """The value :func:`spreadsheet_cell` wrote as *text* (a worksheet read back): its apostrophe taken off."""
    if text.startswith("'") and spreadsheet_cell(text[1:]) != text[1:]:
        return text[1:]
    return text


#: Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF): openpyxl refuses
#: them and an XML parser rejects a document holding one
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """*value* with each character XML 1.0 cannot hold written as its escape (``\\x07``, ``\\ufffe``), visibly."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def xml_cell(value: Any) -> Any:
    """A worksheet cell: a spreadsheet-safe value whose text XML can hold."""
    value = spreadsheet_cell(value)
    return xml_text(value) if isinstance(value, str) else value


def cypher_string(value: str) -> str:
    """*value* as a single-quoted Cypher string literal that Neo4j and FalkorDB both read back exactly.

    Only the backslash and the quote are escaped (``\\\\``, ``\\'``); every other character is written as
    itself. Neo4j's grammar takes any character but the quote and the backslash inside a literal, line breaks
    included; FalkorDB reads a ``\\u`` escape as text, and a non-BMP escape would need Neo4j's ``\\U`` with eight
    digits, so no other escape is used. The one exception is NUL, written ``\\u0000`` (Neo4j reads it; FalkorDB
    cannot hold a NUL in any form, and its engine says so).
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\x00", "\\u0000") + "'"
