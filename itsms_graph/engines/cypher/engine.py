"""What FalkorDB and Neo4j share: answering the engine protocol with compiled Cypher statements."""

from __future__ import annotations

import contextlib
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Generator, Iterator
from typing import Any

from itsms_graph.engines.cypher.compiler import (
    compile_query,
    exists_statement,
    label_count_statement,
    property_present_statement,
)
from itsms_graph.engines.cypher.load import load_batches, stored_nodes_statement
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.queries.plan import BoundQuery


def read_ahead[T](items: Iterator[T], depth: int = 2) -> Generator[T]:
    """*items*, made in a thread of their own up to *depth* ahead of the caller: a batch is read from the graph
    tables and made into rows while the database writes the one before (the client waits on a socket meanwhile).
    The order is kept; an error in the thread is raised here; the thread stops when the caller stops reading."""
    out: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                out.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as exc:  # handed to the reader, who raises it
            put("error", exc)
            return
        put("end", None)

    thread = threading.Thread(target=make, name="itsms-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = out.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


class CypherEngine(ABC):
    name = "cypher"

    @abstractmethod
    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Run one statement; return its result rows as lists."""

    def encode(self, statement: str, params: dict[str, Any]) -> Any:
        """*statement* and its *params* made ready to send (what :meth:`run_encoded` takes): done in the thread
        that reads ahead, so that the database's client spends no time on it between two statements."""
        return statement, params

    def run_encoded(self, encoded: Any) -> None:
        """Run a statement :meth:`encode` made ready, its rows unread."""
        self.run(*encoded)

    @abstractmethod
    def prepare(self, labels: list[str]) -> None:
        """Create what lookups by id need (indexes, uniqueness constraints) for *labels*."""

    def load(
        self,
        graph: SMSGraph | GraphTables,
        batch_size: int = 10_000,
        progress: Callable[[int, int], None] | None = None,
        *,
        tag: str | None = None,
        extra_labels: tuple[str, ...] = (),
    ) -> None:
        """Write *graph* (the Python graph, or the graph tables streamed a batch at a time) with the shared UNWIND
        statements: merged (idempotent), or created for a label the database holds no node of yet
        (``load.load_batches``); every node marked ``pushed_by`` = *tag* when given. *extra_labels*: the labels
        of nodes the caller writes afterwards, prepared too. The next batch is read while the database writes
        this one."""
        present = graph.labels_present()
        fresh = {label for label in present if not self.run(stored_nodes_statement(label, graph.schema))[0][0]}
        self.prepare(sorted(present | set(extra_labels)))
        total = graph.number_of_nodes() + graph.edge_count()
        done = 0
        encoded = self.encoded_batches(graph, batch_size, tag=tag, fresh=fresh)
        # one duckdb thread: the rows are read (and, for FalkorDB, rendered) a batch at a time, and a second thread
        # only took a core from a database on this machine (FalkorDB at 1M records, one A/B run: 45k to 50k rows/s,
        # the client's CPU 10 % less; again with the rows rendered in duckdb, one run each: 60k with one, 54k two)
        one = graph.threads(1) if isinstance(graph, GraphTables) else contextlib.nullcontext()
        with one, contextlib.closing(read_ahead(encoded)) as ready:
            for n, statement in ready:
                self.run_encoded(statement)
                done += n
                if progress:
                    progress(done, total)

    def encoded_batches(
        self, graph: SMSGraph | GraphTables, batch_size: int, *, tag: str | None, fresh: Collection[str]
    ) -> Iterator[tuple[int, Any]]:
        """(rows, statement made ready to send) for every batch that :meth:`load` writes: the rows of
        ``load.load_batches``, each batch made ready by :meth:`encode`."""
        for statement, rows in load_batches(graph, batch_size, tag=tag, fresh=fresh):
            yield len(rows), self.encode(statement, {"rows": rows})

    def label_count(self, label: str) -> int:
        return int(self.run(label_count_statement(label))[0][0])

    def property_present(self, label: str, key: str) -> bool:
        return bool(self.run(property_present_statement(label, key))[0][0])

    def exists(self, bound: BoundQuery) -> bool:
        return bool(self.run(exists_statement(bound), bound.cypher_params))

    def rows(self, bound: BoundQuery) -> list[tuple[str, ...]]:
        result = self.run(compile_query(bound), bound.cypher_params)
        return sorted(tuple(str(v) for v in row) for row in result)
