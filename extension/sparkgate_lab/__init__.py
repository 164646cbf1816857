"""sparkgate-lab: the prebuilt JupyterLab extension of sparkgate (Spark sidebar panel, notebook status).

Also ships `sparkgate_lab.gateway_connection.SparkgateGatewayConnection`, a gateway-mode kernel websocket
relay for jupyter_server that carries binary frames and messages over 10 MiB (imported only when configured),
and a jupyter_server extension (`gateway_proxy`) that forwards `<base_url>/sparkgate/` to the gateway in
gateway mode, which the Spark panel talks to.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built by hatch
    __version__ = "dev"


def _jupyter_labextension_paths():
    """Where `jupyter labextension develop` finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "sparkgate-lab"}]


def _jupyter_server_extension_points():
    """Enabled by the wheel's etc/jupyter/jupyter_server_config.d/sparkgate_lab.json."""
    return [{"module": "sparkgate_lab"}]


def _load_jupyter_server_extension(serverapp):
    # Imported here: jupyter_server and jupyter-server-proxy are only needed inside a Jupyter server.
    from .gateway_proxy import _load

    _load(serverapp)
