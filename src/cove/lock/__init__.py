"""Lock files: PEP 751 ``pylock.toml`` and pinned requirements with hashes."""
