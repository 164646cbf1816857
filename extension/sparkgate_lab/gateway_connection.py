"""A gateway-mode kernel websocket relay for jupyter_server that carries binary frames and big messages.

Enable it in the user's Jupyter server (JupyterLab in gateway mode) with one line of config::

    c.ServerApp.kernel_websocket_connection_class = "sparkgate_lab.gateway_connection.SparkgateGatewayConnection"

(or ``--ServerApp.kernel_websocket_connection_class=sparkgate_lab.gateway_connection.SparkgateGatewayConnection``).
Gateway mode only changes that trait's *default* (to ``GatewayWebSocketConnection``), so the explicit setting
wins while ``GatewayClient.url`` keeps the gateway kernel and session managers in place.

What it changes in jupyter_server 2.x's ``jupyter_server.gateway.connections.GatewayWebSocketConnection``,
and nothing else (sparkgate issue 11, item 3):

- The upstream websocket to the gateway is opened with ``max_message_size`` =
  ``SparkgateGatewayConnection.max_message_size`` (default 1 GiB) instead of tornado's 10 MiB default, above
  which tornado closes the connection with 1009: an output over 10 MiB was lost on every reconnect and the
  cell hung with "Lost connection to Gateway".
- Binary frames (Jupyter messages with ``buffers``: ipywidgets, anywidget, bqplot, ...) are relayed as binary
  frames, in both directions. Upstream decodes every binary frame from the gateway as UTF-8 — which raises
  outside its ``try`` and ends that kernel's relay for good — and writes browser binary frames to the gateway
  as *text* frames carrying non-UTF-8 data, which a gateway must reject.

- The browser's kernel websocket subprotocol (``v1.kernel.websocket.jupyter.org``, which JupyterLab offers) is
  accepted and the upstream websocket is opened with the same one, so frames pass through unchanged. Upstream
  sets ``kernel_ws_protocol = ""`` (it opens the upstream socket without a subprotocol, so it must force the
  legacy JSON framing on the browser): the browser's handshake offering v1 got no subprotocol back, which
  Chromium fails ("Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received"), and
  JupyterLab reconnected without one — a failed handshake and a console error on every (re)connect. For a
  gateway that does not speak v1, set ``c.SparkgateGatewayConnection.kernel_ws_protocol = ""``.

Browser-to-server frames have their own limit, tornado's ``websocket_max_message_size`` application setting
(10 MiB default); raise it for uploads over 10 MiB with
``c.ServerApp.tornado_settings = {"websocket_max_message_size": 1024 ** 3}``.

``connect``, ``_read_messages``, ``handle_outgoing_message`` and ``_write_message`` follow jupyter_server
2.21.1's code line for line except where marked ``# sparkgate:``; re-check them when upgrading jupyter_server.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Union, cast

import tornado.websocket as tornado_websocket
from jupyter_server.gateway.connections import GatewayWebSocketConnection
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.utils import url_path_join
from tornado.concurrent import Future
from tornado.escape import json_decode, url_escape, utf8
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from traitlets import Int, Unicode

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "SparkgateGatewayConnection"]

#: 1 GiB: above the gateway's own limits (sparkgate's ``limits.maxWsMessageBytes`` bounds what clients send;
#: what kernels send is bounded only by this), so the relay is never the hop that drops a message.
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024 * 1024


class SparkgateGatewayConnection(GatewayWebSocketConnection):
    """``GatewayWebSocketConnection`` that relays binary frames as binary and honours ``max_message_size``."""

    max_message_size = Int(
        DEFAULT_MAX_MESSAGE_SIZE,
        min=1,
        config=True,
        help="""Largest message (bytes) accepted from the gateway on a kernel websocket. tornado's default,
        which jupyter_server's gateway relay uses, is 10 MiB: a bigger output closed the connection (1009).""",
    )

    kernel_ws_protocol = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""Kernel websocket subprotocol offered to the browser: None (default) = the newest both sides
        support, which the upstream socket to the gateway then uses too; "" = the legacy JSON framing (for a
        gateway without v1.kernel.websocket.jupyter.org).""",
    )

    async def connect(self):
        """Connect to the socket."""
        # websocket is initialized before connection
        self.ws = None
        ws_url = url_path_join(
            GatewayClient.instance().ws_url or "",
            GatewayClient.instance().kernels_endpoint,
            url_escape(self.kernel_id),
            "channels",
        )
        if self.session_id:
            ws_url += f"?session_id={url_escape(self.session_id)}"
        self.log.info(f"Connecting to {ws_url}")
        kwargs: dict[str, Any] = {}
        kwargs = GatewayClient.instance().load_connection_args(**kwargs)

        request = HTTPRequest(ws_url, **kwargs)
        # sparkgate: the gateway must frame messages as the browser does (frames are relayed unchanged).
        # Read once, on the first connect: on a reconnect the handler may no longer hold its socket
        # (tornado's `selected_subprotocol` then raises), and the browser's framing cannot change.
        if not hasattr(self, "_sparkgate_subprotocol"):
            handler = self.websocket_handler
            self._sparkgate_subprotocol = handler.selected_subprotocol if handler.ws_connection is not None else None
        subprotocol = self._sparkgate_subprotocol
        self.ws_future = cast(
            "Future[Any]",
            # sparkgate: tornado's default max_message_size is 10 MiB.
            tornado_websocket.websocket_connect(
                request,
                max_message_size=self.max_message_size,
                subprotocols=[subprotocol] if subprotocol else None,
            ),
        )
        self.ws_future.add_done_callback(self._connection_done)

        loop = IOLoop.current()
        loop.add_future(self.ws_future, lambda future: self._read_messages())

    def _connection_done(self, fut):
        """Handle a finished connection (upstream's, plus a check that both sides frame alike)."""
        super()._connection_done(fut)
        # sparkgate: a gateway that did not take the browser's subprotocol would get frames it cannot read.
        wanted = getattr(self, "_sparkgate_subprotocol", None)
        if self.ws is not None and (self.ws.selected_subprotocol or None) != (wanted or None):
            self.log.error(
                "Gateway answered kernel websocket subprotocol %r to %r; messages will not decode. "
                'Set c.SparkgateGatewayConnection.kernel_ws_protocol = "" for a gateway without %s.',
                self.ws.selected_subprotocol,
                wanted,
                wanted,
            )

    async def _read_messages(self):
        """Read messages from gateway server."""
        while self.ws is not None:
            message = None
            if not self.disconnected:
                try:
                    message = await self.ws.read_message()
                except Exception as e:
                    self.log.error(f"Exception reading message from websocket: {e}")
                if message is None:
                    if not self.disconnected:
                        self.log.warning(f"Lost connection to Gateway: {self.kernel_id}")
                    break
                # sparkgate: no `message.decode("utf8")` for bytes: a binary frame stays binary.
                self.handle_outgoing_message(message)  # pass back to notebook client
            else:  # ws cancelled - stop reading
                break

        # if websocket is not disconnected by client, try to reconnect.
        if not self.disconnected and self.retry < GatewayClient.instance().gateway_retry_max:
            jitter = random.randint(10, 100) * 0.01  # noqa: S311
            retry_interval = (
                min(
                    GatewayClient.instance().gateway_retry_interval * (2**self.retry),
                    GatewayClient.instance().gateway_retry_interval_max,
                )
                + jitter
            )
            self.retry += 1
            self.log.info(
                "Attempting to re-establish the connection to Gateway in %s secs (%s/%s): %s",
                retry_interval,
                self.retry,
                GatewayClient.instance().gateway_retry_max,
                self.kernel_id,
            )
            await asyncio.sleep(retry_interval)
            loop = IOLoop.current()
            loop.spawn_callback(self.connect)

    def handle_outgoing_message(self, incoming_msg: Union[str, bytes], *args: Any) -> None:
        """Send message to the notebook client."""
        try:
            # sparkgate: binary= (upstream always wrote a text frame).
            self.websocket_handler.write_message(incoming_msg, binary=isinstance(incoming_msg, bytes))
        except tornado_websocket.WebSocketClosedError:
            if self.log.isEnabledFor(logging.DEBUG):
                # sparkgate: a binary message is not JSON; summarise only text ones.
                msg_summary = (
                    "binary message"
                    if isinstance(incoming_msg, bytes)
                    else GatewayWebSocketConnection._get_message_summary(json_decode(utf8(incoming_msg)))
                )
                self.log.debug(f"Notebook client closed websocket connection - message dropped: {msg_summary}")

    def _write_message(self, message):
        """Send message to gateway server."""
        try:
            if not self.disconnected and self.ws is not None:
                # sparkgate: binary= (upstream sent the browser's binary frames as text frames).
                self.ws.write_message(message, binary=isinstance(message, bytes))
        except Exception as e:
            self.log.error(f"Exception writing message to websocket: {e}")
