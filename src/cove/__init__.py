"""cove: virtual environments through their whole life."""

__version__ = "0.1.0"
