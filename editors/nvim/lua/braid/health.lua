-- `:checkhealth braid`: the executable, its version, the repository, and the daemon's answer.

local M = {}

function M.check()
  local braid = require('braid')
  local health = vim.health

  health.start('braid: executable')
  local executable = braid.config.executable
  local path = vim.fn.exepath(executable)
  if path == '' then
    health.error(('%q not found'):format(executable), {
      'Install braid, or set its path: require("braid").setup({ executable = "/path/to/braid" })',
    })
    return
  end
  health.ok('found ' .. path)
  local ok, result = pcall(function()
    return vim.system({ path, 'version' }, { text = true }):wait(10000)
  end)
  if ok and result.code == 0 then
    health.ok('version: ' .. vim.trim(result.stdout))
  else
    health.error(('`%s version` failed: %s'):format(path, ok and vim.trim(result.stderr or '') or tostring(result)))
  end

  health.start('braid: repository')
  local root = braid.root()
  if not root then
    health.error('not inside a git repository', { ':cd into the repository, or set `root` in setup()' })
    return
  end
  if vim.uv.fs_stat(root .. '/.braid/config.json') then
    health.ok(root .. ' is a Braid repository')
  else
    health.error(root .. ' is not a Braid repository (no .braid/config.json)', { 'Run `braid init` in it' })
    return
  end

  health.start('braid: daemon')
  local pong, err = braid.request_sync('braid/ping', { roundTrip = true }, 15000)
  if pong and pong.pong then
    health.ok('the daemon answered braid/ping' .. (pong.client and ', and this editor answered its client/ping' or ''))
  else
    health.error('braid/ping: ' .. (err and tostring(err.message) or 'no answer'))
    return
  end
  local version = braid.request_sync('braid/version', nil, 10000)
  if version then
    health.info(('server: %s %s, protocol %s'):format(version.name, version.version, version.protocolVersion))
  end
  health.info(braid.statusline())
end

return M
