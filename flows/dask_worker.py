"""Dask worker setup: every worker of a pipeline's cluster (those joining later included) redacts its log records
(:func:`tandem.stages.secrets.install_log_redaction`) from the moment the plugin is registered. Imported only with the
dask runner (it needs ``distributed``)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class RedactLogsPlugin(WorkerPlugin):
    """Installs Tandem's log redaction on each worker it is set up on."""

    name = "tandem-log-redaction"
    idempotent = True

    def setup(self, worker: Any) -> None:
        from tandem.stages.secrets import install_log_redaction

        install_log_redaction()


def register_redaction(client: Any) -> None:
    """Register :class:`RedactLogsPlugin` with ``client``'s cluster (its workers now and later)."""
    client.register_plugin(RedactLogsPlugin())
