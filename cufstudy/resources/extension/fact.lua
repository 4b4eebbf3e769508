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

The text is read as the embedded engine reads it: escaped as literal Markdown (cufstudy.core.french.escape_md)
and parsed by pandoc's Markdown reader, so it becomes words and spaces with the typographic apostrophe
(smart punctuation), which the French typography filter then spaces like the prose around it (a single Str
holding the whole sentence would keep its straight apostrophes and the spaces before ; and :).
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

-- the text as literal Markdown, as cufstudy.core.french.escape_md writes it: one line, the signs that have
-- a meaning in pandoc Markdown escaped, and a leading list, rule or title marker too
local function literal_markdown(text)
  local flat = text:gsub("[ \t\r\n]+", " "):gsub("^ ", ""):gsub(" $", "")
  local escaped = flat:gsub("([\\`*_{}%[%]<>#|~^$@&])", "\\%1")
  if escaped:match("^[-+%%:]") then
    return "\\" .. escaped
  end
  local head = escaped:match("^%(?%d+[.)]") or escaped:match("^%(?%a[.)]")
    or escaped:match("^%(?[ivxlcdmIVXLCDM]+[.)]")
  if head and (#head == #escaped or escaped:sub(#head + 1, #head + 1) == " ") then
    return head:sub(1, -2):gsub("%(", "\\(") .. "\\" .. escaped:sub(#head)
  end
  return escaped
end

-- the inlines pandoc reads from the text (words, spaces, ’), or the text as it is if it is not one paragraph
local function fact_inlines(text)
  local ok, doc = pcall(pandoc.read, literal_markdown(text), "markdown")
  if ok and #doc.blocks == 1 and (doc.blocks[1].t == "Para" or doc.blocks[1].t == "Plain") then
    return doc.blocks[1].content
  end
  return pandoc.Inlines({ pandoc.Str(text) })
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
    return fact_inlines(tostring(fact.text))
  end,
}
