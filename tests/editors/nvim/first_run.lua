-- A first run as a newcomer makes it, after the user's own init.lua (the docs'
-- quick start) has been read. Driven by tests/editors/test_neovim.py:
--
--   nvim --headless -u init.lua -c 'luafile tests/editors/nvim/first_run.lua'
--
-- Opens DLM_NVIM_DOC, waits for the dlm_synth client (or, with
-- DLM_NVIM_EXPECT_CLIENT=0, for a moment), runs `:checkhealth dlm_synth` and opens
-- `:help dlm-synth`, and writes what it saw to DLM_NVIM_RESULT: the client's
-- command, the notifications, the health report's lines and the help buffer.

local env = vim.env
local result = { ok = false, notifications = {} }
local current = 'start'

local function finish(ok, err)
  result.ok, result.error, result.failed_step = ok, err, (not ok) and current or nil
  local file = assert(io.open(env.DLM_NVIM_RESULT, 'w'))
  file:write(vim.json.encode(result))
  file:close()
  os.exit(ok and 0 or 1)
end

vim.defer_fn(function()
  finish(false, 'watchdog: longer than 60 s')
end, 60000)

local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(result.notifications, { msg = msg, level = level })
  return notify(msg, level, opts)
end

local function main()
  current = 'open the document'
  vim.cmd.edit(vim.fn.fnameescape(env.DLM_NVIM_DOC))
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype
  local client
  if env.DLM_NVIM_EXPECT_CLIENT == '0' then
    vim.wait(1500)
  else
    current = 'attach'
    local attached = vim.wait(30000, function()
      client = vim.lsp.get_clients({ bufnr = buf, name = 'dlm_synth' })[1]
      return client ~= nil and client.initialized
    end, 20)
    if not attached then
      error('the dlm_synth client did not attach within 30 s')
    end
    result.cmd = client.config.cmd
    result.server_name = client.server_info and client.server_info.name
    result.capabilities_experimental = client.capabilities.experimental
  end
  result.clients = #vim.lsp.get_clients({ bufnr = buf })

  current = 'checkhealth'
  vim.cmd('checkhealth dlm_synth')
  result.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  vim.cmd('tabclose')

  current = 'help'
  vim.v.errmsg = ''
  local ok, err = pcall(vim.cmd, 'help dlm-synth')
  result.help_error = not ok and tostring(err) or nil
  result.help_file = vim.fn.expand('%:t')
  result.help_line = vim.api.nvim_get_current_line()
end

local ok, err = xpcall(main, debug.traceback)
finish(ok, not ok and err or nil)
