"""The pure clinical core: no I/O, no clock, no framework."""
