-- dlm-synth: Neovim client helpers for the dlm-synth-lsp language server.
--
-- The server does all the work (parsing, synthesis jobs, placing edits); this module
-- only turns editor state (buffer, cursor, visual selection) into the server's
-- `workspace/executeCommand` payloads and turns results and progress back into
-- notifications and the quickfix list. What an outcome means is worded by the
-- server (`result.message`); the plugin shows that text, it composes none. Command ids, payloads and result shapes are
-- the server's public contract, documented in docs/server.md.

local M = {}

--- Client name used by vim.lsp.config/enable and by vim.lsp.start on 0.10; also how
--- we recognise our client among the ones attached to a buffer.
M.name = 'dlm_synth'

--- Server command ids (docs/server.md). They are the server's, not ours: the
--- plugin's user commands have different (Ex) names, so nothing collides.
M.commands = {
  synthesize = 'dlm-synth.synthesize',
  synthesize_document = 'dlm-synth.synthesizeDocument',
  revert = 'dlm-synth.revert',
  list = 'dlm-synth.list',
  cancel = 'dlm-synth.cancel',
  apply_staged = 'dlm-synth.applyStaged',
  review = 'dlm-synth.review',
  apply_review = 'dlm-synth.applyReview',
}

M.strategies = { 'extraction', 'expansion', 'both' }

local defaults = {
  -- nil: keep what lsp/dlm_synth.lua (or the user's vim.lsp.config) says
  cmd = nil,
  cmd_env = nil,
  -- the `dlmSynth` settings table (docs/server.md); `{ dlmSynth = {…} }` works too
  settings = nil,
  on_attach = nil,
  -- notify LspProgress begin/report/end; turn off when a progress UI such as
  -- fidget.nvim already shows `$/progress`
  progress = true,
  -- start the server for `dlm` buffers (vim.lsp.enable on 0.11+, vim.lsp.start on 0.10)
  autostart = true,
}

M.options = vim.deepcopy(defaults)

local has_011 = vim.fn.has('nvim-0.11') == 1

local function notify(message, level)
  vim.notify('dlm-synth: ' .. message, level or vim.log.levels.INFO, { title = 'dlm-synth' })
end

-- Client methods became `client:method()` in 0.11 and the 0.10 closures
-- (`client.request(...)`) are deprecated there, so pick the form per version.
local function request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- ---------------------------------------------------------------------------
-- configuration and startup

--- The table returned by the runtime file `lsp/dlm_synth.lua`, i.e. this plugin's
--- defaults (0.10 has no vim.lsp.config to read it for us).
function M.default_config()
  local file = vim.api.nvim_get_runtime_file('lsp/' .. M.name .. '.lua', false)[1]
  if not file then
    return { cmd = { 'dlm-synth-lsp', '--stdio' }, filetypes = { 'dlm' }, settings = { dlmSynth = {} } }
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
---@param opts? {cmd?: string[], cmd_env?: table, settings?: table, on_attach?: function, progress?: boolean, autostart?: boolean}
function M.setup(opts)
  opts = opts or {}
  local spec = {
    cmd = { 'table', 'function' },
    cmd_env = 'table',
    settings = 'table',
    on_attach = 'function',
    progress = 'boolean',
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

-- ---------------------------------------------------------------------------
-- talking to the server

--- Our client attached to `bufnr`, or nil after telling the user why not.
function M.client(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
  if not client then
    notify('no dlm_synth language server is attached to this buffer (is it a .dlm file? see :checkhealth vim.lsp)', vim.log.levels.ERROR)
  end
  return client
end

-- the server words every outcome (`result.message`); these are its severities
local levels = {
  info = vim.log.levels.INFO,
  warning = vim.log.levels.WARN,
  error = vim.log.levels.ERROR,
}

-- the user commands that run a server command a message offers as an action
local action_commands = {
  [M.commands.apply_staged] = 'DlmSynthApplyStaged',
  [M.commands.review] = 'DlmSynthReview',
}

--- The server's message about a command's outcome, as `text, level` (nil when the
--- result has none). Its follow-up actions are named by the user command that runs
--- them.
function M.result_message(result)
  local message = type(result) == 'table' and result.message or nil
  if type(message) ~= 'table' or type(message.text) ~= 'string' then
    return nil
  end
  local text = message.text
  for _, action in ipairs(message.actions or {}) do
    local ex = action_commands[action.command]
    if ex then
      text = string.format('%s (%s: :%s)', text, action.title, ex)
    end
  end
  return text, levels[message.severity] or vim.log.levels.INFO
end

-- commands whose outcome the server would otherwise also show itself
local quiet_commands = {
  [M.commands.synthesize] = true,
  [M.commands.synthesize_document] = true,
  [M.commands.revert] = true,
  [M.commands.apply_review] = true,
}

--- Send one server command. `on_result(result)` runs on success; without it the
--- server's message about the outcome (`result.message`) is notified. Errors (bad arguments, a refused second
--- job) are always notified. Returns the request id, or nil.
function M.execute(client, bufnr, command, payload, on_result)
  if quiet_commands[command] and type(payload) == 'table' then
    -- the result's message is shown here, so the server need not show it too
    payload = vim.tbl_extend('force', payload, { quiet = true })
  end
  local function handler(err, result)
    if err then
      notify(tostring(err.message or err), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result or {})
      return
    end
    local text, level = M.result_message(result)
    if text then
      notify(text, level)
    end
  end
  local ok, id = request(client, 'workspace/executeCommand', { command = command, arguments = { payload } }, handler, bufnr)
  if not ok then
    notify('the language server is not running', vim.log.levels.ERROR)
    return nil
  end
  return id
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
  local first, last = cmd_opts.line1 - 1, cmd_opts.line2 - 1
  local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
  local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
  local charwise = vim.fn.visualmode() == 'v' and vstart[1] - 1 == first and vend[1] - 1 == last
  if charwise then
    local line = vim.api.nvim_buf_get_lines(bufnr, last, last + 1, false)[1] or ''
    local stop = vend[2]
    if vim.o.selection ~= 'exclusive' and stop < #line then
      -- '> points at the first byte of the last selected character; the LSP end
      -- is exclusive, so step over that whole (possibly multibyte) character
      stop = stop + 1 + vim.str_utf_end(line, stop + 1)
    end
    stop = math.min(stop, #line)
    return {
      start = { line = first, character = to_character(bufnr, first, vstart[2], encoding) },
      ['end'] = { line = last, character = to_character(bufnr, last, stop, encoding) },
    }
  end
  return {
    start = { line = first, character = 0 },
    ['end'] = { line = last, character = to_character(bufnr, last, line_length(bufnr, last), encoding) },
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

--- The applied synthesized section containing buffer row `row` (0-based), if any.
local function entry_at(result, row)
  for _, entry in ipairs(result.applied or {}) do
    local range = entry.range
    if range and range.start.line <= row and row <= range['end'].line then
      return entry
    end
  end
end

--- :DlmSynthRevert            every synthesized section in the buffer
--- :DlmSynthRevert!           only the synthesized section under the cursor
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
  if not cmd_opts.bang then
    return M.execute(client, bufnr, M.commands.revert, { uri = uri })
  end
  -- The server identifies synthesized sections by id, not position; ask it where
  -- they are and pick the one under the cursor, so the ids never live in Lua state
  -- that could go stale while the user edits.
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  return M.execute(client, bufnr, M.commands.list, { uri = uri }, function(result)
    local entry = entry_at(result, row)
    if not entry then
      notify('the cursor is not in a synthesized section', vim.log.levels.WARN)
      return
    end
    M.execute(client, bufnr, M.commands.revert, { uri = uri, sectionId = entry.sectionId })
  end)
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

--- :DlmSynthList
function M.list()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  return M.execute(client, bufnr, M.commands.list, { uri = vim.uri_from_bufnr(bufnr) }, function(result)
    local items = M.quickfix_items(bufnr, result, client.offset_encoding)
    vim.fn.setqflist({}, ' ', { title = 'dlm-synth: synthesized instructions', items = items })
    if #items == 0 then
      notify('no synthesized or staged instructions in this document')
      return
    end
    notify(string.format('%d applied, %d staged', #(result.applied or {}), #(result.staged or {})))
    vim.cmd('botright copen')
  end)
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
  -- request answer with status "cancelled", so its own notification still arrives.
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
--- Only runs when asked: the result notification names this command.
function M.review()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  local uri = vim.uri_from_bufnr(bufnr)
  return M.execute(client, bufnr, M.commands.review, { uri = uri }, function(result)
    local pairs = result.pairs or {}
    M.review_rounds(pairs, function(decision)
      local payload = vim.tbl_extend('force', { uri = uri, reviewId = result.reviewId }, decision)
      M.execute(client, bufnr, M.commands.apply_review, payload)
    end, function()
      notify(string.format('review closed: nothing inserted or staged from the %d pair(s); :DlmSynthReview reopens it', #pairs))
    end)
  end)
end

-- ---------------------------------------------------------------------------
-- wiring (called from plugin/dlm_synth.lua)

--- Route server commands that code actions and code lenses carry through
--- M.execute, so they get the same result notifications as the user commands
--- (Neovim's default executeCommand handler drops results silently).
function M.route_commands(client)
  for _, id in ipairs({ M.commands.synthesize, M.commands.synthesize_document, M.commands.revert, M.commands.apply_staged }) do
    client.commands[id] = client.commands[id]
      or function(command, ctx)
        M.execute(client, ctx.bufnr, command.command, command.arguments and command.arguments[1])
      end
  end
end

-- title of each running progress, by "client:token", to prefix its reports
local progress_titles = {}

--- LspProgress autocmd callback: the server's work-done progress as notifications.
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
  end
  local title = progress_titles[key] or 'working'
  local text = title
  if value.message and value.message ~= '' then
    text = text .. ': ' .. value.message
  end
  if value.kind == 'report' and value.percentage then
    text = string.format('%s (%d%%)', text, value.percentage)
  elseif value.kind == 'end' then
    if not value.message or value.message == '' then
      text = text .. ': done'
    end
    progress_titles[key] = nil
  end
  notify(text)
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
    desc = 'dlm-synth: revert all synthesized instructions (! = the section at the cursor)',
  })
  create('DlmSynthList', M.list, { desc = 'dlm-synth: list synthesized and staged instructions in the quickfix list' })
  create('DlmSynthCancel', M.cancel, { bang = true, desc = 'dlm-synth: cancel synthesis for this buffer (! = all)' })
  create('DlmSynthApplyStaged', M.apply_staged, { desc = 'dlm-synth: insert staged synthesized instructions' })
  create('DlmSynthReview', M.review, { desc = 'dlm-synth: keep or drop each pair of the last preview-mode synthesis' })
end

return M
