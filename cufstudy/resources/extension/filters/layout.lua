--[[
layout.lua: the page layout rules of the PDF deliverables that live in the document, not in the Typst
style (Quarto and the embedded engine run it alike; it does nothing for other formats).

* Every level-1 section of a long deliverable starts on a new page: a weak page break
  (`#pagebreak(weak: true)`: none at the top of a page) before each top-level level-1 heading, unless
  the document's `cufstudy-variant` is `brochure`. Typst refuses page breaks inside containers, and
  Quarto wraps some headings (an unnumbered `# Bibliographie {.unnumbered}`, say) in a `#block[...]`; a
  heading show rule calling `pagebreak` would then stop the compilation. Here the break is a block of
  its own, never inside the heading's container. A heading inside a callout or a div stays as it is.
* A heading's short lead paragraph (a question, one sentence introducing a table) is kept on the page of
  what follows it: it becomes a sticky block, so that the heading (sticky too in Typst) and its lead go to
  the next page with the table instead of ending a page alone (the preflight's heading rule).
* A chapter never ends with a few lines alone on its last page: the text blocks before its last block
  (up to about six lines of text: TAIL_CHARS) stick to it, so that when the last block does not fit, they
  go to the next page with it (the preflight's fill rule for a page ending a chapter). Notebook outputs
  (Divs that are not a figure, a table or a callout) are looked into for their last blocks.
* Table columns are sized by Typst to their content and wrapped to the text width ("auto"), which reads
  better than the relative widths pandoc takes from the dashes of a pipe table (a notebook's
  `DataFrame.to_markdown()` gives a narrow column to the longest text).
* DOCX: a table whose columns have no width, or equal widths (what pandoc takes from the `|---|---|` rule of
  a notebook's pipe table), gets widths in proportion to their content (the longest cell, at least its longest word, capped so that a long
  text column does not crush the others); and the brochure (`cufstudy-variant: brochure`), a document CUF's
  designer lays out again, keeps none of the forced page breaks (`{{< pagebreak >}}`) its PDF needs to
  fill four pages: its sections follow each other; its charts are placed a little smaller (80 % of the text width at most).
]]

local function variant(meta)
  local v = meta["cufstudy-variant"]
  return v and pandoc.utils.stringify(v) or "study"
end

-- the length of a lead paragraph that sticks to the next block: about two lines of text
local LEAD_CHARS = 240

-- a notebook output holding a heading (Quarto wraps it in cell Divs, Typst in a block): its blocks join the
-- flow of the page, so that the heading and its lead stick to the table of the next output
-- a figure or table a cross-reference points to (`#fig-...`, `#tbl-...`; `sec` adds the `#sec-...` sections)
local function is_target(block, sec)
  local id = block.identifier
  return id:match("^fig%-") or id:match("^tbl%-") or (sec and id:match("^sec%-")) and true or false
end

local function is_cell_with_heading(block)
  if block.t ~= "Div" then
    return false
  end
  local id = block.identifier
  if is_target(block, true) then
    return false  -- a cross-reference target keeps its label
  end
  -- only a notebook cell's output (Quarto's `cell`, `cell-output-display`, `quarto-embed-nb-cell`) or a bare Div: a Div an author
  -- styled (a callout, columns, `.note`) is a box of its own and keeps its content
  local cell = #block.classes == 0 and id == ""
  for _, class in ipairs(block.classes) do
    if class:match("cell") then  -- cell, cell-output-display, quarto-embed-nb-cell
      cell = true
    end
  end
  if not cell then
    return false
  end
  for _, inner in ipairs(block.content) do
    if inner.t == "Header" then
      return true
    end
  end
  return false
end

local function sticky_leads(blocks)
  local flat = pandoc.List()
  for _, block in ipairs(blocks) do
    if is_cell_with_heading(block) then
      flat:extend(block.content)
    else
      flat:insert(block)
    end
  end
  blocks = flat
  local out = pandoc.List()
  for i, block in ipairs(blocks) do
    local prev = blocks[i - 1]
    if prev and prev.t == "Header" and (block.t == "Para" or block.t == "Plain")
        and #pandoc.utils.stringify(block) <= LEAD_CHARS then
      out:insert(pandoc.RawBlock("typst", "#block(sticky: true)["))
      out:insert(block)
      out:insert(pandoc.RawBlock("typst", "]"))
    else
      out:insert(block)
    end
  end
  return out
end

-- the text that sticks to a chapter's last block: about six lines of the text width
local TAIL_CHARS = 600
local TEXT = { Para = true, Plain = true, BulletList = true, OrderedList = true, DefinitionList = true }

local function is_box(block)
  if block.t ~= "Div" then
    return false
  end
  if is_target(block, false) then
    return true
  end
  for _, class in ipairs(block.classes) do
    if class:match("callout") or class:match("^column") then
      return true
    end
  end
  return false
end

-- `blocks` with the blocks of the `open` indices wrapped in Typst's `#block(<options>)[...]`, inline (a Div
-- would add a block of its own around it, and the option would then apply inside that block only)
local function wrapped(blocks, options)
  local out = pandoc.List()
  for i, block in ipairs(blocks) do
    if options[i] then
      out:insert(pandoc.RawBlock("typst", "#block(" .. options[i] .. ")["))
      out:insert(block)
      out:insert(pandoc.RawBlock("typst", "]"))
    else
      out:insert(block)
    end
  end
  return out
end

-- the text blocks before the last one of `blocks` made to stick to it (and a short last block kept whole):
-- the new list, or nil when the tail is not text
local function stick_tail(blocks)
  local n = #blocks
  while n > 0 and blocks[n].t == "RawBlock" do
    n = n - 1
  end
  if n == 0 then
    return nil
  end
  local last = blocks[n]
  if last.t == "Div" and not is_box(last) then
    local inner = stick_tail(last.content)
    if inner then
      last.content = inner
      return blocks
    end
  end
  if not (TEXT[last.t] or last.t == "Div") then
    return nil
  end
  local options = {}
  local gathered = #pandoc.utils.stringify(last)
  if TEXT[last.t] and gathered < TAIL_CHARS then
    options[n] = "breakable: false"  -- a short last block moves whole: no last line alone on a page
  end
  local i = n - 1
  while i > 0 and gathered < TAIL_CHARS and TEXT[blocks[i].t] do
    gathered = gathered + #pandoc.utils.stringify(blocks[i])
    options[i] = "sticky: true"
    i = i - 1
  end
  if i == n - 1 then
    return nil
  end
  return wrapped(blocks, options)
end

local function stick_chapter_tails(blocks)
  local chapter = pandoc.List()
  local out = pandoc.List()
  local function flush()
    out:extend(stick_tail(chapter) or chapter)
    chapter = pandoc.List()
  end
  for _, block in ipairs(blocks) do
    if block.t == "Header" and block.level == 1 then
      flush()
    end
    chapter:insert(block)
  end
  flush()
  return out
end

-- DOCX: the relative width of each column of a table, from the length of its cells' text. A column is given
-- its share of the longest cell (capped, so that a long text does not crush the others), and never less than
-- its longest word needs (a word is not broken: "Missions" must fit its header cell)
local MAX_CHARS = 60
local LINE_CHARS = 72 -- about the characters of body text across the text width (10.5 pt Arial, 16.6 cm)

local function cell_texts(tbl)
  local rows = pandoc.List()
  for _, row in ipairs(tbl.head.rows) do rows:insert(row) end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.head) do rows:insert(row) end
    for _, row in ipairs(body.body) do rows:insert(row) end
  end
  return rows
end

local function content_widths(tbl)
  local n = #tbl.colspecs
  local chars, floors = {}, {}
  for i = 1, n do chars[i], floors[i] = 1, 0 end
  for _, row in ipairs(cell_texts(tbl)) do
    for i, cell in ipairs(row.cells) do
      if i <= n then
        local text = pandoc.utils.stringify(cell.contents)
        for word in text:gmatch("%S+") do
          -- the word, bold in a header, and the cell's margins
          floors[i] = math.max(floors[i], ((utf8.len(word) or #word) * 1.15 + 2) / LINE_CHARS)
        end
        chars[i] = math.max(chars[i], math.min(utf8.len(text) or #text, MAX_CHARS))
      end
    end
  end
  -- shares in proportion to the content; a column under its floor is held at it, the others share the rest
  local fixed = {}
  for _ = 1, n do
    local free, room = 0, 1
    for i = 1, n do
      if fixed[i] then room = room - floors[i] else free = free + chars[i] end
    end
    local changed = false
    for i = 1, n do
      if not fixed[i] and room > 0 and chars[i] / free * room < floors[i] then
        fixed[i], changed = true, true
      end
    end
    if not changed then break end
  end
  local free, room = 0, 1
  for i = 1, n do
    if fixed[i] then room = room - floors[i] else free = free + chars[i] end
  end
  local shares = {}
  for i = 1, n do
    shares[i] = fixed[i] and floors[i] or (free > 0 and chars[i] / free * math.max(room, 0) or 0)
  end
  return shares
end

-- widths none, or all equal (what pandoc derives from a pipe table's `|---|---|` rule): not the author's
local function unsized(colspecs)
  local first = nil
  for _, spec in ipairs(colspecs) do
    local w = spec[2]
    if type(w) == "number" then
      if first == nil then first = w end
      if math.abs(w - first) > 1e-6 then return false end
    end
  end
  return true
end

local function docx_table(tbl)
  if not unsized(tbl.colspecs) then
    return nil -- widths given by the author (a grid table, `tbl-colwidths`): kept
  end
  local shares = content_widths(tbl)
  local total = 0
  for _, share in ipairs(shares) do total = total + share end
  if total <= 0 then return nil end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], shares[i] / total }
  end
  return tbl
end

-- the brochure's DOCX: a chart as wide as the text is placed at this share of it (the map, the typology
-- scheme), the others at this scale of their natural size, so that the text around them keeps its page
-- (4 to 5 pages in Word or LibreOffice); the designer places the pack's SVG files anyway
local BROCHURE_FULL_WIDTH, BROCHURE_SCALE = "80%", 0.85

local function is_page_break(block)
  return block.t == "RawBlock" and block.format == "openxml" and block.text:match('w:type="page"') ~= nil
end

return {
  {
    Pandoc = function(doc)
      if not FORMAT:match("docx") or variant(doc.meta) ~= "brochure" then
        return nil
      end
      doc.blocks = doc.blocks:walk({
        RawBlock = function(block)
          if is_page_break(block) then return {} end
        end,
        Image = function(img)
          local width = img.attributes.width
          if width == "100%" then
            img.attributes.width = BROCHURE_FULL_WIDTH
            return img
          end
          local inches = width and tonumber(width:match("^([%d.]+)in$"))
          if inches then
            img.attributes.width = string.format("%.2fin", inches * BROCHURE_SCALE)
            return img
          end
        end,
      })
      return doc
    end,
    Table = function(tbl)
      if FORMAT:match("docx") then
        return docx_table(tbl)
      end
      return nil
    end,
  },
  {
    Blocks = function(blocks)
      if FORMAT ~= "typst" then
        return nil
      end
      return sticky_leads(blocks)
    end,
    Table = function(tbl)
      if FORMAT ~= "typst" then
        return nil
      end
      for i, spec in ipairs(tbl.colspecs) do
        tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
      end
      return tbl
    end,
  },
  {
    Pandoc = function(doc)
      if FORMAT ~= "typst" or variant(doc.meta) == "brochure" then
        return nil
      end
      local blocks = pandoc.List()
      for _, block in ipairs(stick_chapter_tails(doc.blocks)) do
        if block.t == "Header" and block.level == 1 then
          blocks:insert(pandoc.RawBlock("typst", "#pagebreak(weak: true)"))
        end
        blocks:insert(block)
      end
      doc.blocks = blocks
      return doc
    end,
  },
}
