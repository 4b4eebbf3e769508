--[[
typography-fr.lua: French typography for every output format (Quarto and the embedded engine).

* a no-break space (U+00A0) before ":" and inside guillemets « »;
* a narrow no-break space (U+202F) before ";", "!" and "?", and between a number and "%" ("1 %");
* "quoted" text (pandoc's Quoted elements) becomes « quoted »; nested 'quotes' become “quotes”, and so do
  guillemets typed inside guillemets (« la modalité « 1 % » » -> « la modalité “1 %” »);

An ordinary space before the sign is replaced; a missing one is added when the sign ends a word
("Attention!" -> "Attention !"), never inside a token such as a URL ("https://x.org/?a=1"), a time
("10:30") or a ratio ("1:2"). Code, raw blocks and link targets are never touched (they are not text
inlines in the pandoc tree). Runs before Quarto's own filters; idempotent.
]]

local NBSP = "\u{00A0}"
-- a sign this filter acts on: ; : ! ? % and the first byte of « and » (and of the other Latin-1 signs)
local SIGNS = "[;:!?%%\194]"
local NNBSP = "\u{202F}"

local function space_for(sign)
  if sign == ":" or sign == "»" then
    return NBSP
  end
  return NNBSP
end

-- first UTF-8 character of s
local function first_char(s)
  return s:match("^[%z\1-\127\194-\244][\128-\191]*") or ""
end

-- last UTF-8 character of s
local function last_char(s)
  return s:match("[%z\1-\127\194-\244][\128-\191]*$") or ""
end

local OPENERS = { [";"] = true, [":"] = true, ["!"] = true, ["?"] = true, ["»"] = true }
local HIGH = { [";"] = true, ["!"] = true, ["?"] = true }
local NO_SPACE_AFTER = {
  [" "] = true, [NBSP] = true, [NNBSP] = true, ["("] = true, ["["] = true, ["«"] = true,
  ["/"] = true, ["'"] = true, ["’"] = true, ["\""] = true, [";"] = true, [":"] = true,
  ["!"] = true, ["?"] = true, ["…"] = true, ["-"] = true,
}

-- Add the missing spaces inside one Str (no ordinary spaces in a pandoc Str).
local function fix_str(text)
  local chars = {}
  for ch in text:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    chars[#chars + 1] = ch
  end
  local out = {}
  for i, ch in ipairs(chars) do
    local prev = chars[i - 1]
    local nxt = chars[i + 1]
    if prev == "«" and ch ~= NBSP and ch ~= NNBSP then
      out[#out + 1] = NBSP -- «oui -> « oui
    elseif prev and not NO_SPACE_AFTER[prev] then
      if ch == "»" then
        out[#out + 1] = NBSP -- oui» -> oui »
      elseif HIGH[ch] and (nxt == nil or nxt == "»" or nxt == ")" or HIGH[nxt]) then
        -- "Vraiment?" "Non!" "Ah?!" -- but not "page.php?id=3"
        out[#out + 1] = NNBSP
      elseif ch == ":" and nxt == nil and not prev:match("^%d$") then
        out[#out + 1] = NBSP -- "Note:" -> "Note :", but not "10:30" or "https://"
      end
    end
    out[#out + 1] = ch
  end
  return table.concat(out)
end

local function is_space(el)
  return el and (el.t == "Space" or el.t == "SoftBreak")
end

local function fix_inlines(inlines)
  -- most lists have no sign and no quotation (stringify prints a Quoted between “ ” or ‘ ’): left as they
  -- are, without a walk in Lua
  local plain = pandoc.utils.stringify(inlines)
  if not (plain:find(SIGNS) or plain:find("“", 1, true) or plain:find("‘", 1, true)) then
    return nil
  end
  local result = pandoc.List()
  local changed = false
  local guillemets = false
  -- pass 1: quotes and Str contents
  for _, el in ipairs(inlines) do
    if el.t == "Quoted" then
      changed = true
      guillemets = true
      if el.quotetype == "DoubleQuote" then
        result:insert(pandoc.Str("«" .. NBSP))
        result:extend(el.content)
        result:insert(pandoc.Str(NBSP .. "»"))
      else
        result:insert(pandoc.Str("“"))
        result:extend(el.content)
        result:insert(pandoc.Str("”"))
      end
    elseif el.t == "Str" and el.text:find(SIGNS) then
      local text = el.text
      local fixed = fix_str(text)
      if fixed ~= text then
        changed = true
        result:insert(pandoc.Str(fixed))
      else
        result:insert(el)
      end
      guillemets = guillemets or fixed:find("«", 1, true) ~= nil or fixed:find("»", 1, true) ~= nil
    else
      result:insert(el)
    end
  end
  -- pass 2: spaces around the signs
  local n = #result
  for i = 1, n do
    local el = result[i]
    if is_space(el) then
      local nxt = result[i + 1]
      local prev = result[i - 1]
      if nxt and nxt.t == "Str" then
        local c = first_char(nxt.text)
        if OPENERS[c] then
          result[i] = pandoc.Str(space_for(c))
          changed = true
        end
      end
      if result[i] == el and prev and prev.t == "Str" and last_char(prev.text) == "«" then
        result[i] = pandoc.Str(NBSP)
        changed = true
      end
      -- "1 %" -> a narrow no-break space between a number and the percent sign
      if result[i] == el and prev and prev.t == "Str" and prev.text:match("%d$")
          and nxt and nxt.t == "Str" and first_char(nxt.text) == "%" then
        result[i] = pandoc.Str(NNBSP)
        changed = true
      end
    end
  end
  if not guillemets then
    -- nothing for pass 3; nil keeps pandoc's own list when nothing changed (no copy back)
    return changed and result or nil
  end
  -- pass 3: a quotation inside a quotation goes between “ ” (« la modalité « 1 % » » -> « la modalité “1 %” »)
  local depth = 0
  local nested = pandoc.List()
  for _, el in ipairs(result) do
    if el.t == "Str" and (el.text:find("«", 1, true) or el.text:find("»", 1, true)) then
      local out = {}
      for ch in el.text:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
        if ch == "«" then
          depth = depth + 1
          out[#out + 1] = depth > 1 and "“" or ch
        elseif ch == "»" then
          out[#out + 1] = depth > 1 and "”" or ch
          depth = math.max(depth - 1, 0)
        else
          out[#out + 1] = ch
        end
      end
      el = pandoc.Str((table.concat(out):gsub("“" .. NBSP, "“"):gsub(NBSP .. "”", "”")))
    end
    local prev = nested[#nested]
    if el.t == "Str" and el.text == NBSP and prev and prev.t == "Str" and last_char(prev.text) == "“" then
      -- the space after an inner opening quote goes
    elseif el.t == "Str" and first_char(el.text) == "”" and prev and prev.t == "Str" and prev.text == NBSP then
      nested[#nested] = el
    else
      nested:insert(el)
    end
  end
  return nested
end

return {
  { Inlines = fix_inlines },
}
