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
  the next page with the table instead of ending a page alone (the preflight's heading rule). So does a
  title set as a bold paragraph (a portrait's name, `**Stratégie.**` over its list): Typst sees no heading
  there, the reader does.
* A chapter never ends with a few lines alone on its last page: the text blocks before its last block
  (up to about six lines of text: TAIL_CHARS, a longer block never) stick to it, so that when the last
  block does not fit, they go to the next page with it (the preflight's fill rule for a page ending a
  chapter). Notebook outputs
  (Divs that are not a figure, a table or a callout) are looked into for their last blocks.
* PDF: a table that fits the text width on one line per cell is sized by Typst to its content ("auto"); a
  wide one gets each column a share that follows its text, each at least its longest word and at most its
  longest cell (content_widths, calibrated on the PDF's table text), where Typst's auto columns share the
  width equally between every long column (a column of long explanations as narrow as the column of short
  titles beside it).
* DOCX: a table whose columns have no width, or equal widths (what pandoc takes from the `|---|---|` rule of
  a notebook's pipe table), gets widths in proportion to their content (the longest cell, at least its longest word, capped so that a long
  text column does not crush the others); and the brochure (`cufstudy-variant: brochure`), a document CUF's
  designer lays out again, keeps none of the forced page breaks (`{{< pagebreak >}}`) its PDF needs to
  fill four pages: its sections follow each other; its charts are placed smaller (55 % of the text width at
  most), so that it reads on four pages.
]]

local function variant(meta)
  local v = meta["cufstudy-variant"]
  return v and pandoc.utils.stringify(v) or "study"
end

-- the length of a lead paragraph that sticks to the next block: about two lines of text
local LEAD_CHARS = 240

-- a notebook output holding a heading, or a table right after a heading or its lead (Quarto wraps each output
-- in cell Divs, Typst prints a Div as a block): its blocks join the flow of the page, so that a heading and its
-- lead stick to the table of the next output (a float's parts, a table elsewhere, keep their Div). A Div's block may start empty at the foot of a page, and a sticky lead kept with that empty
-- start left the heading alone there (Quarto's guide, « Les référents dans les autres services »)
-- a figure or table a cross-reference points to (`#fig-...`, `#tbl-...`; `sec` adds the `#sec-...` sections)
local function is_target(block, sec)
  local id = block.identifier
  return id:match("^fig%-") or id:match("^tbl%-") or (sec and id:match("^sec%-")) and true or false
end

local function is_flowing_cell(block, titled_before)
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
  for key, _ in pairs(block.attributes) do
    if key:match("^__quarto") then
      return false  -- a part of one of Quarto's own nodes (a float and its caption): Quarto reads it back
    end
  end
  for _, inner in ipairs(block.content) do
    if inner.t == "Header" or (inner.t == "Table" and titled_before) then
      return true
    end
  end
  return false
end

-- a paragraph that is a title set in bold (`**Ville de Pau**`, `**Stratégie.**`: a portrait's name, the run-in
-- heading of a list), which Typst does not know as a heading: it sticks to the block after it as a heading does
local function is_bold_title(block)
  if block.t ~= "Para" and block.t ~= "Plain" then
    return false
  end
  local strong = 0
  for _, inline in ipairs(block.content) do
    if inline.t == "Strong" then
      strong = strong + 1
    elseif inline.t ~= "Space" and inline.t ~= "SoftBreak" then
      return false
    end
  end
  return strong > 0 and #pandoc.utils.stringify(block) <= LEAD_CHARS / 2
end

local LISTS = { BulletList = true, OrderedList = true }
local SHORT_LIST_CHARS = 700 -- about eight lines of text

local function sticky_leads(blocks)
  local flat = pandoc.List()
  for _, block in ipairs(blocks) do
    -- a table's output is unwrapped only after a heading or its lead, where it must stick to them
    local last = flat[#flat]
    local titled_before = last ~= nil and (last.t == "Header" or last.t == "Para" or last.t == "Plain"
      or (last.t == "RawBlock" and last.text == "]"))  -- the end of a sticky lead, unwrapped from its own cell
    if is_flowing_cell(block, titled_before) then
      flat:extend(block.content)
    else
      flat:insert(block)
    end
  end
  blocks = flat
  local out = pandoc.List()
  local skip = false
  for i, block in ipairs(blocks) do
    local prev = blocks[i - 1]
    local next_block = blocks[i + 1]
    local titled = prev and (prev.t == "Header" or is_bold_title(prev))
    if skip then
      skip = false
    elseif is_bold_title(block) and next_block and LISTS[next_block.t]
        and #pandoc.utils.stringify(next_block) <= SHORT_LIST_CHARS then
      -- a bold title over a short list (« Recommandations et suivi. », three items): one block, never its
      -- title and first item alone at the foot of a page
      out:insert(pandoc.RawBlock("typst", "#block(breakable: false)["))
      out:insert(block)
      out:insert(next_block)
      out:insert(pandoc.RawBlock("typst", "]"))
      skip = true
    elseif (titled and (block.t == "Para" or block.t == "Plain") and #pandoc.utils.stringify(block) <= LEAD_CHARS)
        or (next_block and next_block.t ~= "Header" and is_bold_title(block)) then
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
  -- a block joins the tail only if the tail stays within TAIL_CHARS: Typst moves a sticky block whole to the
  -- next page when it does not fit with the block after it, so a long one (the paragraph naming the missions
  -- that change group between the typologies, a page long at 200 authorities) left its page a third full
  local i = n - 1
  while i > 0 and TEXT[blocks[i].t] do
    local size = #pandoc.utils.stringify(blocks[i])
    if gathered + size > TAIL_CHARS then
      break
    end
    gathered = gathered + size
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

-- The relative width of each column of a table, from its cells' text (as cufstudy.notebook.tables sizes a
-- notebook's wide table): a column's share follows its mean text length, so that its cells wrap to about as
-- many lines as the cells beside them, never less than its longest word needs (a word is not broken:
-- "Missions" fits its header cell) and never more than its longest cell on one line. `line` is about the
-- characters of a table's text across the text width: 72 in DOCX (10.5 pt Arial), 105 in the PDF (8.5 pt).
-- Returns the shares and whether the table is wide (its cells on one line would not fit the width).
local DOCX_LINE, TYPST_LINE = 72, 105
local SHORT_SHARE = 0.12 -- a column whose longest cell takes at most this share of the width on one line

local function cell_texts(tbl)
  local rows = pandoc.List()
  for _, row in ipairs(tbl.head.rows) do rows:insert(row) end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.head) do rows:insert(row) end
    for _, row in ipairs(body.body) do rows:insert(row) end
  end
  return rows
end

-- a cell's text as printed: a citation (not yet resolved by citeproc) as « (Auteur, 2020) »
local CITED = "(Référence, 2020)"

local function cell_text(blocks)
  local shown = pandoc.Blocks(blocks):walk({
    Cite = function(cite)
      local parts = {}
      for _ = 1, #cite.citations do parts[#parts + 1] = CITED end
      return pandoc.Str(table.concat(parts, " ; "))
    end,
  })
  return pandoc.utils.stringify(shown)
end

local function content_widths(tbl, line)
  local n = #tbl.colspecs
  local total, count, floors, ceilings = {}, {}, {}, {}
  for i = 1, n do total[i], count[i], floors[i], ceilings[i] = 0, 0, 0, 0 end
  for r, row in ipairs(cell_texts(tbl)) do
    for i, cell in ipairs(row.cells) do
      if i <= n then
        local text = cell_text(cell.contents)
        local length = utf8.len(text) or #text
        for word in text:gmatch("%S+") do
          -- the word, bold in a header, and the cell's margins
          floors[i] = math.max(floors[i], ((utf8.len(word) or #word) * 1.15 + 2) / line)
        end
        ceilings[i] = math.max(ceilings[i], (length + 2) / line)
        if r > #tbl.head.rows then total[i], count[i] = total[i] + length, count[i] + 1 end
      end
    end
  end
  local weights, floor_sum, wide = {}, 0, 0
  for i = 1, n do
    weights[i] = math.max(3, count[i] > 0 and total[i] / count[i] or 3)
    ceilings[i] = math.max(ceilings[i], floors[i])
    floor_sum, wide = floor_sum + floors[i], wide + ceilings[i]
  end
  local shares = {}
  if floor_sum >= 1 then
    for i = 1, n do shares[i] = floors[i] / floor_sum end
    return shares, true
  end
  -- a column of short values (a code, a number, « Hors DCOL ») keeps them on one line; the others share the
  -- rest in proportion to their text, a column beyond a bound held at it
  local held = {}
  for i = 1, n do
    if ceilings[i] <= SHORT_SHARE then held[i] = ceilings[i] end
  end
  for _ = 1, n do
    local free, room = 0, 1
    for i = 1, n do
      if held[i] then room = room - held[i] else free = free + weights[i] end
    end
    for i = 1, n do shares[i] = held[i] or weights[i] / free * room end
    local low, high = {}, {}
    for i = 1, n do
      if not held[i] and shares[i] < floors[i] then low[i] = floors[i] end
      if not held[i] and shares[i] > ceilings[i] then high[i] = ceilings[i] end
    end
    local chosen = next(low) and low or high
    if not next(chosen) then break end
    local left = 0
    for i = 1, n do if not held[i] and not chosen[i] then left = left + 1 end end
    if left == 0 then break end
    for i, v in pairs(chosen) do held[i] = v end
  end
  return shares, wide > 1
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
  local shares = content_widths(tbl, DOCX_LINE)
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
-- (4 full pages in LibreOffice, each section at the top of one; 80 % and 0.85 left the contact and colophon
-- alone on a fifth page); the designer places the pack's SVG files anyway
local BROCHURE_FULL_WIDTH, BROCHURE_SCALE = "55%", 0.65

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
      -- a wide table: each column its share of the text (Typst's auto columns share the width equally
      -- between every long column); a narrow one: each column its content's width ("auto")
      local shares, wide = content_widths(tbl, TYPST_LINE)
      for i, spec in ipairs(tbl.colspecs) do
        tbl.colspecs[i] = { spec[1], wide and shares[i] or pandoc.ColWidthDefault }
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
          blocks:insert(pandoc.RawBlock("typst", "#cufstudy-chapter-break()"))
        end
        blocks:insert(block)
      end
      doc.blocks = blocks
      return doc
    end,
  },
}
