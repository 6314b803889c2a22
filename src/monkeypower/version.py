"""The installed package version (``0+unknown`` when run from a source tree)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("monkeypower")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
