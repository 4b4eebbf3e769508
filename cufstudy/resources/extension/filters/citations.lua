--[[
citations.lua: the citations and the bibliography resolved before the French typography (Quarto only).

Quarto 1.7 always runs citeproc last, after every filter of its Lua chain (and a `citeproc` entry in a
`filters:` list is taken for a JSON filter of that name, which fails). The text citeproc writes, the
bibliography's titles (« Termes de référence : ... ») and the citations, would then miss the French
typography that typography-fr.lua gives the rest of the document, as the embedded engine gives it (its
pandoc runs --citeproc before the filter). So, when Quarto's cite method is citeproc, this filter
(`at: post-render`, just before typography-fr.lua) resolves them itself with pandoc's own citeproc, with
the document's bibliography, style and options, and leaves Quarto's final citeproc nothing to do: each
citation becomes the span the HTML writer writes for it (class `citation`, `data-cites`), and the
bibliography is removed from the metadata. The embedded engine does not use this filter.
]]

local function cite_method()
  if quarto and quarto.doc and quarto.doc.cite_method then
    return quarto.doc.cite_method()
  end
  return nil
end

-- a resolved citation as the writers print it, no longer a Cite for the last citeproc to render again
local function as_span(cite)
  local ids = {}
  for _, citation in ipairs(cite.citations) do
    ids[#ids + 1] = citation.id
  end
  return pandoc.Span(cite.content, pandoc.Attr("", { "citation" }, { { "cites", table.concat(ids, " ") } }))
end

return {
  {
    Pandoc = function(doc)
      if cite_method() ~= "citeproc" then
        return nil
      end
      local resolved = pandoc.utils.citeproc(doc)
      resolved = resolved:walk({ Cite = as_span })
      resolved.meta.bibliography = nil
      resolved.meta.references = nil
      return resolved
    end,
  },
}
