"""`dlm-synth-lsp synth batch status|collect|cancel`."""

from __future__ import annotations

import argparse


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    return None
