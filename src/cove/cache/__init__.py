"""cove's on-disk cache: versioned buckets, append-only, atomic renames, a lock per entry."""
