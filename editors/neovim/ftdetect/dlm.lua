-- `*.dlm` documents get their own filetype so the language server (filetypes =
-- { 'dlm' }) attaches to them and to nothing else. vim.filetype.add is idempotent,
-- so sourcing this file twice (plugin managers sometimes do) is harmless.
vim.filetype.add({ extension = { dlm = 'dlm' } })
