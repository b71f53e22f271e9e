"""The Simple repository API and find-links: pages parsed into links, links ranked for a target."""
