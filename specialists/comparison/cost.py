"""The cost model of ``tandem compare``: what 1,000 documents cost, from token counts and CPU time.

``cost_per_1k_docs = 1000 / docs × (prompt_tokens × price_in + completion_tokens × price_out) / 1e6
+ 1000 / docs × cpu_seconds / 3600 × cpu_hour``

* ``price_in`` / ``price_out``: an API's price in USD per million prompt / completion tokens (0 for the
  embedded model and for a server you run yourself: its CPU time is what it costs);
* ``cpu_hour``: USD per CPU-hour of local compute (stages in this process: specialists, the embedded
  LLM). The default, 0.05, is about the on-demand price of one cloud vCPU-hour (2026). CPU time is
  this process's (all threads), measured with :func:`time.process_time`; a remote LLM server's own CPU
  is not seen here, so price it with ``price_in``/``price_out``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

#: USD per CPU-hour: roughly one on-demand cloud vCPU-hour
DEFAULT_CPU_HOUR = 0.05


class CostModel(BaseModel):
    price_in: float = Field(default=0.0, ge=0.0, description="USD per million prompt tokens (API systems)")
    price_out: float = Field(default=0.0, ge=0.0, description="USD per million completion tokens (API systems)")
    cpu_hour: float = Field(default=DEFAULT_CPU_HOUR, ge=0.0, description="USD per CPU-hour of local compute")

    def cost_per_1k_docs(self, docs: int, prompt_tokens: int, completion_tokens: int, cpu_seconds: float) -> float:
        """Estimated USD for 1,000 documents at the measured per-document usage (0 for no documents)."""
        if docs <= 0:
            return 0.0
        tokens = (prompt_tokens * self.price_in + completion_tokens * self.price_out) / 1e6
        compute = cpu_seconds / 3600.0 * self.cpu_hour
        return round((tokens + compute) * 1000.0 / docs, 6)
