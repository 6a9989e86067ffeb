"""One error hierarchy for everything a user can get wrong, mapped to exit codes in one place.

The CLI catches ItsmsError and prints its message on one line; a user never sees a traceback for bad input.
"""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class ItsmsError(Exception):
    """Base of every error that is the input's or the user's fault, not a bug."""

    exit_code = EXIT_USAGE


class OntologyError(ItsmsError):
    """The ontology files are inconsistent (a relationship without a domain, an unknown datatype...)."""


class SchemaViolation(ItsmsError):
    """A node or relationship does not fit the ontology (unknown label, wrong endpoint, wrong type)."""


class QueryDefinitionError(ItsmsError):
    """A canned query file is malformed; the message names the file and the key."""


class SnapshotError(ItsmsError):
    """A snapshot cannot be read (wrong format, newer version, corrupt)."""


class InputError(ItsmsError):
    """An input file cannot be imported; the message names the file, row and column."""

    def __init__(
        self, message: str, *, file: str | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        where = ", ".join(
            part
            for part in (
                file and f"file {file}",
                (row is not None and f"row {row}") or None,
                column and f"column {column}",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.column = file, row, column


class EngineUnavailable(ItsmsError):
    """A graph engine (FalkorDB, Neo4j) is not installed or cannot be reached."""


class RowsUnaccounted(ItsmsError):
    """An import whose counts do not add up: rows read != accepted + merged + rejected + skipped. A bug, never the
    input's fault, but the snapshot it would write cannot be trusted, so the import stops."""


class OutputError(ItsmsError):
    """An output file cannot be written (a read-only folder, a full disk, a file-size limit); the previous file,
    if any, is left as it was."""


class OutputBusy(OutputError):
    """Another writer holds the output file being written: refused rather than interleaved."""


def one_line(exc: BaseException) -> tuple[str, int]:
    """What the user sees of *exc*, on one line, and the exit code: an ItsmsError's own message and code; a system
    error (a file that cannot be read, memory exhausted) as what it is, exit 2; anything else is a bug, said as one
    line with the hint to rerun with --debug for the traceback, exit 2 (never 1, which means findings)."""
    if isinstance(exc, ItsmsError):
        message, code = str(exc), exc.exit_code
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        message, code = f"{where}{exc.strerror or exc}", EXIT_USAGE
    elif isinstance(exc, MemoryError):
        message, code = "out of memory (a smaller input, or --keep-going off to stop at the first bad row?)", EXIT_USAGE
    elif isinstance(exc, RecursionError):
        message, code = "an input is nested too deeply to read", EXIT_USAGE
    else:
        detail = str(exc) or "(no message)"
        message = (
            f"unexpected {type(exc).__name__}: {detail} (a bug in itsms-graph: rerun with --debug for the traceback)"
        )
        code = EXIT_USAGE
    return " ".join(part.strip() for part in message.splitlines() if part.strip()), code
