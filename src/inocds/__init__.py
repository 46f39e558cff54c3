"""inocds: clinical decision support for inotuzumab ozogamicin (Besponsa)."""

__version__ = "0.1.0"
