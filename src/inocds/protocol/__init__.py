"""The drug's protocol as data files, and the loader that validates them. No logic."""
