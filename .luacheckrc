-- The Lua scripts Redis runs (Lua 5.1 with Redis's libraries), and the libraries prepended to them.
std = 'lua51'
max_line_length = 120
read_globals = { 'KEYS', 'ARGV', 'redis', 'cjson', 'cmsgpack', 'bit', 'struct', 'unpack' }

-- A library defines functions for the scripts that include it: not every script uses each of them.
-- (Their functions are snake_case, their locals camelCase: only an unused function is let pass.)
files['packages/core/src/lua/lib/'] = { ignore = { '211/%l+_[%l_]+' } }
-- The attempts library uses the functions of the libraries put before it.
files['packages/core/src/lua/lib/attempts.lua'] = {
  ignore = { '211/%l+_[%l_]+' }, read_globals = { 'hash_fields', 'json_with_fields', 'iso_time' },
}

-- The libraries' functions, prepended to a script's text when it is assembled (packages/core/src/lua-script.ts).
files['packages/*/src/lua/*.lua'] = {
  read_globals = {
    'redis_now_ms', 'iso_time', 'limiter_free', 'limiter_take', 'limiter_release', 'schedule_due', 'json_with_fields',
    'hash_fields', 'attempts_with_ended', 'json_with_raw_field',
  },
}
files['apps/*/src/lua/*.lua'] = files['packages/*/src/lua/*.lua']
-- The batch's runner follows the `steps` table that holds the scripts it runs (packages/core/src/script-batcher.ts).
files['packages/core/src/lua/run-batch.lua'] = { read_globals = { 'steps' } }
