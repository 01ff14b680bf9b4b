-- Registers :Braid; everything else loads on first use.
if vim.g.loaded_braid then
  return
end
vim.g.loaded_braid = 1

vim.api.nvim_create_user_command('Braid', function(opts)
  require('braid.commands').run(opts)
end, {
  nargs = '*',
  bang = true,
  desc = 'Braid: supervise coding agents (status, add, run, diff, log, open, ...)',
  complete = function(arglead, cmdline, pos)
    return require('braid.commands').complete(arglead, cmdline, pos)
  end,
})
