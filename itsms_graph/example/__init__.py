"""The example SMS: a seeded, realistic organisation with planted defects, for the demo, tests and benchmarks."""

from itsms_graph.example.generator import ExampleSMS, PlantedDefect, generate, records_for

__all__ = ["ExampleSMS", "PlantedDefect", "generate", "records_for"]
