"""Read what is installed in an environment, without importing or running anything in it."""
