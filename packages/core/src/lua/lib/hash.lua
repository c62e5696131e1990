-- The fields of a hash that are set, as a table of name to value (unset fields left out).
local function hash_fields(key, names)
  local values = redis.call('HMGET', key, unpack(names))
  local fields = {}
  for index, name in ipairs(names) do
    if values[index] then fields[name] = values[index] end
  end
  return fields
end
