"""Command-line interface: argument parsing and the only place that prints."""
