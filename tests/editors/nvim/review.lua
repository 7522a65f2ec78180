-- Headless run of the review flow (applyMode = 'preview') of the Neovim plugin,
-- against the real language server and a fake teacher. Driven by
-- tests/editors/test_neovim.py::test_neovim_review_flow:
--
--   nvim --headless --clean -u NONE -l tests/editors/nvim/review.lua
--
-- Inputs (environment): DLM_NVIM_PLUGIN, DLM_NVIM_SERVER_CMD, DLM_NVIM_TEACHER,
-- DLM_NVIM_DOC, DLM_NVIM_HOME, DLM_NVIM_RESULT (see e2e.lua).
--
-- 1. :DlmSynth while the user keeps typing: the result arrives as a notification
--    naming its follow-ups (:DlmSynthActions: Review N pairs…, Insert all, Stage
--    them); no pick list opens, the window, mode and cursor stay.
-- 2. :DlmSynthActions Review (the follow-up): drop the last pair, insert the others.
-- 3. Again (the teacher's repeats of the kept pairs are deduplicated): close the
--    list (<Esc>): nothing inserted or staged; then "Stage them all instead".

local env = vim.env
local uv = vim.uv or vim.loop
local h = dofile(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)) .. '/harness.lua')
  .new('review.lua', env.DLM_NVIM_RESULT, 75000)
local result, check, wait = h.result, h.check, h.wait
result.notifications, result.selects = {}, {}

vim.notify = function(msg)
  table.insert(result.notifications, msg)
end
local function notified(pattern, from)
  for i = from or 1, #result.notifications do
    if result.notifications[i]:find(pattern) then
      return result.notifications[i]
    end
  end
end

-- the pick list is scripted: each call takes the next answer (a function of the items)
local answers = {}
local typing = false
vim.ui.select = function(items, opts, on_choice)
  local shown = {}
  for _, item in ipairs(items) do
    table.insert(shown, opts.format_item(item))
  end
  table.insert(result.selects, { prompt = opts.prompt, items = shown, while_typing = typing })
  local answer = table.remove(answers, 1)
  check(answer ~= nil, 'an unexpected pick list: ' .. opts.prompt)
  vim.schedule(function()
    on_choice(answer(items))
  end)
end

local function main()
  h.current = 'load plugin'
  vim.opt.runtimepath:prepend(env.DLM_NVIM_PLUGIN)
  vim.cmd('runtime! ftdetect/dlm.lua')
  vim.cmd('runtime! plugin/dlm_synth.lua')
  local dlm_synth = require('dlm_synth')
  dlm_synth.setup({
    cmd = vim.json.decode(env.DLM_NVIM_SERVER_CMD),
    settings = {
      teacher = env.DLM_NVIM_TEACHER,
      filter = 'dedup-only',
      useCache = false,
      perSection = 3,
      applyMode = 'preview',
      dlmHome = env.DLM_NVIM_HOME,
    },
  })
  check(vim.fn.exists(':DlmSynthReview') == 2, ':DlmSynthReview was not defined')

  h.current = 'open document'
  vim.cmd.edit(vim.fn.fnameescape(env.DLM_NVIM_DOC))
  local buf = vim.api.nvim_get_current_buf()
  local win = vim.api.nvim_get_current_win()
  local client
  wait(20000, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'dlm_synth' })[1]
    return client ~= nil and client.initialized
  end, 'the dlm_synth client to attach and initialize')
  local function text()
    return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  end
  local prose_row
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find('^Tiled loops') then
      prose_row = i
    end
  end
  check(prose_row, 'test document lacks the first prose section')

  h.current = 'synthesize while typing'
  vim.api.nvim_win_set_cursor(win, { prose_row, 0 })
  local before = #result.notifications + 1
  vim.cmd('DlmSynth')
  -- keep typing at the end of the source's first line until the result is in, and a
  -- little after: nothing may open or move
  typing = true
  local typed = 0
  local timer = uv.new_timer()
  timer:start(30, 30, vim.schedule_wrap(function()
    if typing then
      local line = vim.api.nvim_buf_get_lines(buf, prose_row - 1, prose_row, false)[1]
      vim.api.nvim_buf_set_text(buf, prose_row - 1, #line, prose_row - 1, #line, { ' w' .. typed })
      typed = typed + 1
    end
  end))
  wait(30000, function()
    return notified('awaits? your review', before) ~= nil
  end, 'the review notification')
  local arrived = typed
  wait(5000, function()
    return typed >= arrived + 5
  end, 'more typing after the notification')
  typing = false
  timer:stop()
  timer:close()
  result.notice = notified('awaits? your review', before)
  check(result.notice:find(':DlmSynthActions: Review 3 pairs…, Insert all, Stage them', 1, true), 'the notification does not name its follow-ups')
  check(#result.selects == 0, 'a pick list opened by itself')
  check(vim.api.nvim_get_current_win() == win and vim.api.nvim_get_current_buf() == buf, 'the focus moved')
  check(vim.api.nvim_get_mode().mode == 'n', 'the mode changed')
  check(not text():find('dlm%-auto%-synth'), 'something was inserted before the review')
  result.typed = typed
  result.before_review = text()

  h.current = 'review: drop the last pair'
  answers = {
    function(items)
      return items[3] -- the third pair: toggled off
    end,
    function(items)
      return items[4] -- "Insert the kept pairs (2 of 3)"
    end,
  }
  before = #result.notifications + 1
  vim.cmd('DlmSynthActions Review')
  wait(20000, function()
    return notified('Inserted 2 reviewed pairs', before) ~= nil
  end, 'the review result')
  result.after_review = text()

  h.current = 'review again: close it, then stage instead'
  before = #result.notifications + 1
  vim.cmd('DlmSynth')
  wait(30000, function()
    return notified('awaits? your review', before) ~= nil
  end, 'the second review notification')
  local unchanged = text()
  answers = {
    function()
      return nil
    end,
  }
  before = #result.notifications + 1
  vim.cmd('DlmSynthReview')
  wait(10000, function()
    return notified('nothing inserted or staged', before) ~= nil
  end, 'the closed review notice')
  check(text() == unchanged, 'a closed review changed the buffer')
  result.closed_pending = vim.fn.filereadable(env.DLM_NVIM_HOME .. '/store/' .. env.DLM_NVIM_DLM_ID .. '/synth/pending.json')
  answers = {
    function(items)
      return items[#items - 1] -- "Stage them all instead"
    end,
  }
  before = #result.notifications + 1
  vim.cmd('DlmSynthReview')
  wait(20000, function()
    return notified('Staged %d+ reviewed pair', before) ~= nil
  end, 'the staged review result')
  result.second_count = #result.selects[#result.selects].items - 3
  check(text() == unchanged, 'staging changed the buffer')
end

h.run(main)
