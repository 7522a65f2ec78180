-- :checkhealth dlm_synth — everything a first run needs, each with its fix:
-- the Neovim version, the server program (found where, which version), the client
-- configuration and attached clients, the settings, and whether the teacher of the
-- current .dlm buffer can run (asked of the server, which probes a server teacher).

local M = {}

local health = vim.health

local function check_neovim()
  health.start('dlm-synth: Neovim')
  local v = vim.version()
  local version = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. version .. ' (vim.lsp.config / vim.lsp.enable)')
  elseif vim.fn.has('nvim-0.10') == 1 then
    health.ok('Neovim ' .. version .. ' (the plugin starts the server with vim.lsp.start)')
  else
    health.error('Neovim ' .. version .. ' is too old', { 'dlm-synth needs Neovim 0.10 or newer' })
  end
end

local function check_server(dlm_synth)
  health.start('dlm-synth: language server')
  local cmd = dlm_synth.configured_cmd()
  if type(cmd) == 'function' then
    health.info('`cmd` is a function; it cannot be checked here')
    return true
  end
  if type(cmd) ~= 'table' or not cmd[1] then
    health.error('no `cmd` in the dlm_synth configuration', { 'set cmd (:help dlm-synth-cmd)' })
    return false
  end
  local program = cmd[1]
  local found = vim.fn.exepath(program)
  if found == '' then
    local _, tried = dlm_synth.server_cmd()
    local advice = {
      'from a checkout of dlm-synth-lsp: run scripts/setup there; this plugin then finds <checkout>/.venv/bin/dlm-synth-lsp',
      "or install it where you like (python -m pip install '<checkout>[local]') and put it on PATH",
      "or point the client at it: vim.lsp.config('dlm_synth', { cmd = { '/path/to/dlm-synth-lsp', '--stdio' } })",
    }
    health.error(
      string.format('the server command `%s` was not found (cmd = %s); tried: %s', program, vim.inspect(cmd), #tried > 0 and table.concat(tried, '; ') or program),
      advice
    )
    return false
  end
  local version = ''
  if vim.system then
    local ok, out = pcall(function()
      return vim.system({ found, '--version' }, { text = true }):wait(10000)
    end)
    if ok and out and out.code == 0 then
      version = vim.trim(out.stdout or '')
    end
  end
  health.ok(string.format('%s%s (cmd = %s)', found, version ~= '' and (': ' .. version) or '', vim.inspect(cmd)))
  return true
end

local function check_clients(dlm_synth)
  health.start('dlm-synth: clients')
  if vim.fn.has('nvim-0.11') == 1 then
    if vim.lsp.is_enabled and vim.lsp.is_enabled(dlm_synth.name) then
      health.ok('dlm_synth is enabled for filetype dlm')
    else
      health.warn('dlm_synth is not enabled', { "vim.lsp.enable('dlm_synth'), or leave vim.g.dlm_synth_autostart unset" })
    end
  end
  local clients = vim.lsp.get_clients({ name = dlm_synth.name })
  if #clients == 0 then
    health.info('no dlm_synth client is running (open a .dlm file)')
    return nil
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    table.sort(buffers)
    health.ok(string.format('client %d (%s), position encoding %s, attached to buffer(s) %s', client.id, client.server_info and client.server_info.name or '?', client.offset_encoding, table.concat(buffers, ', ')))
    local settings = client.settings and client.settings.dlmSynth or {}
    health.info('settings.dlmSynth = ' .. vim.inspect(settings, { newline = ' ', indent = '' }))
  end
  return clients[1]
end

local function check_teacher(dlm_synth, client)
  health.start('dlm-synth: teacher')
  if not client then
    health.info('no client: open a .dlm file to check its teacher')
    return
  end
  local bufnr
  for buf in pairs(client.attached_buffers or {}) do
    bufnr = bufnr or buf
  end
  local args = { uri = bufnr and vim.uri_from_bufnr(bufnr) or nil, probe = true }
  local params = { command = dlm_synth.commands.status, arguments = { args } }
  local response
  if vim.fn.has('nvim-0.11') == 1 then
    response = client:request_sync('workspace/executeCommand', params, 8000, bufnr)
  else
    response = client.request_sync('workspace/executeCommand', params, 8000, bufnr)
  end
  if not response or response.err or not response.result then
    health.warn('the server did not answer the status request', { 'see the LSP log: :lua vim.cmd.tabedit(vim.lsp.get_log_path())' })
    return
  end
  local status = response.result
  local describe = string.format('teacher %s (setting: %s), filter %s (setting: %s), server %s', status.teacher, status.teacherSetting, status.filter, status.filterSetting, status.serverVersion)
  if status.problem ~= nil and status.problem ~= vim.NIL then
    health.warn(describe, { status.problem, 'choose another teacher or filter in settings.dlmSynth (:help dlm-synth-settings)' })
  elseif status.reachable == true then
    health.ok(describe .. '; the teacher server answers')
  else
    health.ok(describe)
  end
end

function M.check()
  local dlm_synth = require('dlm_synth')
  check_neovim()
  check_server(dlm_synth)
  local client = check_clients(dlm_synth)
  check_teacher(dlm_synth, client)
  health.start('dlm-synth: help')
  if #vim.api.nvim_get_runtime_file('doc/tags', true) > 0 and vim.fn.getcompletion('dlm-synth', 'help')[1] then
    health.ok(':help dlm-synth works')
  else
    health.warn(':help dlm-synth has no tags', { ':helptags ALL (or add the plugin with a plugin manager)' })
  end
end

return M
