"""Data shipped with minillada (see README.md here): Tiny Shakespeare and the example fact files."""
