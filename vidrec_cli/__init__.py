"""The `vidrec` command, its doctor and the Voilà app launcher, built on vidrec_helpers."""
