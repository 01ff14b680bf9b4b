-- In-process tests of the plugin's parts (no braid needed), run by test/run:
--   nvim --headless -u NONE -i NONE -n -l editors/nvim/test/unit.lua

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ':h'))
vim.cmd.runtime('plugin/braid.lua')

local failed = 0
local function test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  io.stdout:write((ok and 'ok - ' or 'not ok - ') .. name .. '\n')
  if not ok then
    failed = failed + 1
    io.stderr:write(tostring(err) .. '\n')
  end
end
local function eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local rpc = require('braid.rpc')
local braid = require('braid')
vim.notify = function() end

test('frames fed one byte at a time come out whole, UTF-8 lengths in bytes', function()
  local stream = rpc.frame({ jsonrpc = '2.0', method = 'a', params = { text = 'héllo ✓' } })
    .. 'content-length: 2\r\nX-Other: 1\r\n\r\n{}'
  local buffer, bodies = '', {}
  for i = 1, #stream do
    local got
    got, buffer = rpc.parse_frames(buffer .. stream:sub(i, i))
    vim.list_extend(bodies, got)
  end
  eq(2, #bodies, 'messages')
  eq('héllo ✓', vim.json.decode(bodies[1]).params.text, 'text')
  eq('{}', bodies[2], 'second body')
  eq('', buffer, 'rest')
end)

test('a header block without Content-Length is skipped', function()
  local bodies, rest = rpc.parse_frames('Bogus: 1\r\n\r\nContent-Length: 2\r\n\r\n{}Content-Length: 5\r\n\r\n{')
  eq({ '{}' }, bodies, 'bodies')
  eq('Content-Length: 5\r\n\r\n{', rest, 'rest')
end)

test('null answers are written as "result":null', function()
  local framed = rpc.frame({ jsonrpc = '2.0', id = 1, result = vim.NIL })
  assert(framed:find('"result":null', 1, true), framed)
end)

-- `cat` sends back what it is sent: a request comes back as a request from the "server", whose
-- answer comes back as the response. Real pipes, real framing, both directions.
test('a round trip through a real child process (cat)', function()
  local served = {}
  local client = rpc.start({ 'cat' }, {}, {
    on_request = function(method, params, reply)
      served[#served + 1] = method
      reply({ echoed = params.n })
    end,
  })
  local result, err = client:request_sync('echo/this', { n = 42 }, 5000)
  eq(nil, err, 'error')
  eq({ echoed = 42 }, result, 'result')
  eq({ 'echo/this' }, served, 'served')
  local big = string.rep('x', 200000)
  result = client:request_sync('echo/big', { n = big }, 5000)
  eq(big, result.echoed, 'a message larger than a pipe buffer')
  local code
  client:stop(function(c)
    code = c
  end, 1000)
  assert(vim.wait(5000, function()
    return code ~= nil
  end), 'cat did not end')
end)

local function escalate_with(select_choice, input_text)
  local answer, answered = nil, 0
  vim.ui.select = function(items, opts, on_choice)
    assert(opts.format_item(items[1]) == 'Retry')
    on_choice(select_choice and items[select_choice] or nil)
  end
  vim.ui.input = function(_, on_confirm)
    on_confirm(input_text)
  end
  require('braid.ui').escalate({
    type = 2,
    message = '#4 was escalated',
    actions = { { title = 'Retry' }, { title = 'Reassign' }, { title = 'Abandon' } },
  }, function(result)
    answered = answered + 1
    answer = result
  end)
  eq(1, answered, 'answers')
  return answer
end

test('an escalation is answered with the chosen action, or null when dismissed', function()
  eq({ title = 'Abandon' }, escalate_with(3), 'Abandon')
  eq(vim.NIL, escalate_with(nil), 'dismissed')
  eq({ title = 'Retry', guidance = 'use the fixture' }, escalate_with(1, 'use the fixture'), 'Retry with guidance')
  eq({ title = 'Retry' }, escalate_with(1, ''), 'Retry without guidance')
  eq({ title = 'Reassign', agent = 'codex' }, escalate_with(2, 'codex'), 'Reassign to an agent')
  eq(vim.NIL, escalate_with(2, nil), 'Reassign dismissed at the agent prompt')
  braid.config.ask_details = false
  eq({ title = 'Retry' }, escalate_with(1, 'ignored'), 'Retry without asking')
  braid.config.ask_details = true
end)

test('the board groups tasks by section, with owner, tries, gate and risk', function()
  braid.set_task(1, { id = 1, title = 'One', section = 'todo', attempts = 0, queued = false })
  braid.set_task(2, { id = 2, title = 'Two', section = 'inProgress', agent = 'claude', attempts = 1,
    runningSession = '2-abc', queued = false, lastGate = 'failed at test' })
  braid.set_task(3, { id = 3, title = 'Three', section = 'review', owner = 'codex', attempts = 0, queued = true,
    lastGate = 'passed', risk = { score = 40, level = 'medium', reasons = {} } })
  braid.set_task(4, { id = 4, title = 'Four', section = 'blocked', attempts = 3, queued = false,
    blockedReason = 'escalated after 3 tries' })
  local lines, task_lines = require('braid.board').lines()
  local text = table.concat(lines, '\n')
  assert(text:find('Todo (1)\n  #1    One', 1, true), text)
  assert(text:find('In Progress %(1%)\n  #2    Two .* owner claude +tries 1 +gate failed at test .*%[running%]'), text)
  assert(text:find('Review %(1%)\n  #3    Three .* owner codex .* gate passed +risk medium 40  %[queued%]'), text)
  assert(text:find('Blocked %(1%)\n  #4    Four .*\n        blocked: escalated after 3 tries'), text)
  assert(text:find('Done (0)', 1, true), text)
  local blocked_row
  for row, line in ipairs(lines) do
    if line:find('blocked: escalated', 1, true) then
      blocked_row = row
    end
  end
  eq(4, task_lines[blocked_row], 'the reason line belongs to its task')
  eq('1 running · 1 queued · 1 blocked', lines[2]:match('^%d.*blocked'), 'counts')
end)

test('the statusline counts what the plugin knows, and is empty when not connected', function()
  eq('', braid.statusline(), 'not connected')
  braid.state.client = {}
  eq('Braid 1 running · 1 queued · 1 blocked', braid.statusline(), 'connected')
  braid.state.client = nil
  braid.set_task(2, nil)
  eq({ 1, 3, 4 }, braid.state.order, 'a removed task leaves the board')
end)

test(':Braid completes subcommands, then task ids', function()
  local commands = require('braid.commands')
  eq({ 'reassign', 'reject', 'resume', 'retry', 'run' }, commands.complete('r', 'Braid r', 7), 'subcommands')
  eq({ '1', '3', '4' }, commands.complete('', 'Braid diff ', 11), 'ids')
  eq({}, commands.complete('', 'Braid run ', 10), 'run takes no id')
  eq(vim.fn.getcompletion('Braid st', 'cmdline'), { 'start', 'status', 'stop' }, 'through the command')
end)

if failed > 0 then
  io.stderr:write(('FAIL: %d unit test(s) failed\n'):format(failed))
  os.exit(1)
end
io.stdout:write('PASS: unit tests\n')
os.exit(0)
