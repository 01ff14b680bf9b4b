-- The editor scenario, headless, against the real `braid serve` (run by test/run):
--   nvim --headless -u NONE -i NONE -n -l editors/nvim/test/scenario.lua
-- The braid executable is $BRAID_BIN (default: braid on PATH). Every wait polls a condition; its
-- timeout only guards against hangs. Exits 0 when everything held, 1 with a message otherwise.

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local plugin = vim.fn.fnamemodify(here, ':h')
vim.opt.runtimepath:prepend(plugin)
vim.cmd.runtime('plugin/braid.lua')

local bin = vim.fn.exepath(vim.env.BRAID_BIN or 'braid')
-- A hang guard, not a schedule: agents, gates and merges of a debug build take seconds.
local LONG = tonumber(vim.env.BRAID_TEST_TIMEOUT_MS) or 180000
local SHORT = 20000

local function say(text)
  io.stdout:write(text .. '\n')
  io.stdout:flush()
end

local function fail(text)
  error({ braid_test_failure = text }, 0)
end

local function check(cond, what, detail)
  if not cond then
    fail(what .. (detail and ('\n' .. detail) or ''))
  end
  say('ok - ' .. what)
end

local function wait_for(what, cond, timeout, detail)
  if not vim.wait(timeout or LONG, cond, 50) then
    fail('timed out waiting: ' .. what .. (detail and ('\n' .. detail()) or ''))
  end
  say('ok - ' .. what)
end

local function run(cmd, opts)
  local result = vim.system(cmd, vim.tbl_extend('force', { text = true }, opts or {})):wait(60000)
  if result.code ~= 0 then
    fail(('%s failed (%s): %s%s'):format(table.concat(cmd, ' '), tostring(result.code), result.stdout or '',
      result.stderr or ''))
  end
  return result.stdout
end

local function write(path, text, mode)
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  vim.fn.writefile(vim.split(text, '\n', { plain = true }), path, 'b')
  if mode then
    vim.uv.fs_chmod(path, mode)
  end
end

local function lines_of(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function text_of(buf)
  return table.concat(lines_of(buf), '\n')
end

-- What the plugin tells the user, and what it asks.
local notes = {}
vim.notify = function(msg, level)
  notes[#notes + 1] = { msg = msg, level = level }
  say(('  notify[%s]: %s'):format(level or '-', msg))
end
local function told(pattern)
  for _, note in ipairs(notes) do
    if note.msg:find(pattern) then
      return note
    end
  end
end
local asked = {}
vim.ui.select = function(items, opts, on_choice)
  asked[#asked + 1] = { items = items, opts = opts, on_choice = on_choice }
  say('  vim.ui.select: ' .. tostring(opts.prompt))
end
vim.ui.input = function(opts, on_confirm)
  say('  vim.ui.input: ' .. tostring(opts.prompt))
  on_confirm('')
end

local braid = require('braid')
local repo

-- A body the built-in script agent runs.
local function script(text)
  return '```sh\n' .. text .. '\n```'
end

--- Adds a task through `:Braid add {title}`: the compose buffer, written with `:w`.
local function add_task(title, body)
  local before = #braid.tasks()
  vim.cmd('Braid add ' .. title)
  local buf = vim.api.nvim_get_current_buf()
  check(vim.api.nvim_buf_get_name(buf) == 'braid://new-task', ':Braid add opens the compose buffer')
  check(lines_of(buf)[1] == title, 'its first line is the title')
  vim.api.nvim_buf_set_lines(buf, 2, -1, false, vim.split(body, '\n', { plain = true }))
  vim.cmd('write')
  local task
  wait_for(('task %q is added'):format(title), function()
    for _, t in ipairs(braid.tasks()) do
      if t.title == title then
        task = t
      end
    end
    return task ~= nil and #braid.tasks() > before
  end, SHORT)
  wait_for('the compose buffer is gone once the task is added', function()
    return not vim.api.nvim_buf_is_valid(buf)
  end, SHORT)
  return task.id
end

--- The board's lines in section `title` (up to the next blank line).
local function board_section(title)
  local buf = braid.state.buffers['braid://board']
  local found, section = false, {}
  for _, line in ipairs(lines_of(buf)) do
    if found then
      if line == '' then
        break
      end
      section[#section + 1] = line
    elseif line:match('^' .. vim.pesc(title) .. ' %(') then
      found = true
    end
  end
  return section
end

local function section_has(title, pattern)
  for _, line in ipairs(board_section(title)) do
    if line:find(pattern) then
      return true
    end
  end
  return false
end

local function board_text()
  return text_of(braid.state.buffers['braid://board'])
end

local function scenario()
  check(vim.fn.has('nvim-0.10') == 1, 'Neovim 0.10 or later: ' .. tostring(vim.version()))
  check(bin ~= '', 'the braid executable is found: ' .. tostring(vim.env.BRAID_BIN or 'braid'))
  vim.env.BRAID_DAEMON_IDLE_SECONDS = '120'

  -- A small repository: a gate that fails while bad.txt exists; no retries; merges land by themselves.
  repo = vim.fn.resolve(vim.fn.tempname()) .. '-braid-nvim'
  vim.fn.mkdir(repo, 'p')
  run({ 'git', 'init', '-q', '-b', 'main' }, { cwd = repo })
  run({ 'git', 'config', 'user.name', 'Braid Test' }, { cwd = repo })
  run({ 'git', 'config', 'user.email', 'braid-test@example.invalid' }, { cwd = repo })
  write(repo .. '/check.sh',
    '#!/bin/sh\nif [ -f bad.txt ]; then echo "GATE: bad.txt is there" >&2; exit 1; fi\nexit 0\n', tonumber('755', 8))
  write(repo .. '/README.md', '# A small project\n')
  run({ 'git', 'add', '-A' }, { cwd = repo })
  run({ 'git', 'commit', '-q', '-m', 'start' }, { cwd = repo })
  write(repo .. '/.braid/config.json', vim.json.encode({
    baseBranch = 'main',
    gate = { { name = 'check', run = { './check.sh' } } },
    maxRetries = 0,
    mergeQueue = { auto = true },
  }))
  say('# repository ' .. repo)

  braid.setup({ executable = bin, root = repo })
  vim.cmd.cd(repo)

  -- :checkhealth braid starts the server and reports OK.
  vim.cmd('checkhealth braid')
  local health = text_of(vim.api.nvim_get_current_buf())
  say(health)
  check(health:find('OK found ' .. bin, 1, true) ~= nil, ':checkhealth braid: the executable is found')
  check(health:find('OK version: braid', 1, true) ~= nil, ':checkhealth braid: its version')
  check(health:find('is a Braid repository', 1, true) ~= nil, ':checkhealth braid: the repository')
  check(health:find('OK the daemon answered braid/ping', 1, true) ~= nil, ':checkhealth braid: the daemon answers')
  check(not health:find('ERROR', 1, true) and not health:find('WARNING', 1, true), ':checkhealth braid: no error or warning')
  vim.cmd('silent! tabonly')
  vim.cmd('silent! only')
  check(braid.state.client ~= nil and not braid.state.client.closed, 'braid serve is running')

  -- The board.
  vim.cmd('Braid status')
  local board = vim.api.nvim_get_current_buf()
  check(vim.api.nvim_buf_get_name(board) == 'braid://board', ':Braid status shows the board buffer')
  check(vim.bo[board].filetype == 'braid', 'the board has filetype braid')

  -- A task that writes a file, run by the script agent, lands through the merge queue.
  local first = add_task('Write hello', 'Writes hello.txt.\n\n'
    .. script('echo "writing hello.txt"\necho "hello from braid" > hello.txt'))
  vim.cmd('Braid run')
  wait_for(('#%d is Done'):format(first), function()
    local task = braid.task(first)
    return task and task.section == 'done'
  end, LONG, function()
    return vim.inspect(braid.task(first)) .. '\n' .. board_text()
  end)
  wait_for('the board buffer shows it under Done', function()
    return section_has('Done', '#' .. first .. ' +Write hello')
  end, SHORT, board_text)
  check(section_has('Done', 'landed: %x+'), 'the board shows its landed commit', board_text())
  say(board_text())
  wait_for('merge/landed is told', function()
    return told('#' .. first .. ' landed') ~= nil
  end, SHORT)
  check(run({ 'git', 'show', 'main:hello.txt' }, { cwd = repo }) == 'hello from braid\n', 'main has hello.txt')

  -- Its diff.
  vim.cmd('Braid diff ' .. first)
  wait_for(':Braid diff opens the diff', function()
    return vim.api.nvim_buf_get_name(0) == 'braid://diff/' .. first
  end, SHORT)
  local diff = vim.api.nvim_get_current_buf()
  check(vim.bo[diff].filetype == 'diff', 'the diff buffer has filetype diff')
  check(vim.tbl_contains(lines_of(diff), '+hello from braid'), 'the diff has the added line', text_of(diff))
  check(text_of(diff):find('b/hello.txt', 1, true) ~= nil, 'the diff names hello.txt')
  vim.cmd('close')

  -- Its log.
  vim.cmd('Braid log ' .. first)
  wait_for(':Braid log shows the session output', function()
    local buf = braid.state.buffers['braid://log/' .. first]
    return buf and text_of(buf):find('writing hello.txt', 1, true) ~= nil
  end, SHORT)
  say(text_of(braid.state.buffers['braid://log/' .. first]))
  vim.cmd('close')

  -- A task whose gate fails is escalated: the server asks, through vim.ui.select. Its log is
  -- followed from before its session starts.
  local second = add_task('Break the gate', script('echo "writing bad.txt"\necho bad > bad.txt'))
  vim.cmd('Braid log ' .. second)
  vim.cmd('Braid run')
  wait_for(('#%d is escalated and vim.ui.select asks'):format(second), function()
    return #asked > 0
  end, LONG, function()
    return vim.inspect(braid.task(second))
  end)
  local question = asked[1]
  check(question.opts.prompt:find('#' .. second .. ' was escalated', 1, true) ~= nil, 'the prompt names the task',
    question.opts.prompt)
  local titles = vim.tbl_map(question.opts.format_item, question.items)
  check(vim.deep_equal(titles, { 'Retry', 'Reassign', 'Abandon' }), 'the choices are Retry, Reassign, Abandon',
    vim.inspect(titles))
  wait_for(('#%d is blocked'):format(second), function()
    local task = braid.task(second)
    return task and task.section == 'blocked'
  end, SHORT)
  wait_for('the gate failure is told', function()
    return told('#' .. second .. ': gate failed') ~= nil
  end, SHORT)
  wait_for('the followed log shows the output of its session as it came', function()
    local text = text_of(braid.state.buffers['braid://log/' .. second])
    return text:find('==> #' .. second .. ', session', 1, true) ~= nil and text:find('writing bad.txt', 1, true) ~= nil
      and text:find('[session ', 1, true) ~= nil
  end, SHORT, function()
    return text_of(braid.state.buffers['braid://log/' .. second])
  end)
  say(text_of(braid.state.buffers['braid://log/' .. second]))
  vim.cmd('close')

  -- While it waits, its worktree still exists: :Braid open goes there in a new tab.
  local worktrees = braid.request_sync('worktree/list', nil, SHORT)
  local path
  for _, w in ipairs(worktrees.worktrees) do
    if w.task == second then
      path = w.path
    end
  end
  check(path ~= nil, ('#%d has a worktree'):format(second))
  local tabs = #vim.api.nvim_list_tabpages()
  vim.cmd('Braid open ' .. second)
  wait_for(':Braid open makes a tab whose directory is the worktree', function()
    return #vim.api.nvim_list_tabpages() == tabs + 1 and vim.fn.getcwd() == path
  end, SHORT, function()
    return vim.fn.getcwd() .. ' vs ' .. path
  end)
  vim.cmd('tabclose')
  check(vim.fn.getcwd() == repo, 'the other tabs stay in the repository')

  -- The answer: Abandon.
  local abandon
  for _, item in ipairs(question.items) do
    if item.title == 'Abandon' then
      abandon = item
    end
  end
  question.on_choice(abandon, 3)
  wait_for(('#%d is abandoned (blocked, reason says so)'):format(second), function()
    local task = braid.task(second)
    return task and task.section == 'blocked' and (task.blockedReason or ''):find('abandoned') ~= nil
  end, LONG, function()
    return vim.inspect(braid.task(second))
  end)
  wait_for('the board shows it under Blocked as abandoned', function()
    return section_has('Blocked', '#' .. second .. ' +Break the gate') and section_has('Blocked', 'blocked: .*abandoned')
  end, SHORT, board_text)
  wait_for('the server says so (window/showMessage)', function()
    return told('#' .. second .. ' abandoned') ~= nil
  end, SHORT)
  check(#asked == 1, 'nothing else was asked')
  say(board_text())

  -- The statusline component and completion.
  check(braid.statusline() == 'Braid 0 running · 0 queued · 1 blocked', 'the statusline counts',
    braid.statusline())
  check(vim.tbl_contains(vim.fn.getcompletion('Braid d', 'cmdline'), 'diff'), ':Braid completes subcommands')
  local ids = vim.fn.getcompletion('Braid diff ', 'cmdline')
  check(vim.tbl_contains(ids, tostring(first)) and vim.tbl_contains(ids, tostring(second)), ':Braid diff completes task ids',
    vim.inspect(ids))

  -- The board's keys: R reloads what the plugin forgot; <CR> opens a task's detail.
  vim.api.nvim_set_current_buf(board)
  local before = board_text()
  braid.state.tasks, braid.state.order = {}, {}
  require('braid.board').render()
  check(section_has('Done', '#' .. first) == false, 'the board shows what the plugin knows')
  vim.api.nvim_feedkeys('R', 'x', false)
  wait_for('R reloads the board from the server', function()
    return board_text() == before
  end, SHORT, board_text)
  local row
  for lnum, line in ipairs(lines_of(board)) do
    if line:match('^  #' .. first .. ' ') then
      row = lnum
    end
  end
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.api.nvim_feedkeys(vim.keycode('<CR>'), 'x', false)
  wait_for('<CR> opens the task detail', function()
    return vim.api.nvim_buf_get_name(0) == 'braid://task/' .. first
  end, SHORT)
  local detail = text_of(0)
  check(detail:find('section    done', 1, true) and detail:find('Sessions (1)', 1, true), 'the detail shows its section and sessions',
    detail)
  vim.cmd('close')

  -- The help file: its tags are generated and :help finds them.
  local docs = vim.fn.tempname()
  vim.fn.mkdir(docs .. '/doc', 'p')
  vim.uv.fs_copyfile(plugin .. '/doc/braid.txt', docs .. '/doc/braid.txt')
  vim.cmd('helptags ' .. vim.fn.fnameescape(docs .. '/doc'))
  local tags = table.concat(vim.fn.readfile(docs .. '/doc/tags'), '\n')
  for _, tag in ipairs({ 'braid.txt', ':Braid', 'braid-setup', 'braid-board', 'braid-escalation', 'braid-health' }) do
    check(tags:find(tag .. '\t', 1, true) ~= nil, 'help tag ' .. tag)
  end
  vim.opt.runtimepath:prepend(docs)
  vim.cmd('help :Braid')
  check(vim.fn.expand('%:t') == 'braid.txt', ':help :Braid opens braid.txt')
  vim.cmd('close')
  vim.fn.delete(docs, 'rf')

  -- The plugin ends the session cleanly.
  local code
  braid.stop(function(c)
    code = c
  end)
  wait_for('braid serve exits after shutdown and exit', function()
    return code ~= nil
  end, SHORT)
  check(code == 0, 'braid serve exited with 0', tostring(code))
end

local ok, err = xpcall(scenario, function(e)
  if type(e) == 'table' and e.braid_test_failure then
    return e.braid_test_failure
  end
  return debug.traceback(tostring(e), 2)
end)

-- Whatever happened: the server, the daemon and the repository go.
local last_client = braid.state.client
pcall(braid.stop, nil, true)
if repo then
  local stopped = vim.system({ bin, 'daemon', 'stop' }, { cwd = repo, text = true }):wait(30000)
  say(('# braid daemon stop: %s %s'):format(stopped.code, vim.trim((stopped.stdout or '') .. (stopped.stderr or ''))))
  vim.fn.delete(repo, 'rf')
end

if ok then
  say('PASS: the Neovim scenario')
  os.exit(0)
else
  io.stderr:write('FAIL: ' .. tostring(err) .. '\n')
  if last_client then
    io.stderr:write('braid serve stderr:\n' .. table.concat(last_client.stderr, '\n') .. '\n')
  end
  os.exit(1)
end
