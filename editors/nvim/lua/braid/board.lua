-- The board buffer (`:Braid status`): tasks by section, redrawn whenever a task changes.

local M = {}

local ns = vim.api.nvim_create_namespace('braid.board')

--- Keys of the board: { lhs, what it does, function(task id) }.
local function keys()
  local braid = require('braid')
  local ui = require('braid.ui')
  return {
    { '<CR>', 'task detail', ui.detail },
    { 's', 'start a session', braid.start_session },
    { 'c', 'cancel its session', braid.cancel },
    { 'r', 'retry (asks for guidance)', function(id)
      vim.ui.input({ prompt = ('Guidance for #%d (optional): '):format(id) }, function(text)
        if text ~= nil then
          braid.retry(id, text)
        end
      end)
    end },
    { 'a', 'approve', braid.approve },
    { 'x', 'reject (asks for feedback)', function(id)
      vim.ui.input({ prompt = ('What should #%d change? '):format(id) }, function(text)
        if text and text:match('%S') then
          braid.reject(id, text)
        end
      end)
    end },
    { 'm', 'merge (queue for landing)', braid.merge },
    { 'd', 'show the diff', ui.diff },
    { 'l', 'follow the log', ui.log },
    { 'o', 'open its worktree in a tab', ui.open_worktree },
    { 'X', 'abandon', function(id)
      vim.ui.select({ 'Abandon', 'Keep' }, { prompt = ('Abandon #%d?'):format(id) }, function(choice)
        if choice == 'Abandon' then
          braid.abandon(id)
        end
      end)
    end },
  }
end

--- The task whose line the cursor is on.
---@return integer?
function M.task_at_cursor()
  local st = require('braid').state
  if vim.api.nvim_get_current_buf() ~= st.buffers['braid://board'] then
    return nil
  end
  return st.board_lines[vim.api.nvim_win_get_cursor(0)[1]]
end

local function on_task(fn)
  return function()
    local id = M.task_at_cursor()
    if id then
      fn(id)
    else
      require('braid').notify('no task on this line', vim.log.levels.WARN)
    end
  end
end

local function setup_buffer(buf)
  local braid = require('braid')
  vim.bo[buf].filetype = 'braid'
  vim.bo[buf].modifiable = false
  local help = {}
  for _, key in ipairs(keys()) do
    vim.keymap.set('n', key[1], on_task(key[3]), { buffer = buf, nowait = true, desc = 'Braid: ' .. key[2] })
    help[#help + 1] = ('%-5s %s'):format(key[1], key[2])
  end
  vim.keymap.set('n', 'R', function()
    braid.refresh()
  end, { buffer = buf, nowait = true, desc = 'Braid: refresh' })
  vim.keymap.set('n', 'A', function()
    require('braid.ui').compose('')
  end, { buffer = buf, nowait = true, desc = 'Braid: add a task' })
  vim.keymap.set('n', 'q', '<Cmd>close<CR>', { buffer = buf, nowait = true, desc = 'Braid: close' })
  vim.list_extend(help, { 'R     refresh', 'A     add a task', 'q     close' })
  vim.keymap.set('n', 'g?', function()
    vim.notify(table.concat(help, '\n'), vim.log.levels.INFO, { title = 'Braid board keys' })
  end, { buffer = buf, nowait = true, desc = 'Braid: keys' })
end

--- Opens the board (or goes to it) and reloads the tasks.
function M.open()
  local braid = require('braid')
  if not braid.client() then
    return
  end
  local ui = require('braid.ui')
  local buf = ui.buffer('braid://board', setup_buffer)
  ui.show(buf, braid.config.open.board)
  M.render()
  braid.refresh()
end

local function gate_text(task)
  return task.lastGate or '-'
end

local function risk_text(task)
  local risk = task.risk
  if type(risk) ~= 'table' then
    return '-'
  end
  return ('%s %s'):format(risk.level or '?', risk.score or '?')
end

local function pad(text, width)
  local w = vim.fn.strdisplaywidth(text)
  if w > width then
    return vim.fn.strcharpart(text, 0, width - 1) .. '…'
  end
  return text .. string.rep(' ', width - w)
end

--- The board's lines, which task each line shows, and highlights { line, col_start, col_end, group }.
function M.lines()
  local braid = require('braid')
  local c = braid.counts()
  local lines = {
    ('Braid  %s'):format(braid.state.root or braid.root() or '?'),
    ('%d running · %d queued · %d blocked%s'):format(c.running, c.queued, c.blocked,
      braid.state.client and '' or '  (not connected)'),
    '<CR> detail  s start  c cancel  r retry  a approve  x reject  m merge  d diff  l log  o open  A add  R refresh  g? keys',
  }
  local task_lines, highlights = {}, {}
  local function hl(group, col_start, col_end)
    highlights[#highlights + 1] = { #lines - 1, col_start, col_end or -1, group }
  end
  for _, section in ipairs(braid.sections) do
    local tasks = vim.tbl_filter(function(task)
      return task.section == section[1]
    end, braid.tasks())
    lines[#lines + 1] = ''
    lines[#lines + 1] = ('%s (%d)'):format(section[2], #tasks)
    hl('Title', 0)
    for _, task in ipairs(tasks) do
      local id = ('#%d'):format(task.id)
      local flags = {}
      if task.runningSession then
        flags[#flags + 1] = 'running'
      end
      if task.queued then
        flags[#flags + 1] = 'queued'
      end
      local line = ('  %-5s %s  owner %-8s  tries %d  gate %-14s  risk %s%s'):format(
        id, pad(task.title or '', 36), task.owner or task.agent or '-', task.attempts or 0,
        gate_text(task), risk_text(task), #flags > 0 and ('  [' .. table.concat(flags, ', ') .. ']') or '')
      lines[#lines + 1] = line
      task_lines[#lines] = task.id
      hl('Identifier', 2, 2 + #id)
      local gate_at = line:find('gate failed', 1, true)
      if gate_at then
        hl('ErrorMsg', gate_at - 1, gate_at - 1 + #('gate ' .. gate_text(task)))
      end
      local extra = {}
      if task.blockedReason then
        extra[#extra + 1] = { 'blocked: ' .. task.blockedReason, 'WarningMsg' }
      end
      if task.review then
        extra[#extra + 1] = { task.review, 'Comment' }
      end
      if task.landedCommit then
        extra[#extra + 1] = { 'landed: ' .. task.landedCommit, 'Comment' }
      end
      for _, e in ipairs(extra) do
        lines[#lines + 1] = '        ' .. e[1]
        task_lines[#lines] = task.id
        hl(e[2], 8)
      end
    end
  end
  return lines, task_lines, highlights
end

--- Redraws the board buffer, if there is one; the cursor stays on its task.
function M.render()
  local st = require('braid').state
  local buf = st.buffers['braid://board']
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    return
  end
  local lines, task_lines, highlights = M.lines()
  -- Where each window's cursor is, as a task, to put it back on the same task.
  local old = st.board_lines
  local cursors = {}
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    local row = vim.api.nvim_win_get_cursor(win)[1]
    cursors[win] = { row = row, task = old[row] }
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  st.board_lines = task_lines
  vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
  for _, h in ipairs(highlights) do
    local text = lines[h[1] + 1]
    vim.api.nvim_buf_set_extmark(buf, ns, h[1], h[2], {
      end_col = h[3] == -1 and #text or math.min(h[3], #text),
      hl_group = h[4],
    })
  end
  for win, at in pairs(cursors) do
    local row = math.min(at.row, #lines)
    if at.task then
      for lnum = 1, #lines do
        if task_lines[lnum] == at.task then
          row = lnum
          break
        end
      end
    end
    pcall(vim.api.nvim_win_set_cursor, win, { row, 0 })
  end
end

return M
