"""The language server: pygls glue over the document core and the synth pipeline."""
