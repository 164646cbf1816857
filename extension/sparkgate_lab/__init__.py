"""sparkgate-lab: the prebuilt JupyterLab extension of sparkgate (Spark sidebar panel, notebook status)."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built by hatch
    __version__ = "dev"


def _jupyter_labextension_paths():
    """Where `jupyter labextension develop` finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "sparkgate-lab"}]
