"""The audit's reasoning on top of query results: Stage 1 and Stage 2 verdicts, sampling, the corrective
action plan, and the difference between two audit cycles."""
