"""Execute a notebook with nbclient through a kernel gateway, the way a scheduled-notebook job does.

    SPARKGATE_URL=http://127.0.0.1:8889 SPARKGATE_TOKEN=... python nbclient_gateway.py NOTEBOOK

The kernel is started through the gateway's REST API and spoken to over its websocket by
jupyter_server's own gateway classes (GatewayKernelManager / GatewayKernelClient, configured through
GatewayClient with the gateway's URL and token); nbclient drives them like any kernel manager. The
executed notebook (nbformat JSON) goes to stdout; logs go to stderr. Exit 1 if a cell fails.

Gaps in jupyter_server 2.21's classes, bridged here the smallest way (worth knowing for anyone
who runs papermill/nbclient against a gateway):
- GatewayKernelManager.start_kernel starts ``kwargs["kernel_name"]`` (default "python3") and
  ignores the manager's own ``kernel_name``, which is where nbclient puts the notebook's kernelspec;
- GatewayKernelClient opens its websocket without GatewayClient's headers, so a gateway that
  requires a token (sparkgate always does) answers 401;
- its ChannelQueue writes ``header.date`` as a number (``datetime.timestamp()``), where the
  messaging spec has an ISO 8601 string; sparkgate closes such a websocket with 1007 (see
  nbclient.test.ts, which keeps this checked). ``NBCLIENT_GATEWAY_DATES=stock`` keeps the numbers.
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
from threading import Thread

import nbformat
import websocket
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.gateway.managers import ChannelQueue, GatewayKernelClient, GatewayKernelManager
from jupyter_server.utils import ensure_async, url_escape, url_path_join
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import Type


class TokenGatewayKernelClient(GatewayKernelClient):
    """GatewayKernelClient whose websocket carries GatewayClient's headers (the token)."""

    async def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True):
        gateway = GatewayClient.instance()
        ws_url = url_path_join(gateway.ws_url or "", gateway.kernels_endpoint, url_escape(self.kernel_id), "channels")
        headers = gateway.load_connection_args().get("headers", {})
        self.channel_socket = websocket.create_connection(
            ws_url,
            timeout=gateway.KERNEL_LAUNCH_TIMEOUT,
            enable_multithread=True,
            header=[f"{k}: {v}" for k, v in headers.items()],
        )
        # What GatewayKernelClient.start_channels does after connecting.
        await ensure_async(AsyncKernelClient.start_channels(self, shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control))
        self.response_router = Thread(target=self._route_responses)
        self.response_router.start()


class NotebookGatewayKernelManager(GatewayKernelManager):
    """GatewayKernelManager that starts the kernelspec it was created for."""

    client_factory = Type(klass=TokenGatewayKernelClient)

    async def start_kernel(self, **kwargs):
        kwargs.setdefault("kernel_name", self.kernel_name)
        await super().start_kernel(**kwargs)


def iso_date(value):
    """json.dumps default for ChannelQueue.send: dates as ISO 8601 strings, as the spec says."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return None


def main() -> int:
    logging.basicConfig(level=getattr(logging, os.environ.get("NBCLIENT_LOG", "WARNING")), stream=sys.stderr)
    if len(sys.argv) != 2:
        print("usage: nbclient_gateway.py NOTEBOOK (SPARKGATE_URL and SPARKGATE_TOKEN in the environment)", file=sys.stderr)
        return 2
    # Requests (kernel start included) and the websocket's read timeout; a first Spark cell waits for the JVM.
    GatewayClient.instance(
        url=os.environ["SPARKGATE_URL"],
        auth_token=os.environ["SPARKGATE_TOKEN"],
        request_timeout=float(os.environ.get("NBCLIENT_TIMEOUT", "300")),
    )
    if os.environ.get("NBCLIENT_GATEWAY_DATES") != "stock":
        ChannelQueue.serialize_datetime = staticmethod(iso_date)
    nb = nbformat.read(sys.argv[1], as_version=4)
    client = NotebookClient(
        nb,
        kernel_manager_class=NotebookGatewayKernelManager,
        timeout=int(os.environ.get("NBCLIENT_TIMEOUT", "300")),
        startup_timeout=120,
    )
    try:
        client.execute()
    except CellExecutionError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        nbformat.write(nb, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
