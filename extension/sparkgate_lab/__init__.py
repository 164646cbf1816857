"""sparkgate-lab: the prebuilt JupyterLab extension of sparkgate (Spark sidebar panel, notebook status).

Also ships `sparkgate_lab.gateway_connection.SparkgateGatewayConnection`, a gateway-mode kernel websocket
relay for jupyter_server that carries binary frames and messages over 10 MiB (imported only when configured).
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built by hatch
    __version__ = "dev"


def _jupyter_labextension_paths():
    """Where `jupyter labextension develop` finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "sparkgate-lab"}]
