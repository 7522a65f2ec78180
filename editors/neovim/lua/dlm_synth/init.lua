-- dlm-synth: Neovim client helpers for the dlm-synth-lsp language server.
--
-- The server does all the work (parsing, synthesis jobs, placing edits) and words
-- every outcome (`result.message`: severity, text, follow-up actions, details); this
-- module turns editor state (buffer, cursor, visual selection) into the server's
-- `workspace/executeCommand` payloads and shows what comes back, behind the one prefix
-- every client uses (`dlm-synth: `). Command ids, payloads and result shapes are the
-- server's public contract, documented in docs/server.md.

local M = {}

--- Client name used by vim.lsp.config/enable and by vim.lsp.start on 0.10; also how
--- we recognise our client among the ones attached to a buffer.
M.name = 'dlm_synth'

--- The prefix of every message shown (the VS Code extension uses the same).
M.prefix = 'dlm-synth: '

--- Server command ids (docs/server.md). They are the server's, not ours: the
--- plugin's user commands have different (Ex) names, so nothing collides.
M.commands = {
  synthesize = 'dlm-synth.synthesize',
  synthesize_document = 'dlm-synth.synthesizeDocument',
  revert = 'dlm-synth.revert',
  list = 'dlm-synth.list',
  cancel = 'dlm-synth.cancel',
  apply_staged = 'dlm-synth.applyStaged',
  status = 'dlm-synth.status',
  relink = 'dlm-synth.relink',
  review = 'dlm-synth.review',
  apply_review = 'dlm-synth.applyReview',
}

--- Follow-ups a message may offer that the client carries out itself.
M.client_commands = {
  open_setting = 'dlm-synth.openSetting',
  remember_settings = 'dlm-synth.rememberSettings',
}

M.strategies = { 'extraction', 'expansion', 'both' }

local defaults = {
  -- nil: keep what lsp/dlm_synth.lua (or the user's vim.lsp.config) says
  cmd = nil,
  cmd_env = nil,
  -- the `dlmSynth` settings table (docs/server.md); `{ dlmSynth = {…} }` works too
  settings = nil,
  on_attach = nil,
  -- show a job's progress as one line in the command line area, replaced as the job
  -- goes (false: not at all, e.g. when fidget.nvim or a statusline shows LSP progress)
  progress = true,
  -- keep code lenses ("Synthesize instructions", "N synthesized pairs") current
  codelens = true,
  -- start the server for `dlm` buffers (vim.lsp.enable on 0.11+, vim.lsp.start on 0.10)
  autostart = true,
}

M.options = vim.deepcopy(defaults)

local has_011 = vim.fn.has('nvim-0.11') == 1

local function notify(message, level)
  vim.notify(M.prefix .. message, level or vim.log.levels.INFO, { title = 'dlm-synth' })
end

-- Client methods became `client:method()` in 0.11 and the 0.10 closures
-- (`client.request(...)`) are deprecated there, so pick the form per version.
local function request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function client_notify(client, method, params)
  if has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

-- ---------------------------------------------------------------------------
-- finding the server

local is_windows = vim.fn.has('win32') == 1

--- The plugin directory (editors/neovim of a checkout, or a copy of it).
function M.plugin_dir()
  local here = debug.getinfo(1, 'S').source:gsub('^@', '')
  return vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(here))))
end

--- Where the server is looked for, in order: `dlm-synth-lsp` on PATH (a pip
--- install), then the `.venv` that `scripts/setup` makes in the checkout this plugin
--- directory belongs to. Returns the command and what was tried.
---@return string[] cmd, string[] tried
function M.server_cmd()
  local tried = {}
  local on_path = vim.fn.exepath('dlm-synth-lsp')
  if on_path ~= '' then
    return { on_path, '--stdio' }, tried
  end
  table.insert(tried, 'dlm-synth-lsp on PATH (not found)')
  local checkout = vim.fs.dirname(vim.fs.dirname(M.plugin_dir()))
  local script = is_windows and (checkout .. '/.venv/Scripts/dlm-synth-lsp.exe') or (checkout .. '/.venv/bin/dlm-synth-lsp')
  if vim.fn.executable(script) == 1 then
    return { script, '--stdio' }, tried
  end
  table.insert(tried, script .. ' (not found: run scripts/setup in the checkout)')
  return { 'dlm-synth-lsp', '--stdio' }, tried
end

--- How to install the server, for messages and :checkhealth.
M.install_hint = 'install it from a checkout of dlm-synth-lsp (scripts/setup, or pip install <checkout>) '
  .. 'or set `cmd` (:help dlm-synth-cmd)'

-- ---------------------------------------------------------------------------
-- configuration and startup

--- The table returned by the runtime file `lsp/dlm_synth.lua`, i.e. this plugin's
--- defaults (0.10 has no vim.lsp.config to read it for us).
function M.default_config()
  local file = vim.api.nvim_get_runtime_file('lsp/' .. M.name .. '.lua', false)[1]
  if not file then
    return { cmd = M.server_cmd(), filetypes = { 'dlm' }, settings = { dlmSynth = {} } }
  end
  return dofile(file)
end

--- The part of the user's options that is client configuration.
local function overrides(opts)
  local out = {}
  if opts.cmd then
    out.cmd = opts.cmd
  end
  if opts.cmd_env then
    out.cmd_env = opts.cmd_env
  end
  if opts.settings then
    -- accept both the bare dlmSynth table and { dlmSynth = … }
    out.settings = opts.settings.dlmSynth and opts.settings or { dlmSynth = opts.settings }
  end
  if opts.on_attach then
    out.on_attach = opts.on_attach
  end
  return out
end

--- Configure the client. Optional: without it the defaults of lsp/dlm_synth.lua
--- apply (and on 0.11+ `vim.lsp.config('dlm_synth', …)` works just as well).
---@param opts? {cmd?: string[], cmd_env?: table, settings?: table, on_attach?: function, progress?: boolean, codelens?: boolean, autostart?: boolean}
function M.setup(opts)
  opts = opts or {}
  local spec = {
    cmd = { 'table', 'function' },
    cmd_env = 'table',
    settings = 'table',
    on_attach = 'function',
    progress = 'boolean',
    codelens = 'boolean',
    autostart = 'boolean',
  }
  for key, expected in pairs(spec) do
    -- the table form of vim.validate is deprecated on 0.11 and the only form on 0.10
    if has_011 then
      vim.validate('opts.' .. key, opts[key], expected, true)
    else
      vim.validate({ ['opts.' .. key] = { opts[key], expected, true } })
    end
  end
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts)
  if has_011 then
    -- vim.lsp.config merges into lsp/dlm_synth.lua and invalidates the resolved
    -- config, so calling setup() after plugin/ already enabled the client is fine.
    vim.lsp.config(M.name, overrides(opts))
    vim.lsp.enable(M.name, M.options.autostart)
  end
end

--- Start (or reuse) the client for a buffer the 0.10 way. On 0.11+ vim.lsp.enable
--- does this, so plugin/ only calls it on older versions.
function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local config = vim.tbl_deep_extend('force', M.default_config(), overrides(M.options))
  -- a list is a value, not something to merge index by index
  config.cmd = M.options.cmd or config.cmd
  config.name = M.name
  if config.root_markers and vim.fs.root then
    config.root_dir = vim.fs.root(bufnr, config.root_markers)
  end
  config.root_markers = nil
  config.filetypes = nil
  -- vim.lsp.start reuses a running client with the same name and root_dir
  return vim.lsp.start(config, { bufnr = bufnr })
end

--- The command the client would run (0.11: the resolved vim.lsp.config).
function M.configured_cmd()
  if has_011 then
    local config = vim.lsp.config[M.name]
    return config and config.cmd
  end
  return M.options.cmd or M.default_config().cmd
end

local told_not_found = false

--- Once per session: a `dlm` buffer whose server cannot start says why (0.11's
--- vim.lsp.enable skips a missing executable silently).
function M.check_startable()
  if told_not_found or not M.options.autostart then
    return
  end
  local cmd = M.configured_cmd()
  if type(cmd) == 'table' and cmd[1] and vim.fn.executable(cmd[1]) == 0 then
    told_not_found = true
    local _, tried = M.server_cmd()
    notify(
      string.format(
        'the language server %s was not found (tried: %s); %s. Details: :checkhealth dlm_synth',
        cmd[1],
        #tried > 0 and table.concat(tried, '; ') or cmd[1],
        M.install_hint
      ),
      vim.log.levels.WARN
    )
  end
end

-- ---------------------------------------------------------------------------
-- talking to the server

--- Our client attached to `bufnr`, or nil after telling the user why not.
function M.client(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
  if not client then
    notify('no dlm_synth language server is attached to this buffer (is it a .dlm file? see :checkhealth dlm_synth)', vim.log.levels.ERROR)
  end
  return client
end

-- the server words every outcome (`result.message`); these are its severities
local levels = {
  info = vim.log.levels.INFO,
  warning = vim.log.levels.WARN,
  error = vim.log.levels.ERROR,
}

-- the follow-ups and details of the last message, per buffer (:DlmSynthActions)
local last = {}

--- The server's message about a command's outcome, as `text, level` (nil when the
--- result has none). When it offers follow-ups or details, the text says where they
--- are (:DlmSynthActions), naming them by title.
function M.result_message(result)
  local message = type(result) == 'table' and result.message or nil
  if type(message) ~= 'table' or type(message.text) ~= 'string' then
    return nil
  end
  local text = message.text
  local offered = {}
  for _, action in ipairs(message.actions or {}) do
    table.insert(offered, action.title)
  end
  if #(message.details or {}) > 0 then
    table.insert(offered, 'details')
  end
  if #offered > 0 then
    text = string.format('%s (:DlmSynthActions: %s)', text, table.concat(offered, ', '))
  end
  return text, levels[message.severity] or vim.log.levels.INFO
end

--- Show the server's message and keep its follow-ups for :DlmSynthActions.
function M.show(bufnr, result)
  local text, level = M.result_message(result)
  if not text then
    return
  end
  last[bufnr] = { actions = result.message.actions or {}, details = result.message.details or {} }
  notify(text, level)
end

-- commands that edit the buffer (their lenses move)
local editing = {
  [M.commands.synthesize] = true,
  [M.commands.synthesize_document] = true,
  [M.commands.revert] = true,
  [M.commands.apply_staged] = true,
  [M.commands.apply_review] = true,
  [M.commands.relink] = true,
}

--- Send one server command and show what comes back: the server's message (or,
--- for `dlm-synth.list`, the quickfix list; for `dlm-synth.review`, the review pick
--- list). `on_result(result)` replaces that. Errors (bad arguments, a refused second
--- job) are always notified. Returns the request id, or nil.
function M.execute(client, bufnr, command, payload, on_result)
  if command == M.commands.list and not on_result then
    return M.list_into_quickfix(client, bufnr, payload)
  end
  if command == M.commands.review and not on_result then
    return M.review_with(client, bufnr, payload)
  end
  local function handler(err, result)
    if err then
      notify(tostring(err.message or err), vim.log.levels.ERROR)
      return
    end
    if editing[command] then
      -- the server answers once the edit has reached it: the lenses moved
      M.refresh_codelens(bufnr)
    end
    if on_result then
      on_result(result or {})
      return
    end
    M.show(bufnr, result)
  end
  local ok, id = request(client, 'workspace/executeCommand', { command = command, arguments = { payload } }, handler, bufnr)
  if not ok then
    notify('the language server is not running', vim.log.levels.ERROR)
    return nil
  end
  return id
end

--- Run one follow-up action of a message: a server command goes through M.execute
--- (so "Review N pairs…" fills the quickfix list after an insertion, or opens the
--- review pick list for a job awaiting review), a client command is carried out here.
function M.run_action(client, bufnr, action)
  local argument = action.arguments and action.arguments[1] or vim.empty_dict()
  if action.command == M.client_commands.remember_settings then
    local values = argument.settings or {}
    local kept = {}
    client.settings.dlmSynth = client.settings.dlmSynth or {}
    for key, value in pairs(values) do
      client.settings.dlmSynth[key] = value
      table.insert(kept, string.format('%s = %s', key, vim.inspect(value)))
    end
    table.sort(kept)
    client_notify(client, 'workspace/didChangeConfiguration', { settings = vim.NIL })
    notify(string.format('using %s for this session; to keep it, add it to settings.dlmSynth in your config (:help dlm-synth-settings)', table.concat(kept, ', ')))
    return
  end
  if action.command == M.client_commands.open_setting then
    notify(string.format('the setting is dlmSynth.%s: set it in settings.dlmSynth of your config (:help dlm-synth-settings)', tostring(argument.setting)))
    pcall(vim.cmd.help, 'dlm-synth-settings')
    return
  end
  return M.execute(client, bufnr, action.command, argument)
end

--- The details of the last message (rejected pairs, each naming its section by
--- title and line) in a scratch window.
function M.show_details(lines)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  pcall(vim.api.nvim_buf_set_name, buf, 'dlm-synth://details')
  return buf
end

--- :DlmSynthActions [{title}]: run a follow-up of the last message for this buffer
--- (the one whose title starts with {title}), or pick one.
function M.actions(cmd_opts)
  cmd_opts = cmd_opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local held = last[bufnr]
  if not held or (#held.actions == 0 and #held.details == 0) then
    notify('the last message for this buffer offered nothing to do')
    return
  end
  local choices = vim.deepcopy(held.actions)
  if #held.details > 0 then
    table.insert(choices, { title = 'details' })
  end
  local function run(choice)
    if not choice then
      return
    end
    if choice.title == 'details' and not choice.command then
      M.show_details(held.details)
      return
    end
    local client = M.client(bufnr)
    if client then
      M.run_action(client, bufnr, choice)
    end
  end
  local wanted = cmd_opts.args and vim.trim(cmd_opts.args) or ''
  if wanted ~= '' then
    for _, choice in ipairs(choices) do
      if vim.startswith(choice.title:lower(), wanted:lower()) then
        return run(choice)
      end
    end
    notify(string.format('no follow-up %q; offered: %s', wanted, table.concat(vim.tbl_map(function(c)
      return c.title
    end, choices), ', ')), vim.log.levels.WARN)
    return
  end
  vim.ui.select(choices, {
    prompt = M.prefix .. 'follow-up',
    format_item = function(choice)
      return choice.title
    end,
  }, run)
end

function M.complete_actions(lead)
  local held = last[vim.api.nvim_get_current_buf()]
  local titles = {}
  for _, action in ipairs(held and held.actions or {}) do
    table.insert(titles, action.title)
  end
  if held and #held.details > 0 then
    table.insert(titles, 'details')
  end
  return vim.tbl_filter(function(t)
    return vim.startswith(t:lower(), (lead or ''):lower())
  end, titles)
end

-- ---------------------------------------------------------------------------
-- the server's own messages and questions (handlers in lsp/dlm_synth.lua)

local message_levels = { [1] = vim.log.levels.ERROR, [2] = vim.log.levels.WARN, [3] = vim.log.levels.INFO, [4] = vim.log.levels.DEBUG }

--- `window/showMessage` behind the common prefix (not Neovim's `LSP[dlm_synth]`).
function M.on_show_message(_, params)
  if type(params) == 'table' and type(params.message) == 'string' then
    local level = message_levels[params.type] or vim.log.levels.INFO
    if level ~= vim.log.levels.DEBUG then
      notify(params.message, level)
    end
  end
  return vim.NIL
end

--- `window/showMessageRequest`: the server's question as a vim.ui.select; a choice
--- that `remember`s settings applies them to the client for this session (and says
--- how to keep them).
function M.on_show_message_request(_, params, ctx)
  local actions = params.actions or {}
  local co, is_main = coroutine.running()
  if not co or is_main then
    return vim.NIL
  end
  vim.ui.select(actions, {
    prompt = M.prefix .. params.message .. ': ',
    format_item = function(action)
      return action.title
    end,
  }, function(choice)
    vim.schedule(function()
      if choice and type(choice.remember) == 'table' then
        local client = vim.lsp.get_client_by_id(ctx.client_id)
        if client then
          M.run_action(client, 0, { command = M.client_commands.remember_settings, arguments = { { settings = choice.remember } } })
        end
      end
      coroutine.resume(co, choice and { title = choice.title } or vim.NIL)
    end)
  end)
  return coroutine.yield()
end

-- ---------------------------------------------------------------------------
-- positions

--- Byte column `col` (0-based) of buffer line `row` (0-based) in the client's units.
local function to_character(bufnr, row, col, encoding)
  return vim.lsp.util.character_offset(bufnr, row, col, encoding)
end

local function line_length(bufnr, row)
  return #(vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or '')
end

--- The LSP range a command acts on, in the client's offset encoding (utf-8 on 0.11,
--- utf-16 on older versions; never assume which).
---  * no range: an empty range at the cursor (the server takes the section there)
---  * a charwise visual selection: exactly the selected characters
---  * a line range (`:'<,'>` after V, or `:10,20`): whole lines
function M.command_range(bufnr, encoding, cmd_opts)
  cmd_opts = cmd_opts or {}
  if not cmd_opts.range or cmd_opts.range == 0 then
    local row, col = unpack(vim.api.nvim_win_get_cursor(0))
    local character = to_character(bufnr, row - 1, col, encoding)
    local pos = { line = row - 1, character = character }
    return { start = pos, ['end'] = pos }
  end
  local first, last_row = cmd_opts.line1 - 1, cmd_opts.line2 - 1
  local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
  local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
  local charwise = vim.fn.visualmode() == 'v' and vstart[1] - 1 == first and vend[1] - 1 == last_row
  if charwise then
    local line = vim.api.nvim_buf_get_lines(bufnr, last_row, last_row + 1, false)[1] or ''
    local stop = vend[2]
    if vim.o.selection ~= 'exclusive' and stop < #line then
      -- '> points at the first byte of the last selected character; the LSP end
      -- is exclusive, so step over that whole (possibly multibyte) character
      stop = stop + 1 + vim.str_utf_end(line, stop + 1)
    end
    stop = math.min(stop, #line)
    return {
      start = { line = first, character = to_character(bufnr, first, vstart[2], encoding) },
      ['end'] = { line = last_row, character = to_character(bufnr, last_row, stop, encoding) },
    }
  end
  return {
    start = { line = first, character = 0 },
    ['end'] = { line = last_row, character = to_character(bufnr, last_row, line_length(bufnr, last_row), encoding) },
  }
end

local function strategy_arg(fargs)
  local strategy = fargs and fargs[1]
  if strategy and not vim.list_contains(M.strategies, strategy) then
    notify(string.format('unknown strategy %q (use %s)', strategy, table.concat(M.strategies, ', ')), vim.log.levels.ERROR)
    return false
  end
  return strategy
end

-- ---------------------------------------------------------------------------
-- the user commands (also usable from Lua: require('dlm_synth').synthesize())

--- :[range]DlmSynth [strategy]
function M.synthesize(cmd_opts)
  cmd_opts = cmd_opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  local strategy = strategy_arg(cmd_opts.fargs)
  if not client or strategy == false then
    return
  end
  local payload = {
    uri = vim.uri_from_bufnr(bufnr),
    range = M.command_range(bufnr, client.offset_encoding, cmd_opts),
    strategy = strategy or nil,
  }
  return M.execute(client, bufnr, M.commands.synthesize, payload)
end

--- :DlmSynthDocument [strategy]
function M.synthesize_document(cmd_opts)
  cmd_opts = cmd_opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  local strategy = strategy_arg(cmd_opts.fargs)
  if not client or strategy == false then
    return
  end
  return M.execute(client, bufnr, M.commands.synthesize_document, { uri = vim.uri_from_bufnr(bufnr), strategy = strategy or nil })
end

--- :DlmSynthRevert             the synthesized section at the cursor, or the pairs of
---                             the prose section at the cursor
--- :DlmSynthRevert!            every synthesized section in the buffer
--- :DlmSynthRevert {sectionId} that section
function M.revert(cmd_opts)
  cmd_opts = cmd_opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  local uri = vim.uri_from_bufnr(bufnr)
  local id = cmd_opts.fargs and cmd_opts.fargs[1]
  if id then
    return M.execute(client, bufnr, M.commands.revert, { uri = uri, sectionId = id })
  end
  if cmd_opts.bang then
    return M.execute(client, bufnr, M.commands.revert, { uri = uri })
  end
  -- the server finds what is at the cursor (by position, in the current version)
  local range = M.command_range(bufnr, client.offset_encoding, { range = 0 })
  return M.execute(client, bufnr, M.commands.revert, { uri = uri, range = range })
end

local function describe_entry(entry)
  return string.format('%s  [%s, %s]', entry.question or '?', entry.strategy or '?', entry.teacher or '?')
end

--- Quickfix items for a `dlm-synth.list` result: applied sections at their fence
--- line, staged pairs as position-less (invalid) items so they are listed but
--- cannot be jumped to.
function M.quickfix_items(bufnr, result, encoding)
  local uri = vim.uri_from_bufnr(bufnr)
  local items = {}
  for _, entry in ipairs(result.applied or {}) do
    -- locations_to_items converts the server's units to byte columns for us
    local item = vim.lsp.util.locations_to_items({ { uri = uri, range = entry.range } }, encoding)[1]
    item.text = describe_entry(entry)
    item.type = 'I'
    table.insert(items, item)
  end
  for _, entry in ipairs(result.staged or {}) do
    table.insert(items, {
      bufnr = bufnr,
      valid = 0,
      text = '(staged) ' .. describe_entry(entry),
    })
  end
  return items
end

--- `dlm-synth.list` (all of the buffer, one source's pairs from a code lens, or a
--- job's insertions from Review) into the quickfix list.
function M.list_into_quickfix(client, bufnr, payload)
  return M.execute(client, bufnr, M.commands.list, payload, function(result)
    local items = M.quickfix_items(bufnr, result, client.offset_encoding)
    vim.fn.setqflist({}, ' ', { title = 'dlm-synth: synthesized instructions', items = items })
    if #items == 0 then
      notify('no synthesized or staged instructions here')
      return
    end
    vim.cmd('botright copen')
  end)
end

--- :DlmSynthList
function M.list()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  return M.list_into_quickfix(client, bufnr, { uri = vim.uri_from_bufnr(bufnr) })
end

--- :DlmSynthCancel   jobs for this buffer;  :DlmSynthCancel!  every job
function M.cancel(cmd_opts)
  cmd_opts = cmd_opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  -- dlm-synth.cancel (rather than $/cancelRequest) lets the running synthesize
  -- request answer with status "cancelled", so its own message still arrives.
  local payload = cmd_opts.bang and vim.empty_dict() or { uri = vim.uri_from_bufnr(bufnr) }
  return M.execute(client, bufnr, M.commands.cancel, payload)
end

--- :DlmSynthApplyStaged
function M.apply_staged()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  return M.execute(client, bufnr, M.commands.apply_staged, { uri = vim.uri_from_bufnr(bufnr) })
end

-- ---------------------------------------------------------------------------
-- reviewing the pairs of an `applyMode = 'preview'` job

local function shorten(text, limit)
  text = (text or ''):gsub('%s+', ' ')
  if vim.fn.strchars(text) <= limit then
    return text
  end
  return vim.fn.strcharpart(text, 0, limit - 1) .. '…'
end

--- Where a pair would land, as the server says now.
local function landing(pair)
  if type(pair.sourceRange) ~= 'table' then
    return 'its source is gone: it would be staged'
  end
  return string.format('after “%s”, line %d', pair.sourceTitle or '?', pair.sourceRange.start.line + 1)
end

--- The items of one round of the review pick list: the pairs (picking one keeps or
--- drops it), then the decisions.
function M.review_items(pairs, kept)
  local items = {}
  local count = 0
  for _, pair in ipairs(pairs) do
    table.insert(items, { pair = pair })
    if kept[pair.index] then
      count = count + 1
    end
  end
  table.insert(items, { decision = 'keep', text = string.format('Insert the kept pairs (%d of %d)', count, #pairs) })
  table.insert(items, { decision = 'stage', text = 'Stage them all instead (insert nothing)' })
  table.insert(items, { decision = 'discard', text = 'Discard them all' })
  return items
end

function M.format_review_item(item, kept)
  if item.pair then
    local pair = item.pair
    return string.format('%s %s — %s  (%s)', kept[pair.index] and '[x]' or '[ ]', shorten(pair.question, 60), shorten(pair.answer, 60), landing(pair))
  end
  return item.text
end

--- The pick-list rounds of one review: every pair kept at first; picking a pair
--- toggles it; a decision ends the review (`on_decision(payload)`); closing the list
--- (<Esc>) decides nothing: nothing is inserted or staged and the review waits.
function M.review_rounds(pairs, on_decision, on_closed)
  local kept = {}
  for _, pair in ipairs(pairs) do
    kept[pair.index] = true
  end
  local function round()
    local items = M.review_items(pairs, kept)
    vim.ui.select(items, {
      prompt = string.format('dlm-synth: review %d synthesized pair(s) — pick a pair to keep/drop it', #pairs),
      format_item = function(item)
        return M.format_review_item(item, kept)
      end,
      kind = 'dlm_synth_review',
    }, function(choice)
      if choice == nil then
        on_closed()
      elseif choice.pair then
        kept[choice.pair.index] = not kept[choice.pair.index]
        round()
      elseif choice.decision == 'keep' then
        local keep = {}
        for _, pair in ipairs(pairs) do
          if kept[pair.index] then
            table.insert(keep, pair.index)
          end
        end
        -- an empty keep is the default: omitted (an empty Lua table would be sent as {})
        on_decision(#keep > 0 and { keep = keep } or {})
      elseif choice.decision == 'stage' then
        on_decision({ stage = true })
      else
        on_decision({})
      end
    end)
  end
  round()
end

--- :DlmSynthReview   keep or drop each pair of the latest preview-mode synthesis.
--- The result notification offers the same as "Review N pairs…" (:DlmSynthActions).
function M.review()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  return M.review_with(client, bufnr, { uri = vim.uri_from_bufnr(bufnr) })
end

--- The review `payload` names (`{uri, reviewId?}`), in the pick list; the decision
--- is sent as `dlm-synth.applyReview` and its outcome shown like any other.
function M.review_with(client, bufnr, payload)
  local uri = payload.uri
  return M.execute(client, bufnr, M.commands.review, payload, function(result)
    local pairs = result.pairs or {}
    M.review_rounds(pairs, function(decision)
      local decided = vim.tbl_extend('force', { uri = uri, reviewId = result.reviewId }, decision)
      M.execute(client, bufnr, M.commands.apply_review, decided)
    end, function()
      notify(string.format('review closed: nothing inserted or staged from the %d pair(s); :DlmSynthReview reopens it', #pairs))
    end)
  end)
end

-- ---------------------------------------------------------------------------
-- wiring (called from plugin/dlm_synth.lua)

--- Route the server commands that code actions and code lenses carry through
--- M.execute, so they report like the user commands (Neovim otherwise drops a
--- command's result silently) and "N synthesized pairs" fills the quickfix list.
function M.route_commands(client)
  local routed = {
    M.commands.synthesize,
    M.commands.synthesize_document,
    M.commands.revert,
    M.commands.apply_staged,
    M.commands.list,
    M.commands.relink,
    M.commands.review,
    M.commands.apply_review,
  }
  for _, id in ipairs(routed) do
    client.commands[id] = client.commands[id]
      or function(command, ctx)
        M.execute(client, ctx.bufnr, command.command, command.arguments and command.arguments[1])
      end
  end
end

--- Ask for the code lenses of `bufnr` again (pending changes go out first).
function M.refresh_codelens(bufnr)
  if M.options.codelens and vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_buf_is_loaded(bufnr) then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  end
end

--- Keep the code lenses of `bufnr` current: on attach, entering the buffer, leaving
--- insert mode, after changes, and after our commands edit it (M.execute).
function M.enable_codelens(bufnr)
  if not M.options.codelens then
    return
  end
  local group = vim.api.nvim_create_augroup('dlm_synth_codelens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'TextChanged', 'CursorHold' }, {
    group = group,
    buffer = bufnr,
    desc = 'dlm-synth: refresh code lenses',
    callback = function()
      M.refresh_codelens(bufnr)
    end,
  })
  M.refresh_codelens(bufnr)
end

-- the running progress of each "client:token": its title
local progress_titles = {}

--- The progress line: replaced in place (not kept in :messages), cut to fit the
--- command line so it never asks for Enter.
function M.echo_progress(text)
  local room = math.max(20, (vim.v.echospace or vim.o.columns) - 1)
  if vim.fn.strdisplaywidth(text) > room then
    text = vim.fn.strcharpart(text, 0, room - 1) .. '…'
  end
  vim.api.nvim_echo({ { text } }, false, {})
end

--- LspProgress autocmd callback: the server's work-done progress as one replacing
--- line; the outcome itself is the result's message, shown once when it arrives.
function M.on_progress(ev)
  if not M.options.progress then
    return
  end
  local data = ev.data or {}
  local client = data.client_id and vim.lsp.get_client_by_id(data.client_id)
  if not client or client.name ~= M.name then
    return
  end
  local params = data.params or data.result -- 0.10.0 named it `result`
  local value = params and params.value
  if type(value) ~= 'table' then
    return
  end
  local key = data.client_id .. ':' .. tostring(params.token)
  if value.kind == 'begin' then
    progress_titles[key] = value.title
  elseif value.kind == 'end' then
    progress_titles[key] = nil
    M.echo_progress('')
    return
  end
  local text = M.prefix .. (progress_titles[key] or 'working')
  if value.message and value.message ~= '' then
    text = text .. ': ' .. value.message
  end
  if value.percentage and value.percentage > 0 then
    text = string.format('%s (%d%%)', text, value.percentage)
  end
  M.echo_progress(text)
end

-- ---------------------------------------------------------------------------
-- semantic highlighting

--- Highlight groups for what the server marks beyond LSP's standard token types and
--- modifiers. Neovim (0.10+) highlights semantic tokens as soon as the server offers
--- them and links the standard types itself (`@lsp.type.keyword` → `@keyword`, …);
--- only our own modifier needs a default. It sets no colour, so a synthesized
--- section keeps each token's colour and reads in italics. Defined with
--- `default = true`: a colour scheme or the user's own `:highlight` wins.
M.highlights = {
  ['@lsp.mod.synthesized'] = { italic = true },
}

function M.define_highlights()
  for group, spec in pairs(M.highlights) do
    vim.api.nvim_set_hl(0, group, vim.tbl_extend('force', spec, { default = true }))
  end
end

--- Define the user commands (global, acting on the current buffer).
function M.create_user_commands()
  local function complete_strategy(lead)
    return vim.tbl_filter(function(s)
      return vim.startswith(s, lead)
    end, M.strategies)
  end
  local create = vim.api.nvim_create_user_command
  create('DlmSynth', M.synthesize, {
    range = true,
    nargs = '?',
    complete = complete_strategy,
    desc = 'dlm-synth: synthesize instructions for the section at the cursor or the selection',
  })
  create('DlmSynthDocument', M.synthesize_document, {
    nargs = '?',
    complete = complete_strategy,
    desc = 'dlm-synth: synthesize instructions for every prose section',
  })
  create('DlmSynthRevert', M.revert, {
    bang = true,
    nargs = '?',
    desc = 'dlm-synth: remove the synthesized pairs at the cursor (! = all of the buffer)',
  })
  create('DlmSynthList', M.list, { desc = 'dlm-synth: list synthesized and staged instructions in the quickfix list' })
  create('DlmSynthCancel', M.cancel, { bang = true, desc = 'dlm-synth: cancel synthesis for this buffer (! = all)' })
  create('DlmSynthApplyStaged', M.apply_staged, { desc = 'dlm-synth: insert staged synthesized instructions' })
  create('DlmSynthActions', M.actions, {
    nargs = '?',
    complete = M.complete_actions,
    desc = 'dlm-synth: a follow-up of the last message (Review, Undo, details…)',
  })
  create('DlmSynthReview', M.review, { desc = 'dlm-synth: keep or drop each pair of the last preview-mode synthesis' })
end

return M
