--[[
structure.lua: first filter of the embedded engine. Turns the blocks the shortcode expansion emitted
into pandoc figures and captioned tables, and makes image paths work in every writer.

* ::: {#fig-x .cufstudy-figure} ... ::: {.cufstudy-caption} caption ::: :::  -> Figure "fig-x"
* ::: {#tbl-x .cufstudy-table} <a table> ::: {.cufstudy-caption} ... ::: :::  -> the table, id + caption
* ::: {#fig-x} ... last paragraph = caption :::  (Quarto's div figure)      -> Figure "fig-x"
* image paths: relative to the main document (as Quarto resolves them, includes too), "/x" relative
  to the project root; the Typst writer gets root-relative paths ("/..."), since typst compiles with
  the project as its root.

Generated blocks carry data-src="file:line" so that an error names the .qmd line of the shortcode.
]]

local ROOT = nil
local DOCDIR = nil

local function slice(list, from, to)
  local out = pandoc.List()
  for i = from, to or #list do
    out:insert(list[i])
  end
  return out
end

local function meta_string(meta, key)
  local v = meta[key]
  if v == nil then
    return nil
  end
  return pandoc.utils.stringify(v)
end

local function where(el)
  local src = el.attributes and el.attributes["data-src"]
  if src then
    return src .. ": "
  end
  return ""
end

local function resolve(src)
  if src:match("^%a[%w+.-]*:") or src:match("^#") then
    return src -- URL or data: URI
  end
  -- pandoc percent-encodes a link target (a space is %20): the path of the file, to compare with ROOT
  src = src:gsub("%%(%x%x)", function(hex)
    return string.char(tonumber(hex, 16))
  end)
  local abs
  if src:sub(1, 1) == "/" then
    if ROOT and src:sub(1, #ROOT) == ROOT then
      abs = src -- already an absolute path inside the project
    else
      abs = pandoc.path.join({ ROOT or ".", src:sub(2) })
    end
  else
    abs = pandoc.path.join({ DOCDIR or ".", src })
  end
  abs = pandoc.path.normalize(abs)
  if FORMAT == "typst" and ROOT then
    local rel = pandoc.path.make_relative(abs, ROOT)
    if rel:sub(1, 1) ~= "/" and rel:sub(1, 2) ~= ".." then
      return "/" .. rel
    end
    error("image outside the project cannot be typeset: " .. src)
  end
  return abs
end

local function split_caption(blocks)
  local body = pandoc.List()
  local caption = nil
  for _, b in ipairs(blocks) do
    if b.t == "Div" and b.classes:includes("cufstudy-caption") then
      caption = b.content
    else
      body:insert(b)
    end
  end
  return body, caption
end

local function first_table(blocks)
  for i, b in ipairs(blocks) do
    if b.t == "Table" then
      return i, b
    end
  end
  return nil, nil
end

local function figure_div(div)
  local body, caption = split_caption(div.content)
  if caption == nil then
    caption = {}
  end
  local attr = pandoc.Attr(div.identifier, {}, {})
  return pandoc.Figure(body, { long = caption }, attr)
end

local function table_div(div)
  local body, caption = split_caption(div.content)
  local i, tbl = first_table(body)
  if tbl == nil and #body > 0 and not body:find_if(function(b) return b.t ~= "Para" and b.t ~= "Plain" end) then
    -- too few data for the table (cufstudy.notebook.say: a sentence in its place): the sentence stands in
    -- a one-cell table that keeps the caption, so numbering and cross-references stay as they are
    local simple = pandoc.SimpleTable({}, { "AlignDefault" }, { 0 }, {}, { { body } })
    tbl = pandoc.utils.from_simple_table(simple)
    tbl.classes:insert("cufstudy-no-data")
    body = pandoc.List({ tbl })
    i = 1
  end
  if tbl == nil then
    error(where(div) .. "the cell output labelled " .. div.identifier .. " holds no Markdown table")
  end
  if select(1, first_table(slice(body, i + 1))) ~= nil then
    error(where(div) .. "the cell output labelled " .. div.identifier .. " holds several tables; a tbl- label captions one")
  end
  tbl.identifier = div.identifier
  if caption ~= nil then
    tbl.caption = { long = caption }
  end
  body[i] = tbl
  return body
end

local function quarto_figure_div(div)
  -- Quarto: ::: {#fig-x} content, last paragraph is the caption :::
  local content = div.content
  if #content < 2 or content[#content].t ~= "Para" then
    error("div #" .. div.identifier .. ": a figure div needs its content then a caption paragraph")
  end
  local caption = { pandoc.Plain(content[#content].content) }
  return pandoc.Figure(slice(content, 1, #content - 1), { long = caption }, pandoc.Attr(div.identifier))
end

return {
  {
    Meta = function(meta)
      ROOT = meta_string(meta, "cufstudy-root")
      DOCDIR = meta_string(meta, "cufstudy-docdir")
    end,
  },
  {
    Image = function(img)
      img.src = resolve(img.src)
      local width = img.attributes.width
      if FORMAT == "typst" and width and width:match("^[%d.]+in$") then
        -- a natural size, never wider than the column it sits in (brochure columns)
        local alt = pandoc.utils.stringify(img.caption)
        local args = '"' .. img.src:gsub('"', '\\"') .. '"'
        if alt ~= "" then
          args = args .. ', alt: "' .. alt:gsub('"', '\\"') .. '"'
        end
        return pandoc.RawInline(
          "typst",
          "#layout(size => image(" .. args .. ", width: calc.min(" .. width .. ", size.width)))"
        )
      end
      return img
    end,
    Div = function(div)
      if div.classes:includes("cufstudy-figure") then
        return figure_div(div)
      elseif div.classes:includes("cufstudy-table") then
        return table_div(div)
      elseif div.identifier:match("^fig%-") and #div.classes == 0 then
        return quarto_figure_div(div)
      end
      return nil
    end,
  },
}
