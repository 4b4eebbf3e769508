--[[
fact.lua: the {{< fact key >}} shortcode for real Quarto (>= 1.4).

Declared in _quarto.yml:

  shortcodes:
    - templates/quarto/fact.lua

It prints the French text of a named fact recorded by the notebooks in the project's facts store,
_build/facts.json ({"facts": {key: {"key", "value", "label", "unit", "text", "source"}}}), or the file
named by $CUFSTUDY_FACTS. A missing fact stops the render with the key and its near matches, so the
deliverables can never print a stale or invented number. The embedded engine implements the same
shortcode natively (cufstudy/render/shortcodes.py).
]]

local facts_cache = nil
local facts_file = nil

local function project_dir()
  if quarto and quarto.project and quarto.project.directory then
    return quarto.project.directory
  end
  return os.getenv("QUARTO_PROJECT_DIR") or "."
end

local function decode(text)
  if pandoc.json and pandoc.json.decode then
    return pandoc.json.decode(text, false)
  end
  return quarto.json.decode(text)
end

local function load_facts()
  if facts_cache then
    return facts_cache
  end
  facts_file = os.getenv("CUFSTUDY_FACTS") or pandoc.path.join({ project_dir(), "_build", "facts.json" })
  local fh = io.open(facts_file, "r")
  if fh == nil then
    error("fact shortcode: " .. facts_file .. " not found; run the notebooks first (cufstudy run)")
  end
  local text = fh:read("a")
  fh:close()
  local ok, data = pcall(decode, text)
  if not ok or type(data) ~= "table" or type(data.facts) ~= "table" then
    error("fact shortcode: " .. facts_file .. " is not a facts store ({\"facts\": {...}})")
  end
  facts_cache = data.facts
  return facts_cache
end

local function near(key)
  local tail = key:match("([^.]+)$") or key
  local found = {}
  for k, _ in pairs(load_facts()) do
    local ktail = k:match("([^.]+)$") or k
    if ktail == tail or k:find(key, 1, true) or key:find(k, 1, true) then
      found[#found + 1] = k
    end
  end
  table.sort(found)
  return found
end

return {
  ["fact"] = function(args, kwargs, meta)
    if #args ~= 1 then
      error("fact shortcode: expected one key, as in {{< fact n_cases >}}")
    end
    local key = pandoc.utils.stringify(args[1])
    local fact = load_facts()[key]
    if fact == nil or fact.text == nil then
      local hint = ""
      local candidates = near(key)
      if #candidates > 0 then
        hint = " (did you mean " .. table.concat(candidates, ", ", 1, math.min(3, #candidates)) .. "?)"
      end
      error("unknown fact '" .. key .. "' in " .. facts_file .. hint)
    end
    return pandoc.Str(tostring(fact.text))
  end,
}
