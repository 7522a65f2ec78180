-- Default client configuration for dlm-synth-lsp, in the `lsp/<name>.lua` shape that
-- Neovim 0.11+ reads for `vim.lsp.config('dlm_synth', …)` / `vim.lsp.enable('dlm_synth')`.
-- Every field can be overridden with `vim.lsp.config('dlm_synth', { … })` or through
-- `require('dlm_synth').setup({ … })`; on Neovim 0.10 the plugin reads this same
-- file and hands it to `vim.lsp.start`, so both versions share one source of truth.

---@type vim.lsp.Config
return {
  -- The console script installed by `pip install dlm-synth-lsp`. Point it at a
  -- virtual environment's copy (or `{ 'python', '-m', 'dlm_synth_lsp', '--stdio' }`)
  -- when the server is not on PATH.
  cmd = { 'dlm-synth-lsp', '--stdio' },
  filetypes = { 'dlm' },
  -- A .dlm file is usually a single document in a repository; without a marker the
  -- server runs in single-file mode, which it fully supports.
  root_markers = { '.git' },
  -- Answered to the server's `workspace/configuration` request for section
  -- `dlmSynth`; an empty table means "server defaults" (docs/server.md). API keys
  -- are deliberately not settings: the server reads OPENAI_API_KEY /
  -- ANTHROPIC_API_KEY from the environment Neovim was started in.
  settings = {
    dlmSynth = {},
  },
}
