"""ONDC protocol layer: wire formats, signing and keys (protocol keys stay verbatim here)."""
