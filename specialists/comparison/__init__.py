"""LLM or specialist? Run systems over the same gold documents through the pipeline's own stage code,
score them with ``tandem eval``'s metrics, time them and price them.

* :mod:`.measure`: :func:`run_system` runs one stage over texts in batches and records per-document
  outputs, latencies, LLM usage, wall and CPU time;
* :mod:`.cost`: the documented cost model (API token prices + CPU time);
* :mod:`.report`: :class:`SystemReport` / :class:`ComparisonReport`, the typed results (``--json``).
"""
