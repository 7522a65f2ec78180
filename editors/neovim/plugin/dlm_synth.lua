-- Loaded at startup by every plugin manager (and by a plain runtimepath entry).
-- Kept cheap: user commands, a few autocmds, highlight defaults and, depending on the
-- Neovim version, either vim.lsp.enable (0.11+) or a FileType autocmd calling
-- vim.lsp.start (0.10).
if vim.g.loaded_dlm_synth then
  return
end
vim.g.loaded_dlm_synth = true

if vim.fn.has('nvim-0.10') == 0 then
  vim.notify('dlm-synth needs Neovim 0.10 or newer', vim.log.levels.WARN)
  return
end

-- ftdetect/ is only sourced by :filetype on, which --clean/-u NONE setups or
-- plugin managers that load us late may already have run; registering here too is
-- idempotent and makes detection independent of load order.
vim.filetype.add({ extension = { dlm = 'dlm' } })

local dlm_synth = require('dlm_synth')
dlm_synth.create_user_commands()

local group = vim.api.nvim_create_augroup('dlm_synth', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  desc = 'dlm-synth: route code-action and lens commands through the plugin, keep lenses current',
  callback = function(ev)
    local client = vim.lsp.get_client_by_id(ev.data.client_id)
    if client and client.name == dlm_synth.name then
      dlm_synth.route_commands(client)
      dlm_synth.enable_codelens(ev.buf)
    end
  end,
})

-- semantic tokens are highlighted by Neovim itself; our modifier's default look
-- is defined now and again after every :colorscheme (which clears defaults)
dlm_synth.define_highlights()
vim.api.nvim_create_autocmd('ColorScheme', {
  group = group,
  desc = 'dlm-synth: default highlights for the server\'s semantic tokens',
  callback = dlm_synth.define_highlights,
})

vim.api.nvim_create_autocmd('LspProgress', {
  group = group,
  desc = 'dlm-synth: show synthesis progress',
  callback = dlm_synth.on_progress,
})

-- A user who wants to configure first (or not start the server at all) sets
-- vim.g.dlm_synth_autostart = false and calls require('dlm_synth').setup() later.
if vim.g.dlm_synth_autostart == false then
  return
end

if vim.fn.has('nvim-0.11') == 1 then
  -- resolved lazily from lsp/dlm_synth.lua + any vim.lsp.config('dlm_synth', …)
  vim.lsp.enable(dlm_synth.name)
  -- vim.lsp.enable skips a missing executable without a word: say it once
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'dlm',
    desc = 'dlm-synth: say so when the language server cannot be found',
    callback = function()
      dlm_synth.check_startable()
    end,
  })
else
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'dlm',
    desc = 'dlm-synth: start the language server (Neovim 0.10)',
    callback = function(ev)
      -- setup({ autostart = false }) turns this off at run time too
      if dlm_synth.options.autostart then
        dlm_synth.start(ev.buf)
      end
    end,
  })
end
