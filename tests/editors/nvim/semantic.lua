-- Semantic highlighting of a .dlm buffer in a real, headless Neovim, driven by
-- tests/editors/test_neovim.py:
--
--   nvim --headless --clean -u NONE -l tests/editors/nvim/semantic.lua
--
-- Loads the plugin as a plugin manager does and changes nothing about highlighting:
-- what it checks is what a user gets by default. Waits for the server's tokens,
-- redraws (semantic highlights become extmarks when a window is drawn), reads the
-- extmarks of Neovim's semantic-token namespace and the tokens under chosen
-- positions, then types a fence and waits for the updated (delta) tokens on it.
--
-- Inputs: DLM_NVIM_PLUGIN, DLM_NVIM_SERVER_CMD, DLM_NVIM_DOC, DLM_NVIM_RESULT.

local env = vim.env
local h = dofile(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)) .. '/harness.lua')
  .new('semantic.lua', env.DLM_NVIM_RESULT, 50000)
local result, check, wait = h.result, h.check, h.wait

-- Neovim's namespace for a client's semantic tokens ('nvim.lsp.semantic_tokens:<id>'
-- on 0.11, 'vim_lsp_semantic_tokens:<id>' before)
local function token_namespace(client_id)
  for name, id in pairs(vim.api.nvim_get_namespaces()) do
    if name:find('semantic_tokens', 1, true) and name:sub(-#tostring(client_id) - 1) == ':' .. client_id then
      return name, id
    end
  end
end

-- highlight groups of the extmarks on each line: { [row] = { group, ... } }
local function extmark_groups(buf, ns)
  local groups = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
    local row, details = mark[2], mark[4]
    groups[row] = groups[row] or {}
    table.insert(groups[row], { col = mark[3], group = details.hl_group })
  end
  return groups
end

-- the tokens Neovim holds at a position, as { type, modifiers } pairs
local function tokens_at(buf, row, col)
  local out = {}
  for _, token in ipairs(vim.lsp.semantic_tokens.get_at_pos(buf, row, col) or {}) do
    local modifiers = {}
    for name, on in pairs(token.modifiers or {}) do
      if on then
        table.insert(modifiers, name)
      end
    end
    table.sort(modifiers)
    table.insert(out, { type = token.type, modifiers = modifiers })
  end
  return out
end

local function main()
  h.current = 'load plugin'
  vim.opt.runtimepath:prepend(env.DLM_NVIM_PLUGIN)
  vim.cmd('runtime! ftdetect/dlm.lua')
  vim.cmd('runtime! plugin/dlm_synth.lua')
  local dlm_synth = require('dlm_synth')
  dlm_synth.setup({ cmd = vim.json.decode(env.DLM_NVIM_SERVER_CMD), settings = { useCache = false } })

  h.current = 'open document'
  vim.cmd.edit(vim.fn.fnameescape(env.DLM_NVIM_DOC))
  local buf = vim.api.nvim_get_current_buf()
  local client
  wait(20000, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'dlm_synth' })[1]
    return client ~= nil and client.initialized
  end, 'the dlm_synth client')
  result.advertised = client.server_capabilities.semanticTokensProvider ~= nil

  h.current = 'tokens arrive'
  wait(10000, function()
    return #tokens_at(buf, 1, 0) > 0
  end, 'semantic tokens for the frontmatter')
  local ns_name, ns = token_namespace(client.id)
  check(ns, 'no semantic-token namespace for client ' .. client.id)
  result.namespace = ns_name
  wait(5000, function()
    vim.cmd.redraw()
    return next(extmark_groups(buf, ns)) ~= nil
  end, 'semantic-token extmarks after a redraw')
  local groups = extmark_groups(buf, ns)
  result.groups = {}
  for row, marks in pairs(groups) do
    result.groups[tostring(row)] = marks
  end

  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function row_of(pattern)
    for i, line in ipairs(lines) do
      if line:find(pattern) then
        return i - 1
      end
    end
    error('no line matches ' .. pattern)
  end
  local fence = row_of('^::instruction')
  result.rows = { key = 1, fence = fence, marker = fence + 1, heading = fence + 2 }
  result.at = {
    key = tokens_at(buf, 1, 0),
    fence = tokens_at(buf, fence, 3),
    marker = tokens_at(buf, fence + 1, 6),
    heading = tokens_at(buf, fence + 2, 1),
    prose = tokens_at(buf, row_of('^Tiled loops'), 2),
  }
  local hl = vim.api.nvim_get_hl(0, { name = '@lsp.mod.synthesized', link = false })
  result.synthesized_italic = hl.italic == true

  h.current = 'type a fence'
  local row = row_of('^Tiled loops') + 1
  vim.api.nvim_buf_set_lines(buf, row, row, false, { '', '::preference#tone::' })
  wait(10000, function()
    local found = tokens_at(buf, row + 1, 3)
    return #found > 0 and found[1].type == 'keyword'
  end, 'tokens on the typed fence')
  result.at.typed = tokens_at(buf, row + 1, 3)
  result.at.typed_adapter = tokens_at(buf, row + 1, 14)
end

h.run(main)
