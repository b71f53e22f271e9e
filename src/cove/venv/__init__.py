"""Virtual environments: layout per platform, pyvenv.cfg, creation and activation scripts."""
