-- `:Braid {subcommand} [args]`: parsing, dispatch and completion.

local M = {}

local function braid()
  return require('braid')
end

local function ui()
  return require('braid.ui')
end

--- Subcommands. `task = true`: the first argument is a task id ("3" or "#3"; on the board, the
--- task under the cursor when omitted); `run(id, rest, bang)` then gets the id and the words after it.
M.subcommands = {
  status = { run = function()
    require('braid.board').open()
  end },
  add = { usage = '{title}', run = function(_, rest, bang)
    if bang then
      if rest == '' then
        return braid().notify('usage: :Braid! add {title}', vim.log.levels.ERROR)
      end
      return braid().add(rest)
    end
    ui().compose(rest)
  end },
  run = { run = function()
    braid().run()
  end },
  pause = { run = function()
    braid().pause()
  end },
  resume = { run = function()
    braid().resume()
  end },
  stop = { run = function()
    braid().stop(function(code)
      braid().notify('braid serve stopped (exit code ' .. tostring(code) .. ')')
    end)
  end },
  diff = { task = true, run = function(id)
    ui().diff(id)
  end },
  log = { task = true, run = function(id)
    ui().log(id)
  end },
  open = { task = true, run = function(id)
    ui().open_worktree(id)
  end },
  show = { task = true, run = function(id)
    ui().detail(id)
  end },
  start = { task = true, run = function(id)
    braid().start_session(id)
  end },
  cancel = { task = true, run = function(id)
    braid().cancel(id)
  end },
  approve = { task = true, run = function(id)
    braid().approve(id)
  end },
  abandon = { task = true, run = function(id)
    braid().abandon(id)
  end },
  retry = { task = true, usage = '{id} [guidance]', run = function(id, rest)
    braid().retry(id, rest)
  end },
  reject = { task = true, usage = '{id} [feedback]', run = function(id, rest)
    if rest ~= '' then
      return braid().reject(id, rest)
    end
    vim.ui.input({ prompt = ('What should #%d change? '):format(id) }, function(text)
      if text and text:match('%S') then
        braid().reject(id, text)
      end
    end)
  end },
  reassign = { task = true, usage = '{id} {agent}', run = function(id, rest)
    if rest == '' then
      return braid().notify('usage: :Braid reassign {id} {agent}', vim.log.levels.ERROR)
    end
    braid().reassign(id, rest)
  end },
  merge = { task = true, usage = '{id} [{id}...]', run = function(id, rest)
    local ids = { id }
    for word in rest:gmatch('%S+') do
      local other = tonumber((word:gsub('^#', '')))
      if other then
        ids[#ids + 1] = other
      end
    end
    braid().merge(ids)
  end },
}

local function parse_id(word)
  return word and tonumber((word:gsub('^#', '')))
end

--- Runs `:Braid` with the command's opts (see nvim_create_user_command).
function M.run(opts)
  local args = vim.deepcopy(opts.fargs)
  local name = table.remove(args, 1) or 'status'
  local sub = M.subcommands[name]
  if not sub then
    local names = vim.tbl_keys(M.subcommands)
    table.sort(names)
    return braid().notify(('unknown subcommand %q (one of: %s)'):format(name, table.concat(names, ', ')),
      vim.log.levels.ERROR)
  end
  if not sub.task then
    return sub.run(nil, table.concat(args, ' '), opts.bang)
  end
  local id = parse_id(args[1])
  if id then
    table.remove(args, 1)
  else
    id = require('braid.board').task_at_cursor()
  end
  if not id then
    return braid().notify(('usage: :Braid %s %s'):format(name, sub.usage or '{id}'), vim.log.levels.ERROR)
  end
  sub.run(id, table.concat(args, ' '), opts.bang)
end

--- Completion: subcommands, then task ids (as far as the plugin knows them; it never starts the
--- server to complete).
function M.complete(arglead, cmdline, pos)
  local words = vim.split(cmdline:sub(1, pos), '%s+')
  local candidates = {}
  if #words <= 2 then
    candidates = vim.tbl_keys(M.subcommands)
  else
    local sub = M.subcommands[words[2]]
    if sub and sub.task and (#words == 3 or words[2] == 'merge') then
      for _, id in ipairs(braid().state.order) do
        candidates[#candidates + 1] = tostring(id)
      end
    end
  end
  table.sort(candidates)
  return vim.tbl_filter(function(c)
    return vim.startswith(c, arglead)
  end, candidates)
end

return M
