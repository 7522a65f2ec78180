-- Fails when a Lua file of the plugin (or of these tests) reads or writes a global
-- other than Lua's and Neovim's own: every module must keep its state in locals.
-- Reads LuaJIT bytecode (GGET/GSET), so it checks what runs, not what a regex sees.
--
--   nvim --headless --clean -u NONE -l tests/editors/nvim/no_globals.lua FILE...

local bc = require('jit.bc')

local builtins = {}
for _, name in ipairs({
  'vim', 'require', 'pairs', 'ipairs', 'type', 'tostring', 'tonumber', 'string', 'table', 'math',
  'error', 'unpack', 'select', 'next', 'dofile', 'loadfile', 'io', 'os', 'assert', 'xpcall', 'pcall',
  'debug', 'print', 'setmetatable', 'getmetatable', 'rawget', 'rawset', 'jit', '_G', 'arg', 'coroutine',
}) do
  builtins[name] = true
end

local problems = {}
for _, file in ipairs(_G.arg) do
  local chunk = assert(loadfile(file))
  local parts = {}
  local sink = {
    write = function(_, s)
      table.insert(parts, s)
    end,
    flush = function() end,
    close = function() end,
  }
  bc.dump(chunk, sink, true)
  for line in table.concat(parts):gmatch('[^\n]+') do
    local op, name = line:match('(G[GS]ET)%s.-"([^"]+)"')
    if op == 'GSET' or (op == 'GGET' and not builtins[name]) then
      table.insert(problems, string.format('%s: %s %s', file, op == 'GSET' and 'sets global' or 'reads global', name))
    end
  end
end

if #problems > 0 then
  io.stderr:write(table.concat(problems, '\n') .. '\n')
  os.exit(1)
end
print(string.format('%d files, no globals', #_G.arg))
