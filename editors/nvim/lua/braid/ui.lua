-- Views other than the board: a task's detail, its diff, its log (followed live), its worktree,
-- the buffer a new task is written in, and the escalation prompt.

local M = {}

local function braid()
  return require('braid')
end

--- The view buffer called `name`, made (and passed to `setup`) the first time.
---@return integer buf, boolean created
function M.buffer(name, setup)
  local st = braid().state
  local buf = st.buffers[name]
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf, false
  end
  buf = vim.api.nvim_create_buf(false, true)
  st.buffers[name] = buf
  -- Views hold nothing of their own: a hidden one goes, and is made again when asked for.
  vim.bo[buf].bufhidden = 'wipe'
  vim.api.nvim_buf_set_name(buf, name)
  vim.keymap.set('n', 'q', '<Cmd>close<CR>', { buffer = buf, nowait = true, desc = 'Braid: close' })
  if setup then
    setup(buf)
  end
  return buf, true
end

--- Shows `buf`: goes to its window in this tab, else runs `open` (e.g. 'split') and shows it there.
function M.show(buf, open)
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      vim.api.nvim_set_current_win(win)
      return
    end
  end
  if open and open ~= '' then
    vim.cmd(open)
  end
  vim.api.nvim_win_set_buf(0, buf)
end

local function set_lines(buf, lines)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
end

local function split_lines(text)
  local lines = vim.split(text or '', '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  return lines
end

local function error_of(method, err)
  braid().notify(method .. ': ' .. tostring(err.message), vim.log.levels.ERROR)
end

-- Diff -----------------------------------------------------------------------------------------

--- `:Braid diff {id}`: the task's patch (task/diff) in a split with filetype diff.
function M.diff(id)
  braid().request('task/diff', { task = id }, function(err, result)
    if err then
      return error_of('task/diff', err)
    end
    local buf = M.buffer('braid://diff/' .. id)
    local lines = split_lines(result.patch)
    if #lines == 0 then
      lines = { ('# #%d changes nothing against %s'):format(id, result.base or 'its base') }
    end
    set_lines(buf, lines)
    vim.bo[buf].filetype = 'diff'
    M.show(buf, braid().config.open.diff)
  end)
end

-- Log ------------------------------------------------------------------------------------------

--- Appends `text` to the end of `buf` (continuing its last line); windows at the end follow.
local function append(buf, text)
  if text == '' then
    return
  end
  local count = vim.api.nvim_buf_line_count(buf)
  local following = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    if vim.api.nvim_win_get_cursor(win)[1] == count then
      following[#following + 1] = win
    end
  end
  local lines = vim.split(text, '\n', { plain = true })
  lines[1] = (vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or '') .. lines[1]
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, count - 1, count, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  local last = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(following) do
    pcall(vim.api.nvim_win_set_cursor, win, { last, 0 })
  end
end

--- Starts a session's part of the log with a header line.
local function begin_session(f, session)
  local count = vim.api.nvim_buf_line_count(f.buf)
  local last = vim.api.nvim_buf_get_lines(f.buf, count - 1, count, false)[1]
  local header = ('==> #%d, session %s <==\n'):format(f.task, session)
  append(f.buf, ((count == 1 and last == '') or last == '') and header or ('\n' .. header))
  f.session, f.next = session, 0
end

local function alive(f)
  return braid().state.follows[f.task] == f and vim.api.nvim_buf_is_valid(f.buf)
end

local deliver

--- Reads the log from `offset` with session/log (the task's latest session when `session` is nil),
--- page by page; then what arrived meanwhile is delivered.
local function load(f, session, offset)
  f.loading = true
  local params = { task = session == nil and f.task or nil, session = session, offset = offset }
  braid().request('session/log', params, function(err, result)
    if not alive(f) then
      return
    end
    if err then
      append(f.buf, ('[%s]\n'):format(err.message))
    else
      if result.session ~= f.session then
        begin_session(f, result.session)
      end
      if result.offset == f.next then
        append(f.buf, result.text or '')
        f.next = result.nextOffset
      end
      if result.nextOffset < result.size then
        return load(f, result.session, result.nextOffset)
      end
    end
    f.loading = false
    local queue = f.queue
    f.queue = {}
    for _, item in ipairs(queue) do
      deliver(f, item)
    end
  end)
end

--- One session/output or session/exited for a followed task, in order, without repeating or
--- skipping bytes (output carries its byte offset in the session's log).
deliver = function(f, item)
  if f.loading then
    table.insert(f.queue, item)
    return
  end
  if item.exited then
    if item.session == f.session then
      local code = item.exitCode ~= nil and ('exit code ' .. item.exitCode)
        or (item.signal and ('signal ' .. item.signal))
        or 'ended'
      append(f.buf, ('\n[session %s: %s%s]\n'):format(item.session, code, item.reason and (', ' .. item.reason) or ''))
    end
    return
  end
  if item.session ~= f.session then
    begin_session(f, item.session)
  end
  local text, offset = item.text or '', item.offset or 0
  if offset > f.next then
    -- Output we did not see (the buffer opened meanwhile): read it from the log.
    table.insert(f.queue, item)
    return load(f, item.session, f.next)
  end
  if offset + #text <= f.next then
    return
  end
  append(f.buf, text:sub(f.next - offset + 1))
  f.next = offset + #text
end

--- `:Braid log {id}`: the task's latest session log, then its output as it comes.
function M.log(id)
  local st = braid().state
  local buf = M.buffer('braid://log/' .. id, function(b)
    vim.bo[b].filetype = 'braidlog'
  end)
  local f = { task = id, buf = buf, session = nil, next = 0, loading = true, queue = {} }
  st.follows[id] = f
  set_lines(buf, {})
  M.show(buf, braid().config.open.log)
  load(f, nil, nil)
end

function M.on_output(params)
  local f = braid().state.follows[params.task]
  if f and alive(f) then
    deliver(f, params)
  end
end

function M.on_exited(params)
  local f = braid().state.follows[params.task]
  if f and alive(f) then
    deliver(f, vim.tbl_extend('force', params, { exited = true }))
  end
end

-- Worktree -------------------------------------------------------------------------------------

--- `:Braid open {id}`: a new tab whose working directory is the task's worktree.
function M.open_worktree(id)
  braid().request('worktree/list', nil, function(err, result)
    if err then
      return error_of('worktree/list', err)
    end
    for _, worktree in ipairs(result.worktrees or {}) do
      if worktree.task == id then
        vim.cmd.tabnew()
        vim.cmd.tcd(vim.fn.fnameescape(worktree.path))
        braid().notify(('#%d: %s (%s)'):format(id, worktree.path, worktree.branch or 'detached'))
        return
      end
    end
    braid().notify(('#%d has no worktree'):format(id), vim.log.levels.WARN)
  end)
end

-- Task detail ----------------------------------------------------------------------------------

local function detail_lines(task, sessions)
  local function field(name, value)
    return ('%-10s %s'):format(name, value == nil and '-' or tostring(value))
  end
  local lines = {
    ('#%d  %s'):format(task.id, task.title),
    '',
    field('section', task.section),
    field('owner', task.owner),
    field('agent', task.agent),
    field('tries', task.attempts),
    field('sessions', task.sessions),
    field('gate', task.lastGate),
    field('running', task.runningSession),
    field('queued', task.queued and 'yes' or 'no'),
    field('landed', task.landedCommit),
    field('blocked', task.blockedReason),
    field('review', task.review),
  }
  if type(task.risk) == 'table' then
    lines[#lines + 1] = field('risk', ('%s (%s)'):format(task.risk.level, task.risk.score))
    for _, reason in ipairs(task.risk.reasons or {}) do
      lines[#lines + 1] = '           ' .. (type(reason) == 'table' and vim.json.encode(reason) or tostring(reason))
    end
  end
  lines[#lines + 1] = ''
  lines[#lines + 1] = ('Sessions (%d)'):format(#sessions)
  for _, s in ipairs(sessions) do
    lines[#lines + 1] = ('  %s  %s  try %s  %s  %s  gate %s'):format(s.id, s.agent, s.attempt,
      s.running and 'running' or ('exit ' .. tostring(s.exitCode or s.signal or '-')), s.verdict or '', s.gate or '-')
  end
  lines[#lines + 1] = ''
  lines[#lines + 1] = 'd diff  l log  o open worktree  s start  c cancel  a approve  m merge  q close'
  return lines
end

--- The task's fields and sessions (`<CR>` on the board).
function M.detail(id)
  local b = braid()
  b.request('session/list', { task = id }, function(err, result)
    local task = b.task(id)
    if not task then
      return b.notify(('no task #%d'):format(id), vim.log.levels.WARN)
    end
    local buf = M.buffer('braid://task/' .. id, function(buf)
      vim.bo[buf].filetype = 'braid'
      local map = {
        d = M.diff, l = M.log, o = M.open_worktree, s = b.start_session, c = b.cancel, a = b.approve, m = b.merge,
      }
      for lhs, fn in pairs(map) do
        vim.keymap.set('n', lhs, function()
          fn(id)
        end, { buffer = buf, nowait = true })
      end
    end)
    set_lines(buf, detail_lines(task, (not err and result.sessions) or {}))
    M.show(buf, b.config.open.task)
  end)
end

-- Adding a task --------------------------------------------------------------------------------

local function submit(buf)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local title = vim.trim(lines[1] or '')
  if title == '' then
    return braid().notify('the first line is the title, and it is empty', vim.log.levels.ERROR)
  end
  local body = vim.trim(table.concat(lines, '\n', 2))
  braid().add(title, body, function()
    if vim.api.nvim_buf_is_valid(buf) then
      vim.bo[buf].modified = false
      for _, win in ipairs(vim.fn.win_findbuf(buf)) do
        if #vim.api.nvim_list_wins() > 1 then
          pcall(vim.api.nvim_win_close, win, true)
        end
      end
      pcall(vim.api.nvim_buf_delete, buf, { force = true })
    end
  end)
end

--- `:Braid add {title}`: a buffer to write the task in; `:w` adds it (first line: title, the
--- rest: body, e.g. a ```sh block for the script agent).
function M.compose(title)
  local buf = M.buffer('braid://new-task', function(b)
    vim.bo[b].buftype = 'acwrite'
    vim.bo[b].filetype = 'markdown'
    vim.api.nvim_create_autocmd('BufWriteCmd', {
      buffer = b,
      callback = function()
        submit(b)
      end,
    })
  end)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { title or '', '', '' })
  vim.bo[buf].modified = false
  M.show(buf, 'split')
  vim.api.nvim_win_set_cursor(0, { (title or '') == '' and 1 or 3, 0 })
  braid().notify(':w adds the task: its first line is the title, the rest its body')
end

-- Escalations ----------------------------------------------------------------------------------

--- `window/showMessageRequest`: the choice goes back to the server as the chosen action item
--- (with guidance for Retry or an agent for Reassign, when `ask_details`), or null if dismissed.
function M.escalate(params, reply)
  local actions = params.actions or {}
  vim.ui.select(actions, {
    prompt = 'Braid: ' .. (params.message or 'a task needs you'),
    kind = 'braid.escalation',
    format_item = function(item)
      return item.title
    end,
  }, function(choice)
    if not choice then
      return reply(vim.NIL)
    end
    local answer = { title = choice.title }
    local detail = ({ Retry = 'guidance', Reassign = 'agent' })[choice.title]
    if not (detail and braid().config.ask_details) then
      return reply(answer)
    end
    local prompt = detail == 'guidance' and 'Guidance for the next try (optional): '
      or 'Reassign to which agent (empty: the next configured one)? '
    vim.ui.input({ prompt = prompt }, function(text)
      if text == nil then
        return reply(vim.NIL) -- dismissed: the task stays blocked
      end
      if text ~= '' then
        answer[detail] = text
      end
      reply(answer)
    end)
  end)
end

return M
