-- Default client configuration for dlm-synth-lsp, in the `lsp/<name>.lua` shape that
-- Neovim 0.11+ reads for `vim.lsp.config('dlm_synth', …)` / `vim.lsp.enable('dlm_synth')`.
-- Every field can be overridden with `vim.lsp.config('dlm_synth', { … })` or through
-- `require('dlm_synth').setup({ … })`; on Neovim 0.10 the plugin reads this same
-- file and hands it to `vim.lsp.start`, so both versions share one source of truth.

local dlm_synth = require('dlm_synth')

---@type vim.lsp.Config
return {
  -- `dlm-synth-lsp` from PATH (pip install), else from the .venv that scripts/setup
  -- made in the checkout this plugin directory belongs to; `:checkhealth dlm_synth`
  -- says which, or what to do when neither exists. Set `cmd` to use another one.
  cmd = (dlm_synth.server_cmd()),
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
  -- The plugin shows every command result's message itself, so the server never
  -- sends the same outcome again as window/showMessage.
  capabilities = {
    experimental = { dlmSynth = { resultMessages = true } },
  },
  -- The server's own messages and questions, behind the prefix every client uses.
  handlers = {
    ['window/showMessage'] = dlm_synth.on_show_message,
    ['window/showMessageRequest'] = dlm_synth.on_show_message_request,
  },
}
