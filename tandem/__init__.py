"""Tandem: LLM-then-specialist pipelines on Prefect, with typed stage contracts and results in SQL.

One import name for everything installed: ``tandem.flows`` (the Prefect flows and the engine),
``tandem.stages`` (the stage contract, the registry, the LLM stages), ``tandem.specialists`` (trained
models, training, evaluation), ``tandem.storage`` (SQL) and ``tandem.cli`` (the ``tandem`` command). In the
repository the first four are the top-level folders ``flows/``, ``stages/``, ``specialists/`` and ``storage/``,
which ``tandem/`` links into one package (the wheel holds real files under ``tandem/``); ``tandem/cli/`` is a
real folder, on top of the others (none of them imports it).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tandem")
except PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
    __version__ = "0.0.0"

#: the top-level names Tandem installed before it became one package; a plugin importing them gets told so
FORMER_TOP_LEVEL = ("flows", "stages", "specialists", "storage")
