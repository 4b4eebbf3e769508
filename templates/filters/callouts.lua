--[[
callouts.lua: Quarto callouts for the embedded engine (Quarto renders its own).

  ::: {.callout-note title="À retenir"}
  Texte.
  :::

Types: note, tip, warning, important, caution. The title is the `title` attribute, else a leading
heading inside the div, else the French default (« Note », « Astuce », « Avertissement », « Important »,
« Mise en garde »). Rendered as:

* HTML: <div class="callout callout-note"> with a title and a body div (styled by cufstudy.css);
* Typst: #cufstudy-callout(kind: "note", title: [...])[...] (defined in templates/typst/definitions.typ);
* DOCX: paragraphs in the reference document's "Callout Title" and "Callout" styles.

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

function Div(div)
  local kind = callout_kind(div)
  if kind == nil then
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
    local blocks = pandoc.List({
      pandoc.RawBlock("typst", '#cufstudy-callout(kind: "' .. kind .. '", title: [' .. typst_inlines(title) .. "])["),
    })
    blocks:extend(body)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
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
