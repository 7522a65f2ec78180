"""Editor tooling for DocumentLanguageModel (`.dlm`) documents.

The package is split into protocol-free cores (`document`, later `synth`) and thin
front ends (`cli`, later `lsp`) so every editor feature can be driven headless.
"""

__version__ = "0.1.0"
