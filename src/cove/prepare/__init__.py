"""The prepare stage: bring artifacts onto disk (downloaded once, hash-checked, cached), read the
metadata resolution needs, and turn direct references into wheels; nothing here changes an
environment."""
