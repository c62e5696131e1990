-- The JSON object `json` (text, not empty) with `fields` added first. The caller's text is kept as it is:
-- a cjson decode and encode would turn its empty arrays into objects and round its long numbers.
local function json_with_fields(fields, json)
  local added = cjson.encode(fields)
  return string.sub(added, 1, -2) .. ',' .. string.sub(json, 2)
end

