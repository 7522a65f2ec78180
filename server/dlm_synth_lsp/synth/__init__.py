"""The synthesis pipeline: teacher → reply parsing → dedup → judge → result.

Protocol-free (no pygls, no lsprotocol) so the language server and the CLI share it.
"""
