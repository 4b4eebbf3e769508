--[[
cufstudy.lua: what the cufstudy deliverables need from Quarto beyond its own features (a filter of the
cufstudy extension; the embedded engine does the same natively).

* The illustrative-data notice. `cufstudy run` (the project's pre-render step) writes the notice into
  `_extensions/cufstudy/metadata.yml`, which `_quarto.yml` reads through `metadata-files`; the notice is
  then the `cufstudy-notice` metadata. HTML: a band at the top of the page (before the title block).
  PDF: the Typst partials print it in the header of every page. DOCX: it is in the header of the
  extension's reference.docx, written there by `cufstudy run`.
* Charts as PNG in DOCX and HTML. Quarto prefers a notebook cell's SVG output, which pandoc can only turn
  into the PNG that Word needs with rsvg-convert, and whose text a browser sets in its own fonts (without
  Inter, wider labels are cut at the chart's edge). The cells of cufstudy charts carry a PNG drawn with Inter
  (the one the embedded engine puts in its DOCX; written into the executed notebooks before Quarto runs): each SVG image of an embedded cell is replaced
  with the cell's PNG, read from the executed notebook, at its natural size. An SVG without a PNG is kept.
  (The embedded engine's HTML charts are interactive Vega-Lite, which Quarto does not render.)
* DOCX tables: a captioned table is left-aligned (Quarto would centre it, and Word its cells).
* Typst: the wrapper Quarto puts around an embedded cell is dropped (a Typst block, in which the text of
  a Markdown output would not be justified like the rest of the page).
* A cross-reference to an unnumbered section (the guide's annexes, `@sec-modele-convention`): Quarto has no
  number to print and leaves « ?@sec-modele-convention » in every format; it prints « section « Annexe B –
  … » », linked to the heading (in HTML and DOCX), as the embedded engine does.
]]

local notebooks = {} -- path -> decoded notebook (or false when unreadable)

local function decode_json(text)
  if pandoc.json and pandoc.json.decode then
    return pandoc.json.decode(text, false)
  end
  return quarto.json.decode(text)
end

local function notebook(path)
  if notebooks[path] == nil then
    notebooks[path] = false
    local fh = io.open(path, "r")
    if fh then
      local text = fh:read("a")
      fh:close()
      local ok, nb = pcall(decode_json, text)
      if ok and type(nb) == "table" and type(nb.cells) == "table" then
        notebooks[path] = nb
      end
    end
  end
  return notebooks[path] or nil
end

local function source_text(cell)
  if type(cell.source) == "table" then
    return table.concat(cell.source)
  end
  return tostring(cell.source or "")
end

-- the cell whose id, `#| label:` or tag is `id` (as Quarto's embed shortcode finds it; Quarto names the
-- embedded cell "cell-<label>")
local function find_cell(nb, id)
  local bare = id:match("^cell%-(.+)$")
  for _, cell in ipairs(nb.cells) do
    if cell.id == id then
      return cell
    end
    local label = source_text(cell):match("#|%s*label:%s*([^\n]+)")
    label = label and label:gsub("%s+$", ""):gsub("^[\"']", ""):gsub("[\"']$", "")
    if label and (label == id or label == bare) then
      return cell
    end
    local tags = cell.metadata and cell.metadata.tags
    if type(tags) == "table" then
      for _, tag in ipairs(tags) do
        if tag == id then
          return cell
        end
      end
    end
  end
  return nil
end

-- the PNG outputs of a cell: base64 data and the width in CSS pixels its metadata gives (96 per inch)
local function png_outputs(cell)
  local pngs = {}
  for _, output in ipairs(cell.outputs or {}) do
    local png = output.data and output.data["image/png"]
    if png then
      if type(png) == "table" then
        png = table.concat(png)
      end
      local meta = output.metadata and output.metadata["image/png"]
      local width = type(meta) == "table" and tonumber(meta.width) or nil
      pngs[#pngs + 1] = { data = png:gsub("%s", ""), width = width }
    end
  end
  return pngs
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_VALUES = {}
for i = 1, #B64 do
  B64_VALUES[B64:byte(i)] = i - 1
end

-- the bytes of base64 text (padding and line breaks ignored)
local function base64_decode(text)
  local out, bits, n = {}, 0, 0
  for i = 1, #text do
    local v = B64_VALUES[text:byte(i)]
    if v then
      bits = ((bits << 6) | v) & 0xFFFFFF
      n = n + 6
      if n >= 8 then
        n = n - 8
        out[#out + 1] = string.char((bits >> n) & 0xFF)
      end
    end
  end
  return table.concat(out)
end

local function is_svg(src)
  return src:lower():match("%.svg$") ~= nil or src:match("^data:image/svg%+xml") ~= nil
end

-- DOCX and HTML: the SVG images of an embedded notebook cell become the cell's PNG outputs, in order
local function png_for_cell(div)
  local path = div.attributes["notebook"]
  local id = div.attributes["notebook-cellId"]
  if not path or not id or id == "" then
    return nil
  end
  local nb = notebook(path)
  local cell = nb and find_cell(nb, id)
  local pngs = cell and png_outputs(cell) or {}
  if #pngs == 0 then
    return nil
  end
  local n = 0
  return pandoc.walk_block(div, {
    Image = function(img)
      if not is_svg(img.src) then
        return nil
      end
      n = n + 1
      if pngs[n] == nil then
        return nil
      end
      if FORMAT == "docx" then
        -- in the media bag, under a short name (a data: URI would also become the picture's description)
        local name = "cufstudy-" .. id:gsub("[^%w%-]", "-") .. "-" .. n .. ".png"
        pandoc.mediabag.insert(name, "image/png", base64_decode(pngs[n].data))
        img.src = name
      else
        img.src = "data:image/png;base64," .. pngs[n].data -- the page is self-contained anyway
      end
      if pngs[n].width and not img.attributes.width then
        -- its natural size, as the embedded engine gives it (Word would take the PNG's pixels at 96 dpi,
        -- twice too large for a chart exported at scale 2); at most the text width
        img.attributes.width = string.format("%.2fin", math.min(pngs[n].width / 96, 6.3))
      end
      return img
    end,
  })
end

local function notice_band(meta)
  local notice = meta["cufstudy-notice"]
  if notice == nil or not quarto or not quarto.doc.is_format("html") then
    return
  end
  local text = pandoc.utils.stringify(notice)
  if text == "" then
    return
  end
  local escaped = text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  quarto.doc.include_text("before-body", '<div class="cufstudy-notice" role="note">' .. escaped .. "</div>")
end

local NBSP = "\u{00A0}"
local unnumbered = {} -- identifier -> title of an unnumbered section with a sec- identifier

local function collect_unnumbered(header)
  if header.identifier:match("^sec%-") and header.classes:includes("unnumbered") then
    unnumbered[header.identifier] = header.content:clone()
  end
  return nil
end

local function unnumbered_ref(cite)
  local title = #cite.citations == 1 and unnumbered[cite.citations[1].id] or nil
  if title == nil then
    return nil
  end
  local inlines = pandoc.Inlines({ pandoc.Str("section"), pandoc.Space(), pandoc.Str("«" .. NBSP) })
  inlines:extend(title:clone())
  inlines:insert(pandoc.Str(NBSP .. "»"))
  if FORMAT == "typst" then
    return inlines -- Quarto writes an unnumbered heading as #heading(numbering: none)[...], without its label
  end
  return pandoc.Link(inlines, "#" .. cite.citations[1].id)
end

return {
  { Header = collect_unnumbered },
  { Cite = unnumbered_ref },
  {
    Meta = function(meta)
      notice_band(meta)
      return nil
    end,
    FloatRefTarget = function(float)
      -- DOCX: Quarto lays a captioned table out in a centred one-cell table, whose cells Word then centres
      -- too; left, as in the embedded engine
      if FORMAT == "docx" and float.type == "Table" and float.attributes["tbl-align"] == nil then
        float.attributes["tbl-align"] = "left"
        return float
      end
      return nil
    end,
    Div = function(div)
      if not div.classes:includes("quarto-embed-nb-cell") then
        return nil
      elseif FORMAT == "docx" or FORMAT:match("html") then
        return png_for_cell(div)
      elseif FORMAT == "typst" and div.identifier == "" then
        -- Typst: the wrapper would become a #block[...], inside which Typst neither justifies nor
        -- hyphenates the text as a paragraph of the page; the cell's own blocks are kept
        return div.content
      end
      return nil
    end,
  },
}
