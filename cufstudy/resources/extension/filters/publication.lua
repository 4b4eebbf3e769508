--[[
publication.lua: the publication metadata of a deliverable (`_quarto.yml`: date, `publication:` version,
commissioner, funders, licence, kind) in HTML and DOCX, and nothing of the build machine in a DOCX (a
filter of the cufstudy extension, the last one the embedded engine runs; Typst prints its cover and
colophon itself, from the same metadata, in typst/cufstudy-cover.typ).

* DOCX properties. Pandoc's DOCX writer puts every metadata field it does not know into
  docProps/custom.xml: without this filter a DOCX would carry the absolute paths of the analyst's
  machine (bibliography, csl, the engine's cufstudy-root and cufstudy-docdir) and build switches (toc,
  crossref, link-citations). Those are dropped; the core properties get `subject` (the subtitle) and
  `description` (the illustrative-data notice and the commissioning body); `publication:` is flattened
  into custom properties with French names (`version`, `commanditaire`, `financeurs`,
  `date-publication`) that Word shows in File > Properties.
* HTML: `description-meta` (pandoc's `<meta name="description">`) from the subtitle.
* HTML and DOCX: a colophon at the end of the document (what the PDF prints under its cover).

Under Quarto, `bibliography` and `csl` are left to Quarto, whose citeproc runs after the extension's
filters (Quarto writes them relative to the project).
]]

local BUILD_KEYS = {
  "cufstudy-root", "cufstudy-docdir", "cufstudy-date-iso", "cufstudy-variant", "font-paths", "reference-doc",
  "template-partials", "resource-path", "link-citations", "toc", "toc-depth", "crossref", "pagetitle",
  "number-sections", "section-numbering", "papersize", "citeproc", "publication", "notebook-links",
  "notebook-view", "format-links", "embed-resources",
}
local CITE_KEYS = { "bibliography", "csl" }
local NBSP = "\u{a0}"

local function text(value)
  if value == nil then
    return nil
  end
  if pandoc.utils.type(value) == "List" then
    local parts = {}
    for _, item in ipairs(value) do
      local s = text(item)
      if s and s ~= "" then
        parts[#parts + 1] = s
      end
    end
    if #parts == 0 then
      return nil
    end
    return table.concat(parts, NBSP .. "; ")
  end
  local s = pandoc.utils.stringify(value)
  if s == "" then
    return nil
  end
  return s
end

local function inlines(value)
  local t = pandoc.utils.type(value)
  if t == "Inlines" then
    return value
  end
  return pandoc.Inlines(pandoc.utils.stringify(value))
end

local function machine_path(value)
  local t = pandoc.utils.type(value)
  if t == "List" then
    for _, item in ipairs(value) do
      if machine_path(item) then
        return true
      end
    end
    return false
  end
  if t ~= "string" and t ~= "Inlines" then
    return false
  end
  local s = pandoc.utils.stringify(value)
  return s:match("^/") ~= nil or s:match("^%a:[\\/]") ~= nil or s:match("^~/") ~= nil
end

local function field(label, value)
  if value == nil then
    return nil
  end
  local line = pandoc.Inlines({ pandoc.Strong(pandoc.Inlines(label)), pandoc.Str(NBSP .. ":"), pandoc.Space() })
  if pandoc.utils.type(value) == "List" then
    for i, item in ipairs(value) do
      if i > 1 then
        line:insert(pandoc.Str(NBSP .. ";"))
        line:insert(pandoc.Space())
      end
      line:extend(inlines(item))
    end
  else
    line:extend(inlines(value))
  end
  return pandoc.Para(line)
end

local function colophon(meta)
  local pub = meta.publication
  if pub == nil or pandoc.utils.type(pub) ~= "table" then
    return nil
  end
  local blocks = pandoc.Blocks({})
  local function add(block)
    if block ~= nil then
      blocks:insert(block)
    end
  end
  add(field("Commanditaire", pub.commissioner))
  if pub.funders ~= nil and #pub.funders > 0 then
    add(field("Avec le soutien de", pub.funders))
  end
  local edition = pandoc.Inlines({})
  if pub.version then
    edition:extend(pandoc.Inlines("Version" .. NBSP .. text(pub.version)))
  end
  if meta.date then
    if #edition > 0 then
      edition:insert(pandoc.Str(","))
      edition:insert(pandoc.Space())
    end
    edition:extend(inlines(meta.date))
  end
  if #edition > 0 then
    add(field("Édition", edition))
  end
  add(field("Droits", pub.licence))
  if #blocks == 0 then
    return nil
  end
  blocks:insert(1, pandoc.Para({ pandoc.Strong(pandoc.Inlines("Colophon")) }))
  return pandoc.Div(blocks, pandoc.Attr("colophon", { "cufstudy-colophon" }, { role = "contentinfo" }))
end

local function docx_properties(meta)
  local pub = meta.publication
  local in_quarto = quarto ~= nil
  if pub ~= nil and pandoc.utils.type(pub) == "table" then
    meta.version = text(pub.version)
    meta.commanditaire = text(pub.commissioner)
    meta.financeurs = text(pub.funders)
  end
  if meta["cufstudy-date-iso"] then
    meta["date-publication"] = text(meta["cufstudy-date-iso"])
  end
  if meta.subject == nil and meta.subtitle ~= nil then
    meta.subject = text(meta.subtitle)
  end
  if meta.description == nil then
    local parts = {}
    if meta["cufstudy-notice"] then
      parts[#parts + 1] = text(meta["cufstudy-notice"])
    end
    if pub ~= nil and pub.commissioner then
      parts[#parts + 1] = "Commanditaire" .. NBSP .. ": " .. text(pub.commissioner)
    end
    if #parts > 0 then
      meta.description = table.concat(parts, ". ")
    end
  end
  for _, key in ipairs(BUILD_KEYS) do
    meta[key] = nil
  end
  for _, key in ipairs(CITE_KEYS) do
    if not in_quarto then
      meta[key] = nil
    end
  end
  for key, value in pairs(meta) do
    if machine_path(value) and not (in_quarto and (key == "bibliography" or key == "csl")) then
      meta[key] = nil
    end
  end
  return meta
end

local MONTHS = {
  "janvier", "février", "mars", "avril", "mai", "juin",
  "juillet", "août", "septembre", "octobre", "novembre", "décembre",
}

-- an ISO date (`date: 2026-12-01`, as Quarto passes it on) written in French (« 1er décembre 2026 »), as
-- the embedded engine writes it (cufstudy.core.french.format_date); the ISO form stays for the properties
local function french_date(meta)
  if meta.date == nil then
    return false
  end
  local iso = pandoc.utils.stringify(meta.date)
  local y, m, d = iso:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if y == nil or MONTHS[tonumber(m)] == nil then
    return false
  end
  local day = tonumber(d) == 1 and "1er" or tostring(tonumber(d))
  meta.date = pandoc.Inlines(day .. " " .. MONTHS[tonumber(m)] .. " " .. y)
  if meta["cufstudy-date-iso"] == nil then
    meta["cufstudy-date-iso"] = iso
  end
  return true
end

function Pandoc(doc)
  local dated = french_date(doc.meta)
  if FORMAT ~= "docx" and not FORMAT:match("html") then
    -- Typst prints the cover and colophon from the metadata itself
    return dated and doc or nil
  end
  local block = colophon(doc.meta)
  if block ~= nil then
    doc.blocks:insert(block)
  end
  if FORMAT == "docx" then
    doc.meta = docx_properties(doc.meta)
  elseif doc.meta["description-meta"] == nil and doc.meta.subtitle ~= nil then
    doc.meta["description-meta"] = text(doc.meta.subtitle)
  end
  return doc
end
