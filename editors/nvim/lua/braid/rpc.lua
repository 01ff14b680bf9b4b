-- JSON-RPC 2.0 over a child's stdin/stdout, with LSP's Content-Length framing.
--
-- Why not vim.lsp.rpc.start: Braid asks the editor questions (`window/showMessageRequest` for an
-- escalation) whose answer comes from vim.ui.select, which is asynchronous by contract. The
-- `server_request` dispatcher of vim.lsp.rpc must return its result synchronously (an async answer
-- only works by yielding the coroutine it happens to run in, an undocumented detail), and it cannot
-- answer JSON `null` explicitly, which is how a dismissed escalation is told. The transport itself is
-- small, so it is done here on vim.system: requests get callbacks, server requests get a `reply`
-- function that may be called later, exactly once.

local M = {}

---@class braid.rpc.Client
---@field proc vim.SystemObj
---@field closed boolean
---@field exit_code integer?
local Client = {}
Client.__index = Client

local function decode(body)
  return vim.json.decode(body, { luanil = { object = true, array = true } })
end

--- Splits complete messages off the front of `buffer`; returns them and what remains.
--- Header names are matched case-insensitively; a header block without a valid
--- Content-Length is skipped.
---@param buffer string
---@return string[] bodies, string rest
function M.parse_frames(buffer)
  local bodies = {}
  while true do
    local header_end = buffer:find('\r\n\r\n', 1, true)
    if not header_end then
      break
    end
    local header = buffer:sub(1, header_end - 1)
    local length = tonumber(header:lower():match('content%-length:%s*(%d+)'))
    if not length then
      buffer = buffer:sub(header_end + 4)
    else
      local body_start = header_end + 4
      if #buffer < body_start + length - 1 then
        break
      end
      bodies[#bodies + 1] = buffer:sub(body_start, body_start + length - 1)
      buffer = buffer:sub(body_start + length)
    end
  end
  return bodies, buffer
end

--- Frames one message.
---@param message table
---@return string
function M.frame(message)
  local body = vim.json.encode(message)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

---@class braid.rpc.Handlers
---@field on_notification? fun(method: string, params: any)
---@field on_request? fun(method: string, params: any, reply: fun(result: any, err: table?))
---@field on_exit? fun(code: integer, signal: integer)

--- Starts `cmd` and speaks JSON-RPC with it.
---@param cmd string[]
---@param opts { cwd?: string, env?: table<string,string> }
---@param handlers braid.rpc.Handlers
---@return braid.rpc.Client
function M.start(cmd, opts, handlers)
  local self = setmetatable({
    next_id = 0,
    pending = {},
    buffer = '',
    stderr = {},
    closed = false,
    handlers = handlers,
  }, Client)
  self.proc = vim.system(cmd, {
    cwd = opts.cwd,
    env = opts.env,
    stdin = true,
    text = false,
    stdout = function(_, data)
      if not data then
        return
      end
      -- A fast (libuv) callback: only string work here, everything else on the main loop.
      local bodies
      bodies, self.buffer = M.parse_frames(self.buffer .. data)
      if #bodies > 0 then
        vim.schedule(function()
          for _, body in ipairs(bodies) do
            self:_dispatch(body)
          end
        end)
      end
    end,
    stderr = function(_, data)
      if data then
        for line in data:gmatch('[^\n]+') do
          table.insert(self.stderr, line)
          if #self.stderr > 50 then
            table.remove(self.stderr, 1)
          end
        end
      end
    end,
  }, function(result)
    vim.schedule(function()
      self:_closed(result.code, result.signal)
    end)
  end)
  return self
end

function Client:_dispatch(body)
  local ok, message = pcall(decode, body)
  if not ok or type(message) ~= 'table' then
    return
  end
  if message.method then
    if message.id ~= nil then
      self:_serve(message)
    elseif self.handlers.on_notification then
      self.handlers.on_notification(message.method, message.params)
    end
  elseif message.id ~= nil then
    local callback = self.pending[message.id]
    self.pending[message.id] = nil
    if callback then
      callback(message.error, message.result)
    end
  end
end

--- A request from the server: answered exactly once, whenever the handler calls `reply`.
function Client:_serve(message)
  local answered = false
  local function reply(result, err)
    if answered then
      return
    end
    answered = true
    local response = { jsonrpc = '2.0', id = message.id }
    if err then
      response.error = err
    else
      response.result = result == nil and vim.NIL or result
    end
    self:_write(response)
  end
  if not self.handlers.on_request then
    return reply(nil, { code = -32601, message = 'method not found: ' .. message.method })
  end
  local ok, err = pcall(self.handlers.on_request, message.method, message.params, reply)
  if not ok then
    reply(nil, { code = -32603, message = tostring(err) })
  end
end

function Client:_write(message)
  if self.closed then
    return false
  end
  return pcall(self.proc.write, self.proc, M.frame(message))
end

function Client:_closed(code, signal)
  self.closed = true
  self.exit_code = code
  local pending = self.pending
  self.pending = {}
  for _, callback in pairs(pending) do
    callback({ code = -32099, message = 'braid serve exited (code ' .. tostring(code) .. ')' }, nil)
  end
  if self.handlers.on_exit then
    self.handlers.on_exit(code, signal)
  end
end

--- Sends a request; `callback(err, result)` gets the answer (err is a JSON-RPC error object).
---@param method string
---@param params table?
---@param callback fun(err: table?, result: any)?
---@return integer? id
function Client:request(method, params, callback)
  callback = callback or function() end
  if self.closed then
    callback({ code = -32099, message = 'braid serve is not running' }, nil)
    return nil
  end
  self.next_id = self.next_id + 1
  local id = self.next_id
  self.pending[id] = callback
  self:_write({ jsonrpc = '2.0', id = id, method = method, params = params })
  return id
end

--- Sends a request and waits for its answer (at most `timeout` ms, a guard against hangs).
---@return any result, table? err
function Client:request_sync(method, params, timeout)
  local done, err, result = false, nil, nil
  local id = self:request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout or 10000, function()
    return done
  end, 10) then
    if id then
      self.pending[id] = nil
      self:notify('$/cancelRequest', { id = id })
    end
    return nil, { code = -32800, message = method .. ': no answer within ' .. tostring(timeout or 10000) .. ' ms' }
  end
  return result, err
end

---@param method string
---@param params table?
function Client:notify(method, params)
  return self:_write({ jsonrpc = '2.0', method = method, params = params })
end

--- LSP's goodbye: `shutdown`, then `exit`, then the end of its input. `on_done(code)` once the
--- process has exited (it is killed if it has not within `timeout` ms).
function Client:stop(on_done, timeout)
  local function finish()
    if self.closed then
      if on_done then
        on_done(self.exit_code)
      end
      return
    end
    self:notify('exit')
    pcall(self.proc.write, self.proc, nil)
    local timer = vim.uv.new_timer()
    local waited = 0
    timer:start(20, 20, vim.schedule_wrap(function()
      waited = waited + 20
      if self.closed or waited >= (timeout or 3000) then
        timer:stop()
        timer:close()
        if not self.closed then
          self.proc:kill('sigterm')
        end
        if on_done then
          vim.wait(1000, function()
            return self.closed
          end, 10)
          on_done(self.exit_code)
        end
      end
    end))
  end
  if self.closed then
    return finish()
  end
  local finished = false
  local function once()
    if not finished then
      finished = true
      finish()
    end
  end
  self:request('shutdown', nil, once)
  -- A server that does not answer is not waited for forever.
  vim.defer_fn(once, timeout or 3000)
end

function Client:is_running()
  return not self.closed
end

return M
