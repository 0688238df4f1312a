"""The index engine: a general composite-indicator engine and the party-building indices."""
