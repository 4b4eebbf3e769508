--[[
callouts.lua: Quarto callouts drawn the cufstudy way (the embedded engine; Quarto for Typst only).

  ::: {.callout-note title="À retenir"}
  Texte.
  :::

Types: note, tip, warning, important, caution. The title is the `title` attribute, else a leading
heading inside the div, else the French default (« Note », « Astuce », « Avertissement », « Important »,
« Mise en garde »). Rendered as:

* HTML: <div class="callout callout-note"> with a title and a body div (styled by cufstudy.css);
* Typst: #cufstudy-callout(kind: "note", title: [...])[...] (defined in typst/typst-template.typ);
* DOCX: paragraphs in the reference document's "Callout Title" and "Callout" styles.

Under Quarto (a filter of the cufstudy extension) only the Typst form is made, so that the PDF pages
are the same with both engines: Quarto's own Typst callout is an unbreakable box with a title bar, which
moves a long callout to the next page and leaves the rest of the page empty. Quarto's HTML and DOCX
callouts are kept.

An unknown callout-* class is an error (the source scan reports it with its line first).
]]

local TITLES = {
  note = "Note",
  tip = "Astuce",
  warning = "Avertissement",
  important = "Important",
  caution = "Mise en garde",
}

local function slice(list, from, to)
  local out = pandoc.List()
  for i = from, to or #list do
    out:insert(list[i])
  end
  return out
end

local function callout_kind(div)
  for _, cls in ipairs(div.classes) do
    local kind = cls:match("^callout%-(.+)$")
    if kind then
      return kind
    end
  end
  return nil
end

local function title_and_body(div, kind)
  local title = nil
  local body = div.content
  if div.attributes.title and div.attributes.title ~= "" then
    title = pandoc.read(div.attributes.title, "markdown").blocks
    if #title == 1 and (title[1].t == "Para" or title[1].t == "Plain") then
      title = title[1].content
    else
      title = pandoc.utils.blocks_to_inlines(title)
    end
  elseif #body > 0 and body[1].t == "Header" then
    title = body[1].content
    body = slice(body, 2)
  end
  if title == nil then
    title = pandoc.Inlines({ pandoc.Str(TITLES[kind]) })
  end
  return pandoc.Inlines(title), body
end

local function typst_inlines(inlines)
  local doc = pandoc.Pandoc({ pandoc.Plain(inlines) })
  return (pandoc.write(doc, "typst"):gsub("%s+$", ""))
end

local function typst_callout(kind, title, body)
  local blocks = pandoc.List({
    pandoc.RawBlock("typst", '#cufstudy-callout(kind: "' .. kind .. '", title: [' .. typst_inlines(title) .. "])["),
  })
  blocks:extend(body)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end

-- Quarto has made its callouts custom nodes before the user filters run: they see Callout elements.
function Callout(el)
  local kind = el.type
  if FORMAT ~= "typst" or TITLES[kind] == nil then
    return nil
  end
  local title = el.title
  local kind_of = title ~= nil and pandoc.utils.type(title) or nil
  if kind_of == "Block" then
    title = pandoc.utils.blocks_to_inlines({ title })
  elseif kind_of == "Blocks" then
    title = pandoc.utils.blocks_to_inlines(title)
  elseif kind_of == "string" then
    title = pandoc.Inlines({ pandoc.Str(title) })
  end
  if title == nil or #title == 0 then
    title = pandoc.Inlines({ pandoc.Str(TITLES[kind]) })
  end
  local body = el.content
  if body == nil then
    body = pandoc.Blocks({})
  elseif pandoc.utils.type(body) == "Block" then
    body = pandoc.Blocks({ body })
  end
  return typst_callout(kind, pandoc.Inlines(title), body)
end

function Div(div)
  local kind = callout_kind(div)
  if kind == nil or (quarto ~= nil and FORMAT ~= "typst") then
    return nil
  end
  if TITLES[kind] == nil then
    error("unknown callout type callout-" .. kind .. " (supported: note, tip, warning, important, caution)")
  end
  local title, body = title_and_body(div, kind)
  if FORMAT:match("html") then
    return pandoc.Div({
      pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" })),
      pandoc.Div(body, pandoc.Attr("", { "callout-body" })),
    }, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
  elseif FORMAT == "typst" then
    return typst_callout(kind, title, body)
  elseif FORMAT == "docx" then
    return {
      pandoc.Div({ pandoc.Para(title) }, pandoc.Attr(div.identifier, {}, { ["custom-style"] = "Callout Title" })),
      pandoc.Div(body, pandoc.Attr("", {}, { ["custom-style"] = "Callout" })),
    }
  end
  -- other formats: a titled block quote
  local blocks = pandoc.List({ pandoc.Para({ pandoc.Strong(title) }) })
  blocks:extend(body)
  return pandoc.BlockQuote(blocks)
end
