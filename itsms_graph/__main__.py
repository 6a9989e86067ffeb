"""``python -m itsms_graph``: the ``itsms-graph`` command, for an environment without the script on its PATH."""

from itsms_graph.cli import main

if __name__ == "__main__":
    main()
