"""Interpreter discovery and the probe that describes an interpreter."""
