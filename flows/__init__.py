"""Prefect flows, deployments, triggers and the ``tandem`` CLI."""

import os

# The ephemeral Prefect API (no server configured) needs ~18 s to start on 2 busy cores; Prefect's
# default 20 s timeout is too tight there. Explicit user settings win.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# Machines without internet: do not try to send Prefect telemetry from the local server.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
