"""Requirements as people write them: command-line arguments and pip-format requirements files."""
