-- What the headless test scripts share: a JSON result file, the name of the step that
-- is running, checks and waits that fail with a message, and a watchdog so that a
-- hang ends as a failure naming its step. Loaded with dofile() by smoke.lua and
-- semantic.lua:
--
--   local h = dofile(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)) .. '/harness.lua')
--     .new('smoke.lua', vim.env.DLM_NVIM_RESULT, 40000)

local M = {}

function M.new(script, result_path, watchdog_ms)
  local h = { result = { ok = false }, current = 'start' }

  function h.finish(ok, err)
    h.result.ok, h.result.error = ok, err
    h.result.failed_step = (not ok) and h.current or nil
    local file = assert(io.open(result_path, 'w'))
    file:write(vim.json.encode(h.result))
    file:close()
    if not ok then
      io.stderr:write(string.format('%s FAILED in %q: %s\n', script, h.current, tostring(err)))
    end
    -- the server exits on stdin EOF, which os.exit gives it
    os.exit(ok and 0 or 1)
  end

  function h.check(cond, message)
    if not cond then
      error(message, 2)
    end
  end

  function h.wait(ms, cond, what)
    if not vim.wait(ms, cond, 20) then
      error('timed out after ' .. ms .. ' ms waiting for ' .. what, 2)
    end
  end

  --- Run `main`, then write the result and exit.
  function h.run(main)
    local ok, err = xpcall(main, debug.traceback)
    h.finish(ok, not ok and err or nil)
  end

  vim.defer_fn(function()
    h.finish(false, string.format('watchdog: longer than %d s', watchdog_ms / 1000))
  end, watchdog_ms)
  return h
end

return M
