--[[
layout.lua: the page layout rules of the PDF deliverables that live in the document, not in the Typst
style (Quarto and the embedded engine run it alike; it does nothing for other formats).

* Every level-1 section of a long deliverable starts on a new page: a weak page break
  (`#pagebreak(weak: true)`: none at the top of a page) before each top-level level-1 heading, unless
  the document's `cufstudy-variant` is `brochure`. Typst refuses page breaks inside containers, and
  Quarto wraps some headings (an unnumbered `# Bibliographie {.unnumbered}`, say) in a `#block[...]`; a
  heading show rule calling `pagebreak` would then stop the compilation. Here the break is a block of
  its own, never inside the heading's container. A heading inside a callout or a div stays as it is.
* Table columns are sized by Typst to their content and wrapped to the text width ("auto"), which reads
  better than the relative widths pandoc takes from the dashes of a pipe table (a notebook's
  `DataFrame.to_markdown()` gives a narrow column to the longest text).
]]

local function variant(meta)
  local v = meta["cufstudy-variant"]
  return v and pandoc.utils.stringify(v) or "study"
end

return {
  {
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
