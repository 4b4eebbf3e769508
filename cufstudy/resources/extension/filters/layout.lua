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
* Table columns are sized by Typst to their content and wrapped to the text width ("auto"), which reads
  better than the relative widths pandoc takes from the dashes of a pipe table (a notebook's
  `DataFrame.to_markdown()` gives a narrow column to the longest text).
]]

local function variant(meta)
  local v = meta["cufstudy-variant"]
  return v and pandoc.utils.stringify(v) or "study"
end

-- the length of a lead paragraph that sticks to the next block: about two lines of text
local LEAD_CHARS = 240

-- a notebook output holding a heading (Quarto wraps it in cell Divs, Typst in a block; any Div but a callout
-- or a cross-reference target): its blocks join the
-- flow of the page, so that the heading and its lead stick to the table of the next output
local function is_cell_with_heading(block)
  if block.t ~= "Div" then
    return false
  end
  for _, class in ipairs(block.classes) do
    if class:match("callout") or class:match("^column") then
      return false  -- a box of its own: it keeps its content
    end
  end
  local id = block.identifier
  if id:match("^fig%-") or id:match("^tbl%-") or id:match("^sec%-") then
    return false  -- a cross-reference target keeps its label
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

return {
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
      for _, block in ipairs(doc.blocks) do
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
