"""PEP 517/660 builds: sdists and source trees into wheels, in environments cove creates."""
