--[[
crossref.lua: Quarto cross-references for the embedded engine (Quarto resolves its own).

@fig-x, @tbl-x and @sec-x (pandoc parses them as citations) become « Figure 1 », « Tableau 2 »,
« section 3.1 » linked to their target; [-@fig-x] prints the number only. The words are the project's
`crossref:` `fig-prefix`, `tbl-prefix` and `sec-prefix` (as Quarto reads them); a section is « section 2 » in
lower case by default, as French writes it in running text. Must run before --citeproc,
which then sees only real citations. Figures are pandoc Figures with a fig- identifier, tables pandoc
Tables with a tbl- identifier, sections headings with a sec- identifier.

* HTML, DOCX: this filter numbers the figures and tables in document order and prefixes their
  captions (« Figure 1 : ... »);
* Typst: references become #ref(<fig-x>), and typst numbers (the template sets the French supplements
  and the caption separator), so the numbers always agree with the page.

Unresolved references are reported by the source scan before pandoc runs (with file and line); this
filter only fails if one slips through.
]]

local NBSP = "\u{00A0}"
local PREFIX = { fig = "Figure", tbl = "Tableau", sec = "section" }

-- the prefixes of the project's `crossref:` metadata, over the defaults
local function read_prefixes(meta)
  local crossref = meta.crossref
  if type(crossref) ~= "table" then
    return
  end
  for k in pairs(PREFIX) do
    local value = crossref[k .. "-prefix"]
    if value ~= nil then
      PREFIX[k] = pandoc.utils.stringify(value)
    end
  end
end

local numbers = {}   -- id -> number text
local titles = {}    -- sec id -> title inlines
local number_sections = false

local function kind_of(id)
  return id:match("^(%a+)%-") and PREFIX[id:match("^(%a+)%-")] and id:match("^(%a+)%-")
end

local function collect(doc)
  local counts = { fig = 0, tbl = 0 }
  local levels = { 0, 0, 0, 0, 0, 0 }
  doc:walk({
    traverse = "topdown",
    Header = function(h)
      local numbered = number_sections and not h.classes:includes("unnumbered")
      if numbered then
        levels[h.level] = levels[h.level] + 1
        for l = h.level + 1, 6 do
          levels[l] = 0
        end
      end
      if h.identifier:match("^sec%-") then
        titles[h.identifier] = h.content
        if numbered then
          local parts = {}
          for l = 1, h.level do
            parts[#parts + 1] = tostring(levels[l])
          end
          -- drop leading zeros (a document starting at level 2)
          local text = table.concat(parts, "."):gsub("^0%.", ""):gsub("^0%.", "")
          numbers[h.identifier] = text
        end
      end
    end,
    Figure = function(f)
      if f.identifier:match("^fig%-") then
        counts.fig = counts.fig + 1
        numbers[f.identifier] = tostring(counts.fig)
      end
    end,
    Table = function(t)
      if t.identifier:match("^tbl%-") then
        counts.tbl = counts.tbl + 1
        numbers[t.identifier] = tostring(counts.tbl)
      end
    end,
  })
end

local function prefix_caption(caption, id)
  local n = numbers[id]
  if n == nil or FORMAT == "typst" then
    return caption
  end
  local label = pandoc.Inlines({
    pandoc.Str(PREFIX[kind_of(id)]), pandoc.Str(NBSP .. n), pandoc.Str(NBSP .. ":"), pandoc.Space(),
  })
  local long = caption.long
  if #long == 0 then
    caption.long = { pandoc.Plain({ pandoc.Str(PREFIX[kind_of(id)]), pandoc.Str(NBSP .. n) }) }
  elseif long[1].t == "Plain" or long[1].t == "Para" then
    label:extend(long[1].content)
    long[1].content = label
  else
    long:insert(1, pandoc.Plain(label))
  end
  return caption
end

-- French spaces in a title written as raw Typst (the typography filter does not see raw inlines)
local function typeset_raw(text)
  text = text:gsub(" :", NBSP .. ":"):gsub(" »", NBSP .. "»"):gsub(" ([;!?])", "\u{202F}%1")
  return text
end

local function typst_ref(id, suppress)
  local k = kind_of(id)
  if k == "sec" and numbers[id] == nil then
    local title = pandoc.write(pandoc.Pandoc({ pandoc.Plain(titles[id] or {}) }), "typst"):gsub("%s+$", "")
    return pandoc.RawInline("typst", "#link(<" .. id .. ">)[section «" .. NBSP .. typeset_raw(title) .. NBSP .. "»]")
  end
  if suppress then
    return pandoc.RawInline("typst", "#ref(<" .. id .. ">, supplement: none)")
  end
  if k == "sec" then -- the word of the metadata, not the heading's supplement of the template
    return pandoc.RawInline("typst", "#ref(<" .. id .. ">, supplement: [" .. PREFIX.sec .. "])")
  end
  return pandoc.RawInline("typst", "#ref(<" .. id .. ">)")
end

local function text_ref(id, suppress)
  local k = kind_of(id)
  local inlines
  if k == "sec" and numbers[id] == nil then
    inlines = pandoc.Inlines({ pandoc.Str("section"), pandoc.Space(), pandoc.Str("«" .. NBSP) })
    inlines:extend(titles[id] or {})
    inlines:insert(pandoc.Str(NBSP .. "»"))
  elseif suppress then
    inlines = pandoc.Inlines({ pandoc.Str(numbers[id]) })
  else
    inlines = pandoc.Inlines({ pandoc.Str(PREFIX[k] .. NBSP .. numbers[id]) })
  end
  return pandoc.Link(inlines, "#" .. id)
end

local function is_crossref(citation)
  return kind_of(citation.id) ~= nil
end

local function Cite(cite)
  local refs = pandoc.List()
  for _, c in ipairs(cite.citations) do
    if is_crossref(c) then
      refs:insert(c)
    end
  end
  if #refs == 0 then
    return nil -- a bibliographic citation: left to citeproc
  end
  if #refs ~= #cite.citations then
    error("cannot mix cross-references and citations in one bracket: " .. pandoc.utils.stringify(cite.content))
  end
  local out = pandoc.Inlines({})
  for i, c in ipairs(refs) do
    local known = numbers[c.id] ~= nil or titles[c.id] ~= nil
    if not known then
      error("unresolved cross-reference @" .. c.id)
    end
    if i > 1 then
      out:insert(pandoc.Str(i == #refs and "" or ","))
      out:insert(pandoc.Space())
      if i == #refs then
        out:insert(pandoc.Str("et"))
        out:insert(pandoc.Space())
      end
    end
    local suppress = c.mode == "SuppressAuthor"
    if FORMAT == "typst" then
      out:insert(typst_ref(c.id, suppress))
    else
      out:insert(text_ref(c.id, suppress))
    end
    out:extend(c.suffix)
  end
  -- keep the user's text around a single reference, e.g. [voir @fig-x]
  return out
end

function Pandoc(doc)
  number_sections = PANDOC_WRITER_OPTIONS.number_sections
    or (doc.meta["number-sections"] == true)
    or (doc.meta["section-numbering"] ~= nil)
  read_prefixes(doc.meta)
  collect(doc)
  doc = doc:walk({
    Figure = function(f)
      f.caption = prefix_caption(f.caption, f.identifier)
      return f
    end,
    Table = function(t)
      t.caption = prefix_caption(t.caption, t.identifier)
      return t
    end,
    Cite = Cite,
  })
  return doc
end
