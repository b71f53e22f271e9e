"""Resolution: which candidate of each project to install (resolvelib over a PackageSource)."""
