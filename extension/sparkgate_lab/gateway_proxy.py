"""``<base_url>/sparkgate/`` → the gateway jupyter_server talks to (``GatewayClient.url``), for the Spark panel.

The panel calls ``<base_url>sparkgate/api/...`` and socket.io under ``<base_url>sparkgate/socket.io`` (same origin,
Jupyter auth). In a JupyterHub single-user image the gateway is another host (a Kubernetes Service), which
jupyter-server-proxy's named servers (``c.ServerProxy.servers``) cannot reach: they proxy to localhost only. This
server extension (enabled by the wheel's ``etc/jupyter/jupyter_server_config.d/sparkgate_lab.json``) routes the
prefix with jupyter-server-proxy's ``ProxyHandler`` to ``GatewayClient.url`` and authenticates with the same
header GatewayClient sends (``JUPYTER_GATEWAY_AUTH_TOKEN`` / ``c.GatewayClient.auth_token``), so an image needs
only ``JUPYTER_GATEWAY_URL`` and the token.

It does nothing outside gateway mode, and yields to an explicit ``c.ServerProxy.servers["sparkgate"]`` (what
``npm start`` writes for a gateway on 127.0.0.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.utils import url_path_join

PREFIX = "sparkgate"

#: Browser headers that are the Jupyter server's credentials, not the gateway's: never forwarded.
_DROPPED_HEADERS = ("Cookie", "Authorization", "X-XSRFToken")
#: GatewayClient connection arguments (TLS, HTTP basic auth) that tornado's HTTPRequest takes as they are.
_CONNECTION_OPTIONS = ("validate_cert", "ca_certs", "client_cert", "client_key", "auth_username", "auth_password")


def _load(serverapp: Any) -> None:
    client: GatewayClient = getattr(serverapp, "gateway_config", None) or GatewayClient.instance()
    if not client.gateway_enabled:
        serverapp.log.info("sparkgate_lab: not in gateway mode; no %s/ route", PREFIX)
        return
    configured = serverapp.config.ServerProxy.get("servers", {}) if "ServerProxy" in serverapp.config else {}
    if PREFIX in configured:
        serverapp.log.info("sparkgate_lab: c.ServerProxy.servers[%r] is configured; it serves /%s/", PREFIX, PREFIX)
        return
    try:
        from jupyter_server_proxy.handlers import AddSlashHandler, ProxyHandler
    except ImportError:
        serverapp.log.warning("sparkgate_lab: no jupyter-server-proxy; the Spark panel cannot reach the gateway")
        return

    target = urlsplit(client.url)
    secure = target.scheme in ("https", "wss")
    host = target.hostname or "localhost"
    port = target.port or (443 if secure else 80)
    root = target.path.rstrip("/")

    class GatewayProxyHandler(ProxyHandler):
        """Proxies HTTP and websockets under ``<base_url>/sparkgate/`` to the gateway."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # X-Forwarded-Context = <base_url>sparkgate: the gateway's Spark UI proxy builds its links from it.
            self.proxy_base = PREFIX

        def get_client_uri(self, protocol: str, host: str, port: int, proxied_path: str) -> str:
            # ProxyHandler always asks for http/ws; the gateway URL decides. A path in the URL is a prefix.
            if secure:
                protocol = {"http": "https", "ws": "wss"}.get(protocol, protocol)
            return super().get_client_uri(protocol, host, port, root + "/" + proxied_path.lstrip("/"))

        def proxy_request_headers(self) -> Any:
            headers = self.request.headers.copy()
            for name in _DROPPED_HEADERS:
                headers.pop(name, None)
            headers.update(self.get_request_headers_override())
            return headers

        def get_request_headers_override(self) -> dict[str, str]:
            # GatewayClient's own headers (c.GatewayClient.headers, the auth header with a renewed token).
            headers = dict(client.load_connection_args(headers={}).get("headers", {}))
            if client.auth_token:
                headers.setdefault(client.auth_header_key, f"{client.auth_scheme} {client.auth_token}")
            else:
                headers.pop(client.auth_header_key, None)
            return headers

        def proxy_request_options(self) -> dict[str, Any]:
            # The TLS and basic-auth settings GatewayClient uses for the gateway. HTTP only: jupyter-server-proxy
            # opens its websockets without options (socket.io stays on long-polling if that upgrade fails).
            options = super().proxy_request_options()
            args = client.load_connection_args()
            options.update({k: args[k] for k in _CONNECTION_OPTIONS if args.get(k) is not None})
            return options

        async def http_get(self, proxied_path: str) -> Any:
            return await self.proxy(host, port, proxied_path)

        async def open(self, proxied_path: str) -> Any:
            return await self.proxy_open(host, port, proxied_path)

        def post(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

        def put(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

        def delete(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

        def head(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

        def patch(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

        def options(self, proxied_path: str) -> Any:
            return self.proxy(host, port, proxied_path)

    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*",
        [
            (url_path_join(base_url, PREFIX, r"(.*)"), GatewayProxyHandler, {"host_allowlist": [host]}),
            (url_path_join(base_url, PREFIX), AddSlashHandler),
        ],
    )
    serverapp.log.info("sparkgate_lab: %s%s/ → %s", base_url, PREFIX, client.url)
