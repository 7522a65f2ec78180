-- Plugin checks that need Neovim but no teacher, driven by tests/editors/test_neovim.py:
--
--   nvim --headless --clean -u NONE -l tests/editors/nvim/smoke.lua
--
-- * the help file: :helptags succeeds on it and :help finds its tags
-- * the Neovim 0.10 start path (vim.lsp.start from lsp/dlm_synth.lua), exercised on
--   0.11 with autostart off, so CI covers it without a second Neovim
-- * cursor/selection → LSP range conversion in utf-8, utf-16 and utf-32
--
-- Inputs: DLM_NVIM_PLUGIN, DLM_NVIM_SERVER_CMD, DLM_NVIM_TMP (scratch dir),
-- DLM_NVIM_DOC (.dlm file), DLM_NVIM_RESULT (JSON result file).

local env = vim.env
local h = dofile(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)) .. '/harness.lua')
  .new('smoke.lua', env.DLM_NVIM_RESULT, 40000)
local result, check = h.result, h.check

local function main()
  h.current = 'helptags'
  -- :helptags writes `tags` next to the file, so work on a copy, not the repository
  local doc_dir = env.DLM_NVIM_TMP .. '/help/doc'
  vim.fn.mkdir(doc_dir, 'p')
  vim.fn.writefile(vim.fn.readfile(env.DLM_NVIM_PLUGIN .. '/doc/dlm-synth.txt', 'b'), doc_dir .. '/dlm-synth.txt', 'b')
  vim.v.errmsg = ''
  vim.cmd('helptags ' .. vim.fn.fnameescape(doc_dir))
  check(vim.v.errmsg == '', 'helptags reported: ' .. vim.v.errmsg)
  local tags = {}
  for _, line in ipairs(vim.fn.readfile(doc_dir .. '/tags')) do
    table.insert(tags, vim.split(line, '\t')[1])
  end
  result.tags = tags
  for _, tag in ipairs({ 'dlm-synth', 'dlm-synth.txt', ':DlmSynth', ':DlmSynthDocument', ':DlmSynthRevert', ':DlmSynthList', ':DlmSynthCancel', ':DlmSynthApplyStaged', 'dlm_synth.setup()', 'dlm-synth-settings', 'dlm-synth-api-keys', 'dlm-synth-lazy', 'dlm-synth-highlighting' }) do
    check(vim.list_contains(tags, tag), 'missing help tag ' .. tag)
  end
  vim.opt.runtimepath:append(env.DLM_NVIM_TMP .. '/help')
  vim.cmd('help :DlmSynthList')
  check(vim.fn.expand('%:t') == 'dlm-synth.txt', ':help opened ' .. vim.fn.expand('%:t'))
  check(vim.api.nvim_get_current_line():find('*:DlmSynthList*', 1, true), ':help did not land on the tag')
  vim.cmd('helpclose')

  h.current = 'load plugin without autostart'
  vim.g.dlm_synth_autostart = false
  vim.opt.runtimepath:prepend(env.DLM_NVIM_PLUGIN)
  vim.cmd('runtime! ftdetect/dlm.lua')
  vim.cmd('runtime! plugin/dlm_synth.lua')
  local dlm_synth = require('dlm_synth')
  local defaults = dlm_synth.default_config()
  -- the command is found where a pip install or a checkout's scripts/setup puts it
  check(vim.deep_equal(defaults.cmd, (dlm_synth.server_cmd())) and defaults.cmd[2] == '--stdio', 'lsp/dlm_synth.lua cmd: ' .. vim.inspect(defaults.cmd))
  check(vim.deep_equal(defaults.filetypes, { 'dlm' }), 'lsp/dlm_synth.lua defaults changed')
  check(vim.deep_equal(defaults.capabilities, { experimental = { dlmSynth = { resultMessages = true } } }), 'the client does not say it shows results')
  check(defaults.handlers['window/showMessage'] == dlm_synth.on_show_message, "the server's messages are not ours to show")
  check(type(defaults.settings.dlmSynth) == 'table', 'lsp/dlm_synth.lua has no settings.dlmSynth')
  local commands = vim.api.nvim_get_commands({})
  for _, name in ipairs({ 'DlmSynth', 'DlmSynthDocument', 'DlmSynthRevert', 'DlmSynthList', 'DlmSynthCancel', 'DlmSynthApplyStaged' }) do
    check(commands[name], ':' .. name .. ' is not defined')
  end
  vim.cmd.edit(vim.fn.fnameescape(env.DLM_NVIM_DOC))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'dlm', 'not detected as dlm')
  vim.wait(300)
  check(#vim.lsp.get_clients({ bufnr = buf }) == 0, 'a client started although autostart is off')

  h.current = 'the 0.10 start path'
  local attached_to
  dlm_synth.setup({
    cmd = vim.json.decode(env.DLM_NVIM_SERVER_CMD),
    settings = { useCache = false },
    autostart = false,
    on_attach = function(_, bufnr)
      attached_to = bufnr
    end,
  })
  local client_id = dlm_synth.start(buf)
  check(client_id, 'vim.lsp.start returned nothing')
  check(vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20), 'no diagnostics through the vim.lsp.start path')
  local client = vim.lsp.get_client_by_id(client_id)
  check(client.name == 'dlm_synth', 'client is named ' .. client.name)
  check(attached_to == buf, 'on_attach was not passed through')
  check(client.settings.dlmSynth.useCache == false, 'settings were not passed through')
  check(client.commands['dlm-synth.synthesize'], 'LspAttach did not route the synthesize command')
  -- a second start for the same buffer reuses the client
  check(dlm_synth.start(buf) == client_id, 'a second start made a second client')

  h.current = 'ranges'
  local scratch = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_set_current_buf(scratch)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, { '😋 abc', 'second line' })
  local ranges = {}
  -- cursor on "a": byte 5, utf-16 unit 3, code point 2
  vim.api.nvim_win_set_cursor(0, { 1, 5 })
  for _, enc in ipairs({ 'utf-8', 'utf-16', 'utf-32' }) do
    ranges['cursor ' .. enc] = dlm_synth.command_range(scratch, enc, { range = 0 }).start.character
  end
  -- characterwise "😋 ab" (exclusive end after "b")
  vim.cmd('normal! 0vlll\27')
  for _, enc in ipairs({ 'utf-8', 'utf-16', 'utf-32' }) do
    local r = dlm_synth.command_range(scratch, enc, { range = 2, line1 = 1, line2 = 1 })
    ranges['visual ' .. enc] = { r.start.character, r['end'].character }
  end
  -- linewise: whole lines, ending at the end of the last one
  vim.cmd('normal! ggVj\27')
  local r = dlm_synth.command_range(scratch, 'utf-16', { range = 2, line1 = 1, line2 = 2 })
  ranges['lines utf-16'] = { r.start.line, r.start.character, r['end'].line, r['end'].character }
  result.ranges = ranges
  local expected = {
    ['cursor utf-8'] = 5,
    ['cursor utf-16'] = 3,
    ['cursor utf-32'] = 2,
    ['visual utf-8'] = { 0, 7 },
    ['visual utf-16'] = { 0, 5 },
    ['visual utf-32'] = { 0, 4 },
    ['lines utf-16'] = { 0, 0, 1, 11 },
  }
  check(vim.deep_equal(ranges, expected), 'ranges: ' .. vim.inspect(ranges))
end

h.run(main)
