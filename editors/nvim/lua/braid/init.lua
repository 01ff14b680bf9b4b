-- Braid for Neovim: the connection to `braid serve`, the board's state as the server reports it,
-- and the actions a person takes on tasks. Views live in braid.board and braid.ui.

local rpc = require('braid.rpc')

local M = {}

M.version = '0.1.0'

--- Board sections in board order: the protocol's name and the title shown.
M.sections = {
  { 'todo', 'Todo' },
  { 'inProgress', 'In Progress' },
  { 'review', 'Review' },
  { 'blocked', 'Blocked' },
  { 'done', 'Done' },
}

local defaults = {
  -- The braid executable (a name on $PATH or a path).
  executable = 'braid',
  -- The repository: a path, or a function returning one; nil means the git root of the cwd.
  root = nil,
  -- After choosing Retry or Reassign for an escalated task, ask for guidance / an agent.
  ask_details = true,
  -- How views open: a command run before showing the buffer ('split', 'vsplit', 'tabnew', ...).
  open = { board = 'split', diff = 'split', log = 'split', task = 'split' },
}

M.config = vim.deepcopy(defaults)

--- Everything the plugin knows, in one place.
M.state = {
  client = nil, ---@type braid.rpc.Client?
  ready = false, -- initialize answered, initialized sent
  waiting = {}, -- requests made before that: { method, params, callback }
  root = nil,
  server = nil, -- serverInfo from initialize
  stopping = false,
  tasks = {}, -- id -> task (TaskSnapshot's JSON)
  order = {}, -- ids in board order
  changed_scheduled = false,
  buffers = {}, -- name -> bufnr of the views
  board_lines = {}, -- line of the board -> task id
  follows = {}, -- task id -> log follow state (braid.ui)
  messages = {}, -- recent window/logMessage lines
  run_tokens = {}, -- workDoneTokens of our supervisor/run requests
  next_token = 0,
}

local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }

--- Tells the user something, the way every Braid message is told.
function M.notify(message, level)
  vim.notify('Braid: ' .. message, level or vim.log.levels.INFO, { title = 'Braid' })
end

---@param opts table?
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
end

--- Leaving Neovim ends the session cleanly (shutdown, exit).
local function watch_exit()
  local group = vim.api.nvim_create_augroup('braid', { clear = true })
  vim.api.nvim_create_autocmd('VimLeavePre', {
    group = group,
    callback = function()
      M.stop(nil, true)
    end,
  })
end

--- The repository Braid works on.
---@return string?
function M.root()
  local root = M.config.root
  if type(root) == 'function' then
    root = root()
  end
  if root then
    return (vim.fs.normalize(vim.fn.fnamemodify(root, ':p')):gsub('(.)/$', '%1'))
  end
  return vim.fs.root(vim.fn.getcwd(), '.git')
end

-- Tasks ----------------------------------------------------------------------------------------

--- Coalesces redraws: the board, the statusline and `User BraidTasksChanged`, once per tick.
local function changed()
  if M.state.changed_scheduled then
    return
  end
  M.state.changed_scheduled = true
  vim.schedule(function()
    M.state.changed_scheduled = false
    require('braid.board').render()
    pcall(vim.cmd.redrawstatus, { bang = true })
    vim.api.nvim_exec_autocmds('User', { pattern = 'BraidTasksChanged', modeline = false })
  end)
end

--- Records a task as the server describes it (nil: removed).
function M.set_task(id, task)
  local st = M.state
  if task == nil then
    st.tasks[id] = nil
    st.order = vim.tbl_filter(function(other)
      return other ~= id
    end, st.order)
  else
    if not st.tasks[id] then
      table.insert(st.order, id)
    end
    st.tasks[id] = task
  end
  changed()
end

---@return table[] tasks in board order
function M.tasks()
  local list = {}
  for _, id in ipairs(M.state.order) do
    list[#list + 1] = M.state.tasks[id]
  end
  return list
end

---@return table?
function M.task(id)
  return M.state.tasks[id]
end

--- Reloads every task with task/list.
function M.refresh(callback)
  M.request('task/list', nil, function(err, result)
    if not err then
      M.state.tasks, M.state.order = {}, {}
      for _, task in ipairs(result.tasks or {}) do
        M.state.tasks[task.id] = task
        table.insert(M.state.order, task.id)
      end
      changed()
    end
    if callback then
      callback(err, result)
    end
  end)
end

--- Running, queued and blocked tasks.
function M.counts()
  local counts = { running = 0, queued = 0, blocked = 0 }
  for _, task in pairs(M.state.tasks) do
    if task.runningSession or task.section == 'inProgress' then
      counts.running = counts.running + 1
    end
    if task.queued then
      counts.queued = counts.queued + 1
    end
    if task.section == 'blocked' then
      counts.blocked = counts.blocked + 1
    end
  end
  return counts
end

--- A statusline component: "Braid 1 running · 0 queued · 1 blocked", or "" when not connected.
--- Reads what the plugin already knows; it never asks the server.
---@return string
function M.statusline()
  if not M.state.client then
    return ''
  end
  local c = M.counts()
  return ('Braid %d running · %d queued · %d blocked'):format(c.running, c.queued, c.blocked)
end

-- The connection -------------------------------------------------------------------------------

local notifications = {
  ['task/changed'] = function(p)
    M.set_task(p.id, p.task)
  end,
  ['session/output'] = function(p)
    require('braid.ui').on_output(p)
  end,
  ['session/exited'] = function(p)
    require('braid.ui').on_exited(p)
  end,
  ['gate/result'] = function(p)
    if p.passed == false then
      M.notify(('#%s: gate failed%s: %s'):format(p.task, p.failedStep and (' at ' .. p.failedStep) or '', p.summary or ''),
        vim.log.levels.WARN)
    end
  end,
  ['merge/landed'] = function(p)
    local what = p.alreadyLanded and 'was already on the base branch' or 'landed'
    M.notify(('#%s %s%s'):format(p.task, what, p.commit and (' (' .. p.commit:sub(1, 12) .. ')') or ''))
  end,
  ['merge/refused'] = function(p)
    M.notify(('#%s sent back by the merge queue (%s): %s'):format(p.task, p.reason, (p.detail or ''):match('[^\n]*')),
      vim.log.levels.WARN)
  end,
  ['window/showMessage'] = function(p)
    M.notify(p.message or '', levels[p.type] or vim.log.levels.INFO)
  end,
  ['window/logMessage'] = function(p)
    table.insert(M.state.messages, p.message)
    if #M.state.messages > 200 then
      table.remove(M.state.messages, 1)
    end
  end,
  ['$/progress'] = function(p)
    -- Only the runs this editor started are told; gates and merges are seen on the board.
    if M.state.run_tokens[p.token] and type(p.value) == 'table' then
      if p.value.kind == 'end' then
        M.state.run_tokens[p.token] = nil
        M.notify('run: ' .. (p.value.message or 'ended'))
      end
    end
  end,
}

local requests = {
  ['window/showMessageRequest'] = function(params, reply)
    require('braid.ui').escalate(params or {}, reply)
  end,
  ['client/ping'] = function(params, reply)
    reply({ client = 'braid.nvim', nonce = params and params.nonce })
  end,
}

local function fail_waiting(err)
  local waiting = M.state.waiting
  M.state.waiting = {}
  for _, w in ipairs(waiting) do
    w[3](err, nil)
  end
end

--- Starts `braid serve` for the repository and initializes the session.
---@return braid.rpc.Client?
local function start()
  local st = M.state
  local root = M.root()
  if not root then
    M.notify('not inside a git repository (set `root` in setup() or :cd into one)', vim.log.levels.ERROR)
    return nil
  end
  local cmd = { M.config.executable, 'serve', '--clientProcessId', tostring(vim.fn.getpid()) }
  local client
  local ok, err = pcall(function()
    client = rpc.start(cmd, { cwd = root }, {
      on_notification = function(method, params)
        local handler = notifications[method]
        if handler then
          handler(params or {})
        end
      end,
      on_request = function(method, params, reply)
        local handler = requests[method]
        if handler then
          handler(params, reply)
        else
          reply(nil, { code = -32601, message = 'method not found: ' .. method })
        end
      end,
      on_exit = function(code)
        if st.client == client then
          st.client, st.ready = nil, false
          fail_waiting({ code = -32099, message = 'braid serve exited' })
          if not st.stopping then
            local last = client.stderr[#client.stderr]
            M.notify(('braid serve exited (code %s)%s'):format(code, last and (': ' .. last) or ''), vim.log.levels.ERROR)
          end
          changed()
        end
      end,
    })
  end)
  if not ok then
    M.notify(('cannot start %s: %s'):format(M.config.executable, err), vim.log.levels.ERROR)
    return nil
  end
  st.client, st.root, st.ready, st.stopping = client, root, false, false
  watch_exit()
  client:request('initialize', {
    processId = vim.fn.getpid(),
    rootUri = vim.uri_from_fname(root),
    rootPath = root,
    clientInfo = { name = 'braid.nvim', version = M.version },
    -- Any value of window.showMessage means "ask me about escalations".
    capabilities = { window = { showMessage = vim.empty_dict() } },
  }, function(init_err, result)
    if init_err then
      M.notify('initialize failed: ' .. tostring(init_err.message), vim.log.levels.ERROR)
      fail_waiting(init_err)
      client:stop()
      return
    end
    st.server = result and result.serverInfo
    client:notify('initialized', vim.empty_dict())
    st.ready = true
    local waiting = st.waiting
    st.waiting = {}
    for _, w in ipairs(waiting) do
      client:request(w[1], w[2], w[3])
    end
    M.refresh()
  end)
  return client
end

--- The running client, started (and initialized in the background) when needed.
---@return braid.rpc.Client?
function M.client()
  local client = M.state.client
  if client and not client.closed then
    return client
  end
  return start()
end

--- Sends a request once the session is initialized. Without a callback, errors are told with
--- vim.notify; with one, `callback(err, result)` decides.
---@param method string
---@param params table?
---@param callback fun(err: table?, result: any)?
function M.request(method, params, callback)
  callback = callback
    or function(err)
      if err then
        M.notify(method .. ': ' .. tostring(err.message), vim.log.levels.ERROR)
      end
    end
  local client = M.client()
  if not client then
    return callback({ code = -32099, message = 'braid serve is not running' }, nil)
  end
  if M.state.ready then
    client:request(method, params, callback)
  else
    table.insert(M.state.waiting, { method, params, callback })
  end
end

--- A request whose answer is waited for (for :checkhealth and scripts).
---@return any result, table? err
function M.request_sync(method, params, timeout)
  timeout = timeout or 10000
  local done, err, result = false, nil, nil
  M.request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout, function()
    return done
  end, 10) then
    return nil, { code = -32800, message = method .. ': no answer within ' .. timeout .. ' ms' }
  end
  return result, err
end

--- Ends the session (shutdown, exit). `callback(code)` gets the exit code of `braid serve`.
---@param callback fun(code: integer?)?
---@param wait boolean? block until it has exited (used when Neovim exits)
function M.stop(callback, wait)
  local st = M.state
  local client = st.client
  if not client or client.closed then
    if callback then
      callback(client and client.exit_code)
    end
    return
  end
  st.stopping = true
  local done = false
  client:stop(function(code)
    done = true
    if st.client == client then
      st.client, st.ready = nil, false
    end
    if callback then
      callback(code)
    end
  end)
  if wait then
    vim.wait(4000, function()
      return done
    end, 10)
  end
end

-- Actions --------------------------------------------------------------------------------------

--- Adds a task to Todo. `callback(task)` on success.
---@param title string
---@param body string?
---@param callback fun(task: table)?
function M.add(title, body, callback)
  local params = { title = title }
  if body and body:match('%S') then
    params.body = body
  end
  M.request('task/add', params, function(err, task)
    if err then
      return M.notify('task/add: ' .. tostring(err.message), vim.log.levels.ERROR)
    end
    M.set_task(task.id, task)
    M.notify(('#%d added: %s'):format(task.id, task.title))
    if callback then
      callback(task)
    end
  end)
end

--- Asks the supervisor to dispatch from the board until nothing more can start.
function M.run()
  M.state.next_token = M.state.next_token + 1
  local token = 'braid.nvim/run/' .. M.state.next_token
  M.state.run_tokens[token] = true
  M.request('supervisor/run', { workDoneToken = token }, function(err, result)
    if err then
      M.state.run_tokens[token] = nil
      return M.notify('supervisor/run: ' .. tostring(err.message), vim.log.levels.ERROR)
    end
    M.notify('supervisor ' .. tostring(result and result.mode or 'running'))
  end)
end

--- A request about one task whose answer is told as `done`.
local function act(method, params, done)
  M.request(method, params, function(err, result)
    if err then
      return M.notify(method .. ': ' .. tostring(err.message), vim.log.levels.ERROR)
    end
    if type(result) == 'table' and result.id and result.section then
      M.set_task(result.id, result)
    end
    if done then
      M.notify(done)
    end
  end)
end

function M.start_session(id)
  act('session/start', { task = id }, ('#%d: session started'):format(id))
end

function M.cancel(id)
  act('session/cancel', { task = id }, ('#%d: session cancelled'):format(id))
end

function M.retry(id, guidance)
  act('task/retry', { task = id, guidance = guidance ~= '' and guidance or nil }, ('#%d back in Todo'):format(id))
end

function M.approve(id)
  act('task/approve', { task = id }, ('#%d approved'):format(id))
end

function M.reject(id, feedback)
  act('task/reject', { task = id, feedback = feedback }, ('#%d sent back with your feedback'):format(id))
end

function M.merge(ids)
  ids = type(ids) == 'table' and ids or { ids }
  act('merge/enqueue', { tasks = ids }, 'queued for landing: #' .. table.concat(ids, ', #'))
end

function M.abandon(id)
  act('task/abandon', { task = id }, ('#%d abandoned'):format(id))
end

function M.reassign(id, agent)
  act('task/reassign', { task = id, agent = agent }, ('#%d reassigned to %s'):format(id, agent))
end

function M.pause()
  act('supervisor/pause', nil, 'supervisor paused')
end

function M.resume()
  act('supervisor/resume', nil, 'supervisor resumed')
end

return M
