-- Headless end-to-end run of the Neovim plugin against the real language server and
-- a fake teacher. Driven by tests/editors/test_neovim.py:
--
--   nvim --headless --clean -u NONE -l tests/editors/nvim/e2e.lua
--
-- Inputs (environment): DLM_NVIM_PLUGIN (plugin dir), DLM_NVIM_SERVER_CMD (JSON
-- array), DLM_NVIM_TEACHER / DLM_NVIM_HANG_TEACHER (teacher specs: a working fake and
-- one that never answers), DLM_NVIM_DOC (.dlm file), DLM_NVIM_HOME (dlm home),
-- DLM_NVIM_SYNC (a directory for handshake files with the pytest side),
-- DLM_NVIM_RESULT (JSON result file), DLM_NVIM_CAPTURE (text capture file).
--
-- Every wait has its own timeout and a watchdog ends the run, so a hang becomes a
-- failure with the name of the step that hung rather than a stuck CI job.

local env = vim.env
local uv = vim.uv or vim.loop

local started = uv.hrtime()
local function elapsed()
  return (uv.hrtime() - started) / 1e9
end

local result = { ok = false, steps = {}, notifications = {} }
local capture = {}
local current_step = 'start'

local function write_file(path, text)
  local file = assert(io.open(path, 'w'))
  file:write(text)
  file:close()
end

local function finish(ok, err)
  result.ok = ok
  result.error = err
  result.failed_step = not ok and current_step or nil
  result.seconds = elapsed()
  write_file(env.DLM_NVIM_RESULT, vim.json.encode(result))
  if env.DLM_NVIM_CAPTURE and env.DLM_NVIM_CAPTURE ~= '' then
    write_file(env.DLM_NVIM_CAPTURE, table.concat(capture, '\n') .. '\n')
  end
  if not ok then
    io.stderr:write(string.format('e2e.lua FAILED in step %q: %s\n', current_step, tostring(err)))
  end
  -- the server exits on stdin EOF, which os.exit gives it
  os.exit(ok and 0 or 1)
end

local function step(name)
  current_step = name
  table.insert(result.steps, { name = name, at = elapsed() })
end

local function check(cond, message)
  if not cond then
    error(message, 2)
  end
end

local function wait(ms, cond, what)
  if not vim.wait(ms, cond, 20) then
    error('timed out after ' .. ms .. ' ms waiting for ' .. what, 2)
  end
end

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

-- capture: an asciinema-style text log, with times relative to the start
local function log(text)
  for _, line in ipairs(vim.split(text, '\n', { plain = true })) do
    table.insert(capture, line)
  end
end
local function log_event(kind, text)
  log(string.format('[%5.2fs] %-8s %s', elapsed(), kind, text))
end
local function log_buffer(title, lines, first, last)
  log('')
  log('── ' .. title .. ' ' .. string.rep('─', math.max(3, 70 - #title)))
  first, last = first or 1, last or #lines
  for i = first, last do
    log(string.format('%4d │ %s', i, lines[i]))
  end
  log(string.rep('─', 74))
end

-- Record notifications (the plugin's results and progress) and showMessage lines.
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(result.notifications, { msg = msg, level = level })
  log_event('notify', msg)
  return notify(msg, level, opts)
end
-- Record what is echoed without history (the progress line).
local echo = vim.api.nvim_echo
result.progress_lines = {}
vim.api.nvim_echo = function(chunks, history, opts)
  if not history then
    local text = table.concat(vim.tbl_map(function(c)
      return c[1]
    end, chunks))
    table.insert(result.progress_lines, text)
    if text ~= '' then
      log_event('echo', text)
    end
  end
  return echo(chunks, history, opts)
end
local function notified(pattern, from)
  for i = from or 1, #result.notifications do
    if result.notifications[i].msg:find(pattern) then
      return result.notifications[i].msg
    end
  end
end

-- runs "Synthesize instructions for this section" at the cursor and waits for its
-- result notification (one after the first `from` notifications)
local function synthesize_here(from, what)
  vim.lsp.buf.code_action({
    apply = true,
    context = { only = { 'refactor.rewrite' }, diagnostics = {} },
    filter = function(action)
      return action.title == 'Synthesize instructions for this section'
    end,
  })
  wait(20000, function()
    return notified('Inserted %d+ synthesized pair', from) ~= nil
  end, what)
end

-- watchdog: a run that somehow never returns from a wait still ends
vim.defer_fn(function()
  finish(false, 'watchdog: the whole run took longer than 75 s')
end, 75000)

local function main()
  step('load plugin')
  vim.opt.runtimepath:prepend(env.DLM_NVIM_PLUGIN)
  -- what a plugin manager does at startup: source ftdetect/ and plugin/
  vim.cmd('runtime! ftdetect/dlm.lua')
  vim.cmd('runtime! plugin/dlm_synth.lua')
  local dlm_synth = require('dlm_synth')
  check(vim.fn.exists(':DlmSynth') == 2, ':DlmSynth was not defined')

  -- Settings change the way a user changes them: edit client.settings and notify.
  -- The server then pulls them (workspace/configuration); wait for that answer
  -- instead of sleeping, so a slow CI machine cannot run the next step on old ones.
  local configuration = vim.lsp.handlers['workspace/configuration']
  local pulls = 0
  vim.lsp.handlers['workspace/configuration'] = function(...)
    pulls = pulls + 1
    return configuration(...)
  end
  local function reconfigure(client, key, value)
    local before = pulls
    client.settings.dlmSynth[key] = value
    client:notify('workspace/didChangeConfiguration', { settings = vim.NIL })
    wait(5000, function()
      return pulls > before
    end, 'the server to pull the new settings')
    vim.wait(100) -- the server applies them right after our answer
  end

  local settings = {
    teacher = env.DLM_NVIM_TEACHER,
    filter = 'dedup-only',
    useCache = false,
    perSection = 2,
    dlmHome = env.DLM_NVIM_HOME,
  }
  dlm_synth.setup({ cmd = vim.json.decode(env.DLM_NVIM_SERVER_CMD), settings = settings })

  step('open document')
  vim.cmd.edit(vim.fn.fnameescape(env.DLM_NVIM_DOC))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'dlm', 'filetype is ' .. vim.bo[buf].filetype .. ', not dlm')
  local original = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function lines()
    return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  end
  local function text()
    return table.concat(lines(), '\n')
  end
  local client
  wait(20000, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'dlm_synth' })[1]
    return client ~= nil and client.initialized
  end, 'the dlm_synth client to attach and initialize')
  result.offset_encoding = client.offset_encoding
  log('$ nvim ' .. vim.fn.fnamemodify(env.DLM_NVIM_DOC, ':t') .. '    # Neovim ' .. string.format('%d.%d.%d', vim.version().major, vim.version().minor, vim.version().patch) .. ', dlm-synth plugin, server ' .. (client.server_info and client.server_info.name or '?') .. ' (teacher: a local fake)')
  log_event('lsp', 'dlm_synth attached (position encoding ' .. client.offset_encoding .. ')')

  step('diagnostics')
  wait(10000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 'diagnostics for the misspelled fence')
  local diagnostics = vim.diagnostic.get(buf)
  result.diagnostics = vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, message = d.message, severity = d.severity }
  end, diagnostics)
  for _, d in ipairs(diagnostics) do
    log_event('diag', string.format('line %d: %s %s', d.lnum + 1, tostring(d.code), d.message))
  end
  log_buffer('buffer before', original)

  step('code action menu')
  -- the cursor in the first prose section, as a user would put it
  local prose_row
  for i, line in ipairs(original) do
    if line:find('^Tiled loops') then
      prose_row = i
    end
  end
  check(prose_row, 'test document lacks the first prose section')
  vim.api.nvim_win_set_cursor(0, { prose_row, 3 })
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, only = { 'refactor.rewrite' } }
  local answers = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 5000) or {}
  local titles = {}
  for _, answer in pairs(answers) do
    for _, action in ipairs(answer.result or {}) do
      table.insert(titles, action.title)
    end
  end
  result.code_actions = titles
  log('')
  log(string.format(':lua vim.lsp.buf.code_action()        " cursor on line %d', prose_row))
  log('Code actions:')
  for i, title in ipairs(titles) do
    log(string.format('  %d: %s', i, title))
  end
  log('Type number and <Enter>: 1' .. ' ' .. '→ "Synthesize instructions for this section"')
  check(vim.list_contains(titles, 'Synthesize instructions for this section'), 'no synthesize action offered')

  step('synthesize via code action')
  local before_notes = #result.notifications + 1
  synthesize_here(before_notes, 'the synthesize result notification')
  local after = lines()
  result.after_synthesize = table.concat(after, '\n')
  -- the inserted block: it starts at the fence above the first marker, everything
  -- before it is untouched and the original text continues right after it
  local inserted = #after - #original
  check(inserted > 0, 'nothing was inserted')
  local first_diff
  for i, line in ipairs(after) do
    if line:find('^<!%-%- dlm%-auto%-synth') then
      first_diff = i - 1
      break
    end
  end
  check(first_diff, 'no dlm-auto-synth marker in the buffer')
  check(after[first_diff] == '::instruction::', 'the marker does not follow a fence: ' .. tostring(after[first_diff]))
  for i = 1, #original do
    local j = i < first_diff and i or i + inserted
    check(after[j] == original[i], 'original line ' .. i .. ' changed or moved wrongly')
  end
  -- right after the source: the next original line is the section that followed it
  check(original[first_diff] == '::instruction::' and original[first_diff + 1] == '### Q', 'the block was not inserted right after the source section')
  result.inserted_at = first_diff
  result.inserted_lines = inserted
  log_buffer('buffer after', after, math.max(1, first_diff - 4), first_diff + inserted + 1)

  step('one progress line, one message')
  -- the progress went to the replacing line (no history), the outcome once to :messages
  local ours = vim.tbl_filter(function(line)
    return line:find('dlm%-synth') ~= nil
  end, vim.split(vim.fn.execute('messages'), '\n'))
  result.messages_after_synth = ours
  check(#ours == 1 and ours[1]:find('Inserted 2 synthesized pairs for “Cache blocking” %(line %d+%)'), ':messages: ' .. vim.inspect(ours))
  check(ours[1]:find('%(:DlmSynthActions: Review 2 pairs…, Undo%)'), 'the follow-ups are not named: ' .. ours[1])
  local steps = vim.tbl_filter(function(line)
    return line ~= ''
  end, result.progress_lines)
  local per_section = vim.tbl_filter(function(line)
    return line:find('^dlm%-synth: Synthesizing instructions: “Cache blocking” %(extraction') ~= nil
  end, steps)
  check(#per_section == 1, 'no per-section progress line: ' .. vim.inspect(steps))
  for _, line in ipairs(steps) do
    -- cut to fit: a longer line would ask for Enter
    check(vim.fn.strdisplaywidth(line) < vim.o.columns, 'a progress line wider than the screen: ' .. line)
  end
  check(result.progress_lines[#result.progress_lines] == '', 'the progress line was not cleared at the end')

  step('code lenses without a refresh')
  wait(10000, function()
    for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
      if lens.command and lens.command.title == '2 synthesized pairs' then
        return true
      end
    end
    return false
  end, 'the "2 synthesized pairs" lens to show up by itself')
  local lens_row
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    if lens.command and lens.command.title == '2 synthesized pairs' then
      lens_row = lens.range.start.line
    end
  end
  log('')
  log(string.format(':lua vim.lsp.codelens.run()   " on line %d: "Synthesize instructions | 2 synthesized pairs"', lens_row + 1))
  local ui_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      if title:find('synthesized pairs') then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { lens_row + 1, 0 })
  local lens_qf = vim.fn.getqflist({ id = 0 }).id
  vim.lsp.codelens.run()
  wait(5000, function()
    return vim.fn.getqflist({ id = 0 }).id ~= lens_qf
  end, 'the lens to fill the quickfix list')
  vim.ui.select = ui_select
  result.lens_quickfix = vim.tbl_map(function(item)
    return item.lnum
  end, vim.fn.getqflist())
  for _, item in ipairs(vim.fn.getqflist()) do
    log(string.format('  notes.dlm|%d| %s', item.lnum, item.text))
  end
  vim.cmd('cclose')
  vim.api.nvim_set_current_buf(buf)

  step('review and undo from the message')
  log('')
  log(':DlmSynthActions review')
  local review_qf = vim.fn.getqflist({ id = 0 }).id
  vim.cmd('DlmSynthActions review')
  wait(5000, function()
    return vim.fn.getqflist({ id = 0 }).id ~= review_qf
  end, 'Review to fill the quickfix list')
  result.review_quickfix = vim.tbl_map(function(item)
    return item.lnum
  end, vim.fn.getqflist())
  vim.cmd('cclose')
  vim.api.nvim_set_current_buf(buf)
  log(':DlmSynthActions undo')
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthActions undo')
  wait(5000, function()
    return notified('Removed 2 synthesized sections', before_notes) ~= nil
  end, 'the message of Undo')
  check(text() == table.concat(original, '\n'), 'Undo did not remove exactly what the job inserted')
  -- and again, for the steps below
  before_notes = #result.notifications + 1
  synthesize_here(before_notes, 'the second synthesize result')
  after = lines()

  step('list into quickfix')
  log('')
  log(':DlmSynthList')
  local qf_id = vim.fn.getqflist({ id = 0 }).id
  vim.cmd('DlmSynthList')
  wait(5000, function()
    return vim.fn.getqflist({ id = 0 }).id ~= qf_id
  end, 'the quickfix list')
  local qf = vim.fn.getqflist()
  result.quickfix = vim.tbl_map(function(item)
    return { lnum = item.lnum, col = item.col, valid = item.valid, text = item.text, bufnr = item.bufnr }
  end, qf)
  check(vim.fn.getqflist({ winid = 0 }).winid ~= 0, 'the quickfix window is not open')
  for _, item in ipairs(qf) do
    log(string.format('  %s|%d col %d| %s', vim.fn.fnamemodify(vim.api.nvim_buf_get_name(item.bufnr), ':t'), item.lnum, item.col, item.text))
    check(item.valid == 1 and item.bufnr == buf, 'applied entry is not a valid location in the buffer')
    check(after[item.lnum] == '::instruction::', 'quickfix entry does not point at a fence: line ' .. item.lnum)
  end
  vim.cmd('cclose')
  vim.api.nvim_set_current_buf(buf)

  step('revert all')
  log('')
  log(':DlmSynthRevert!')
  vim.cmd('DlmSynthRevert!')
  wait(5000, function()
    return text() == table.concat(original, '\n')
  end, 'the buffer to return to the original text')

  step('stage, list staged, apply staged, revert one')
  -- applyMode = stage exercises staged entries and :DlmSynthApplyStaged; the new
  -- settings reach the server the normal way (didChangeConfiguration → pull)
  reconfigure(client, 'applyMode', 'stage')
  vim.api.nvim_win_set_cursor(0, { prose_row, 0 })
  before_notes = #result.notifications + 1
  log('')
  log(':DlmSynth extraction        " with applyMode = "stage"')
  vim.cmd('DlmSynth extraction')
  wait(20000, function()
    return notified('synthesized pairs staged in the dlm store.*%(:DlmSynthActions: Apply staged instructions%)', before_notes) ~= nil
  end, 'the staged result')
  check(text() == table.concat(original, '\n'), 'a staged run changed the buffer')
  log(':DlmSynthList')
  qf_id = vim.fn.getqflist({ id = 0 }).id
  vim.cmd('DlmSynthList')
  wait(5000, function()
    return vim.fn.getqflist({ id = 0 }).id ~= qf_id
  end, 'the staged quickfix list')
  local staged_qf = vim.fn.getqflist()
  result.staged_quickfix = vim.tbl_map(function(item)
    return { lnum = item.lnum, valid = item.valid, text = item.text }
  end, staged_qf)
  for _, item in ipairs(staged_qf) do
    log(string.format('  notes.dlm|| %s', item.text))
    check(item.valid == 0 and item.text:find('^%(staged%)'), 'staged entry is not position-less: ' .. vim.inspect(item))
  end
  vim.cmd('cclose')
  vim.api.nvim_set_current_buf(buf)
  reconfigure(client, 'applyMode', 'edit')
  log('')
  log(':DlmSynthApplyStaged')
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthApplyStaged')
  wait(10000, function()
    return notified('Inserted %d+ staged pair', before_notes) ~= nil
  end, 'the applyStaged result')
  local staged_after = lines()
  check(#staged_after > #original, 'applyStaged inserted nothing')
  -- :DlmSynthRevert removes the synthesized section under the cursor, and nothing else
  local sections_before = select(2, text():gsub('dlm%-auto%-synth', ''))
  vim.api.nvim_win_set_cursor(0, { result.inserted_at + 3, 0 })
  log(':DlmSynthRevert             " the synthesized section under the cursor')
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthRevert')
  wait(5000, function()
    return notified('Removed 1 synthesized section', before_notes) ~= nil
  end, 'the result of :DlmSynthRevert in a synthesized section')
  check(select(2, text():gsub('dlm%-auto%-synth', '')) == sections_before - 1, ':DlmSynthRevert did not remove exactly one section')
  -- on the frontmatter: nothing, and the message says where to stand
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthRevert')
  wait(5000, function()
    return notified('The cursor is not in a synthesized section', before_notes) ~= nil
  end, 'the result of :DlmSynthRevert outside any synthesized pairs')
  check(select(2, text():gsub('dlm%-auto%-synth', '')) == sections_before - 1, ':DlmSynthRevert on the frontmatter removed something')
  -- in the prose section: the rest of its pairs
  log(':DlmSynthRevert             " in the prose section: its pairs')
  vim.api.nvim_win_set_cursor(0, { prose_row, 0 })
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthRevert')
  wait(5000, function()
    return notified('Removed %d+ synthesized section', before_notes) ~= nil
  end, 'the result of :DlmSynthRevert in the prose section')
  check(text() == table.concat(original, '\n'), 'the buffer is not the original text after revert')

  step('synthesize a characterwise selection')
  -- "units 😋" … "eight doubles." across three lines of the second prose section:
  -- the teacher must see exactly that text (the pytest side checks the request),
  -- which proves the range went out in the client's units (utf-8 here)
  local heading_row
  for i, line in ipairs(original) do
    if line:find('^# Vector units') then
      heading_row = i
    end
  end
  vim.cmd(string.format('normal! %dG10|v%dG37|\27', heading_row, heading_row + 2))
  log('')
  log(string.format(":'<,'>DlmSynth               \" after v-selecting lines %d-%d: \"units 😋 … eight doubles.\"", heading_row, heading_row + 2))
  before_notes = #result.notifications + 1
  vim.cmd("'<,'>DlmSynth")
  wait(20000, function()
    return notified('Inserted %d+ synthesized pair', before_notes) ~= nil
  end, 'the selection synthesize result')
  local with_selection = lines()
  for i = 1, #original do
    check(with_selection[i] == original[i], 'a selection synthesis changed original line ' .. i)
  end
  -- the section is the last one, so its pairs are appended after the original text
  check(#with_selection > #original, 'the selection synthesis inserted nothing')
  check(table.concat(with_selection, '\n', #original + 1):find('dlm%-auto%-synth'), 'the selection pairs are not after their section')
  result.after_selection = table.concat(with_selection, '\n')
  log_buffer('buffer after (end)', with_selection, #original - 3, math.min(#with_selection, #original + 7))
  before_notes = #result.notifications + 1
  log(':DlmSynthRevert!')
  vim.cmd('DlmSynthRevert!')
  wait(5000, function()
    return notified('Removed %d+ synthesized section', before_notes) ~= nil
  end, 'the result of :DlmSynthRevert!')
  check(text() == table.concat(original, '\n'), 'the buffer is not the original text after revert')

  step('a server message, in the same voice')
  before_notes = #result.notifications + 1
  reconfigure(client, 'perSection', 'x')
  wait(5000, function()
    return notified('^dlm%-synth: Settings: dlmSynth%.perSection: must be a number', before_notes) ~= nil
  end, "the server's settings warning behind the common prefix")
  for _, note in ipairs(result.notifications) do
    check(not note.msg:find('^LSP%['), 'a message in another voice: ' .. note.msg)
  end
  reconfigure(client, 'perSection', 2)

  step('the cold-start question, and keeping the choice')
  -- the sway filter needs a trained adapter this document never had
  reconfigure(client, 'filter', 'sway')
  local asked
  local ui_select_before = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    asked = { prompt = opts.prompt, titles = vim.tbl_map(function(item)
      return opts.format_item(item)
    end, items) }
    for _, item in ipairs(items) do
      if item.title == 'Always use grounded' then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { prose_row, 0 })
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynth')
  wait(20000, function()
    return notified('Inserted %d+ synthesized pair', before_notes) ~= nil
  end, 'the synthesis after the question')
  vim.ui.select = ui_select_before
  result.question = asked
  check(asked and asked.prompt:find('^dlm%-synth: sway judge needs a trained adapter'), 'question: ' .. vim.inspect(asked))
  check(vim.deep_equal(asked.titles, { 'Use grounded', 'Always use grounded', 'Use dedup-only', 'Cancel' }), 'choices: ' .. vim.inspect(asked.titles))
  check(client.settings.dlmSynth.filter == 'grounded', 'the choice was not kept')
  check(notified('using filter = "grounded" for this session', before_notes), 'keeping the choice was not said')
  before_notes = #result.notifications + 1
  vim.cmd('DlmSynthRevert!')
  wait(5000, function()
    return notified('Removed %d+ synthesized section', before_notes) ~= nil
  end, 'the revert after the question')
  check(text() == table.concat(original, '\n'), 'the buffer is not the original text after revert')

  step('cancel')
  reconfigure(client, 'teacher', env.DLM_NVIM_HANG_TEACHER)
  vim.api.nvim_win_set_cursor(0, { prose_row, 0 })
  before_notes = #result.notifications + 1
  log('')
  log(':DlmSynth                   " against a teacher that never answers')
  vim.cmd('DlmSynth')
  -- the pytest side tells us when the hanging teacher has the request in hand
  wait(20000, function()
    return exists(env.DLM_NVIM_SYNC .. '/hang-seen')
  end, 'the teacher request to reach the hanging fake')
  log(':DlmSynthCancel')
  vim.cmd('DlmSynthCancel')
  wait(10000, function()
    return notified('Synthesis cancelled', before_notes) ~= nil
  end, 'the cancelled result')
  result.cancel_notification = notified('Cancelled %d+ synthesis job', before_notes)
  check(result.cancel_notification, 'no "Cancelled 1 synthesis job" notification')
  -- and the fake saw the HTTP request abandoned while Neovim and the server still run
  wait(10000, function()
    return exists(env.DLM_NVIM_SYNC .. '/abandoned')
  end, 'the fake teacher to see the request abandoned')
  -- the cancelled result came after the job ended: an edit would have come before it
  check(text() == table.concat(original, '\n'), 'the buffer changed after a cancelled synthesis')
  result.final_text = text()

  step('done')
  log('')
  log(string.format('# %d notifications, %.1f s in all', #result.notifications, elapsed()))
end

local ok, err = xpcall(main, debug.traceback)
finish(ok, not ok and err or nil)
