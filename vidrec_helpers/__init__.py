"""vidrec_helpers: the thin, tested helper package behind the vidrec notebooks."""

from .config import Settings, VidrecError, get_settings, reload_settings

__all__ = ["Settings", "VidrecError", "get_settings", "reload_settings"]
__version__ = "0.1.0"
