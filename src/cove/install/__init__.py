"""Installing distributions: the wheel installer (link from the unpacked cache), scripts, RECORD."""
