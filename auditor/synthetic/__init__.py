"""Synthetic networks written as real exports: the demo's, the benchmark's, the tests'.

`model` holds the values a network is described with (prefixes and routes with their state,
each tool's records, traffic intents), `formats` writes them in the vendors' own file
formats, and `asa_messages` renders Cisco ASA / FTD syslog lines in the header styles real
relays produce. Nothing here reads those files back: the connectors do, and are tested
against what this package writes.
"""
