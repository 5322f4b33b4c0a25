"""``tandem server start|stop|status``: a local Prefect server with its UI, in the background."""

from __future__ import annotations

from typing import Annotated

import typer

from tandem.cli.common import fail
from tandem.cli.console import err, out

server_app = typer.Typer(no_args_is_help=True, help="A local Prefect server with its UI, in the background: "
                                                    "runs show in the UI and each command starts faster.")


def start_command(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback: only this machine).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the API and the UI.")] = 4200,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server to answer.")] = 90.0,
) -> None:
    """Start a Prefect server in the background; later tandem commands use it (unless PREFECT_API_URL is set)."""
    from tandem.flows.server import ServerError, start_server

    with err.status("starting the Prefect server…"):
        try:
            info, started = start_server(host, port, timeout)
        except ServerError as exc:
            fail(str(exc))
    out.print(f"Prefect server {'started' if started else 'already running'} (pid {info.pid}): UI at "
              f"[bold]{info.url}[/], log {info.log}")
    out.print(f"tandem commands on this machine use it; for other programs: "
              f"[cyan]export PREFECT_API_URL={info.api_url}[/]. Stop it with [cyan]tandem server stop[/].")


def stop_command() -> None:
    """Stop the Prefect server that 'tandem server start' started."""
    from tandem.flows.server import stop_server

    info = stop_server()
    out.print("no tandem-started Prefect server was running" if info is None else
              f"stopped the Prefect server at {info.url} (pid {info.pid})")


def status_command() -> None:
    """Say whether a tandem-started Prefect server is running, and where."""
    from tandem.flows.server import running_server

    info = running_server()
    if info is None:
        out.print("no tandem-started Prefect server is running: each tandem run starts a temporary one")
        raise typer.Exit(1)
    out.print(f"Prefect server running (pid {info.pid}): UI at {info.url}, API {info.api_url}")


server_app.command("start")(start_command)
server_app.command("stop")(stop_command)
server_app.command("status")(status_command)
