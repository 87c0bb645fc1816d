"""interven-autoguard: an in-process firewall for AI agents."""

from .errors import RequestBlocked
from .guard.install import guarded, install, uninstall

__all__ = ["RequestBlocked", "guarded", "install", "uninstall"]
