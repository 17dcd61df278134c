// A mail's HTML part, bounded before sanitize-html and turndown see it: one linear pass over the source that
// flattens nesting beyond a depth, drops markup that cannot render (comments, scripts, styles, the insides
// of empty element trees), and decides whether the result is small enough to convert. When it is not, the
// same pass has already extracted the plain text, which then becomes the Markdown instead.
//
// Why: turndown costs ~20–30 µs per element and more with depth (every node asks for its whole subtree's
// textContent; an empty one walks it 27 times more), and recurses once per level, so 550 KB of deeply nested
// markup took 71 s and then overflowed the stack. sanitize-html's parser keeps its open elements in an array
// it shifts (O(depth) per tag). Everything here is O(input) with small constants: text runs and long
// attribute values are skipped with indexOf, and the open-element stack is only ever touched at its top.
import { decodeHTML } from "entities";

export interface HtmlLimits {
  /** Elements nested deeper than this lose their tags (their text stays, blocks become line breaks). */
  maxDepth: number;
  /** More elements than this (after flattening) are not converted: the plain-text extraction is used. */
  maxElements: number;
  /** Bounded HTML longer than this is not converted either. */
  maxConvertChars: number;
  /** Tags read at most (~0.2 µs each); markup beyond is not read. Real text fills maxTextChars long before. */
  maxTags: number;
  /** The text extraction stops after this many characters. */
  maxTextChars: number;
}

export const HTML_LIMITS: HtmlLimits = {
  maxDepth: 32,
  maxElements: 1_500,
  maxConvertChars: 256 * 1024,
  maxTags: 150_000,
  maxTextChars: 100_000,
};

export interface LimitedHtml {
  /** HTML to sanitise and convert, or undefined when it is over the limits (use `markdown`). */
  html?: string;
  /** The text of the HTML as Markdown (escaped with the given function); only set when `html` is not. */
  markdown?: string;
  /** Elements were nested deeper than maxDepth and were flattened. */
  flattened: boolean;
  /** Not everything was read: the tag budget or the text budget ran out. */
  truncated: boolean;
}

// htmlparser2's rules (sanitize-html parses with it), so the bounded HTML builds the same tree there.
const VOID = new Set(
  "area base basefont br col command embed frame hr img input isindex keygen link meta param source track wbr".split(" "),
);
const P_ONLY = new Set(["p"]);
const HEADINGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6", "p"]);
const FORM = new Set(["input", "option", "optgroup", "select", "button", "datalist", "textarea"]);
const DDT = new Set(["dd", "dt"]);
const RTP = new Set(["rt", "rp"]);
const TABLE_SECTIONS = new Set(["thead", "tbody"]);
const OPEN_IMPLIES_CLOSE = new Map<string, Set<string>>([
  ["tr", new Set(["tr", "th", "td"])],
  ["th", new Set(["th"])],
  ["td", new Set(["thead", "th", "td"])],
  ["body", new Set(["head", "link", "script"])],
  ["a", new Set(["a"])],
  ["li", new Set(["li"])],
  ["p", P_ONLY],
  ...["h1", "h2", "h3", "h4", "h5", "h6"].map((h) => [h, HEADINGS] as [string, Set<string>]),
  ...["select", "input", "output", "button", "datalist", "textarea"].map((t) => [t, FORM] as [string, Set<string>]),
  ["option", new Set(["option"])],
  ["optgroup", new Set(["optgroup", "option"])],
  ["dd", DDT],
  ["dt", DDT],
  ...(
    "address article aside blockquote details div dl fieldset figcaption figure footer form header hr main nav ol pre section table ul"
  )
    .split(" ")
    .map((t) => [t, P_ONLY] as [string, Set<string>]),
  ["rt", RTP],
  ["rp", RTP],
  ["tbody", TABLE_SECTIONS],
  ["tfoot", TABLE_SECTIONS],
]);
// Raw text: everything up to the matching end tag is text (htmlparser2's special tags).
const RAW_TEXT = new Set(["script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"]);
// Their content is dropped by the mail sanitiser (nonTextTags), so the whole element can go.
const DROPPED_RAW = new Set(["script", "style", "title", "textarea"]);
// Text inside these is not the customer's (sanitizeMailHtml's nonTextTags that are not raw text).
const NON_TEXT = new Set(["head", "template", "noscript", "option", "xml"]);
// turndown treats these as non-blank even when empty (plus the void elements).
const MEANINGFUL_WHEN_BLANK = new Set(["a", "table", "thead", "tbody", "tfoot", "th", "td", "iframe", "script", "audio", "video"]);
// Empty trees of these are cut back to their outer element. turndown's DOM is built by the HTML5 rules, where
// a descendant can act on its ancestors (a <div> closes an open <p>, an unclosed <b> is reopened after its
// parent, a <tr> outside a table is ignored…): so only trees made of these containers, each closed by its own
// end tag, none of the block ones inside an open <p>, are cut (the property test in body.test.ts checks it).
const COLLAPSIBLE = new Set(
  "article aside b big blockquote center del div em font footer header i ins main mark nav s section small span strike strong sub sup tt u".split(" "),
);
// HTML5's formatting elements: misnest or leave one open and the parser re-creates it later (in front of any
// element that follows, empty or not), and inside a table outside a cell it moves elements out of the table.
// After either has happened once, no empty tree is cut back any more (`formattingMoved` below).
const FORMATTING = new Set("a b big code em font i nobr s small strike strong tt u".split(" "));
const TABLE_CONTEXT = new Set(["table", "tbody", "thead", "tfoot", "tr"]);
const TABLE_PARTS = new Set(["caption", "colgroup", "col", "tbody", "thead", "tfoot", "tr", "td", "th", "script", "style", "template", "form", "input"]);
// The block ones among them (for HTML5 they close an open <p>; for turndown they end a run of whitespace).
const CLOSES_P = new Set("article aside blockquote center div footer header main nav section".split(" "));
// Elements that start a new line in the text extraction (and get a line break when flattened).
const BLOCK = new Set(
  (
    "address article aside blockquote center dd details dialog dir div dl dt fieldset figcaption figure footer form " +
    "h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section summary table tbody tfoot thead tr ul"
  ).split(" "),
);
const PARAGRAPH = new Set("blockquote dl h1 h2 h3 h4 h5 h6 hr ol p pre table ul".split(" "));
// Attributes kept when a tag is re-written (sanitizeMailHtml allows no others).
const KEPT_ATTRIBUTES = new Set(["style", "hidden", "href", "title", "src", "alt", "width", "height", "start", "class"]);
// A tag longer than this (a data: image, a giant style) is re-written with only the kept attributes…
const MAX_TAG_CHARS = 4096;
// …and without values longer than this.
const MAX_ATTRIBUTE_CHARS = 2048;
// What an empty element cut back to itself counts toward maxElements (see close).
const BLANK_WEIGHT = 4;
// Open elements tracked at most (see openTag).
const MAX_STACK = 4096;
const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;

/** What the scan needs to know of a tag name, looked up once per name. */
interface TagInfo {
  isVoid: boolean;
  meaningful: boolean;
  block: boolean;
  /** Line breaks in the text extraction: 2 for a paragraph, 1 for another block, 0 inline. */
  breaks: 0 | 1 | 2;
  nonText: boolean;
  implies?: Set<string>;
}

const tagInfos = new Map<string, TagInfo>();
function tagInfo(name: string): TagInfo {
  const known = tagInfos.get(name);
  if (known) return known;
  const block = BLOCK.has(name);
  const info: TagInfo = {
    isVoid: VOID.has(name),
    meaningful: MEANINGFUL_WHEN_BLANK.has(name),
    block,
    breaks: block ? (PARAGRAPH.has(name) ? 2 : 1) : 0,
    nonText: NON_TEXT.has(name),
    implies: OPEN_IMPLIES_CLOSE.get(name),
  };
  // Names come from the mail: remember the first thousand only.
  if (tagInfos.size < 1024) tagInfos.set(name, info);
  return info;
}

interface Attribute {
  name: string;
  /** The value as written (entities not decoded), or undefined for a bare attribute. */
  raw?: string;
}

interface Open {
  name: string;
  info: TagInfo;
  /** Index in `out` of this element's start tag (or where it would be), to cut an empty subtree back. */
  outIndex: number;
  /** Its start tag as emitted, or undefined when it was flattened away. */
  tag?: string;
  /** Elements counted before it, to give back when its subtree is cut. */
  elementsBefore: number;
  /** Characters in `out` before it. */
  charsBefore: number;
  /** No text, void or meaningful element inside so far (what turndown calls blank). */
  blank: boolean;
  /** Some element inside (so cutting the subtree saves work). */
  hasChildren: boolean;
  hasWhitespace: boolean;
  /** Something inside that the sanitiser removes (hidden, non-text) or a `<pre>`: never cut back. */
  unsure: boolean;
  /** A block element inside. */
  hasBlock: boolean;
  hidden: boolean;
  nonText: boolean;
  pre: boolean;
  href?: string;
  /** Where the text extraction was when it opened (a link's text is what came after). */
  textMark: number;
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
// Whitespace and the end of a tag name or attribute (HTML's rules, as htmlparser2 applies them).
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

const ENTITY = /&/;
const decode = (raw: string) => (ENTITY.test(raw) ? decodeHTML(raw) : raw);

/**
 * Markdown text builder for the extraction: collapsed whitespace, line and paragraph breaks, and text escaped
 * in stretches (between list markers and link targets, which are not escaped) by an `escape` that handles
 * line starts within its argument, so escaping costs one call per stretch rather than one per line.
 */
class TextOut {
  private parts: string[] = [];
  /** Text (line breaks included) not yet escaped. */
  private stretch: string[] = [];
  private stretchLength = 0;
  /** Every text piece as it was, for a link's text. */
  private plain: string[] = [];
  private written = 0;
  private pendingBreak = 0;
  private spaced = true;
  /** Text was cut at the limit. */
  cut = false;

  constructor(
    private readonly escape: (text: string) => string,
    private readonly max: number,
  ) {}

  get length(): number {
    return this.written + this.stretchLength;
  }

  get full(): boolean {
    return this.length >= this.max;
  }

  private flushStretch() {
    if (!this.stretchLength) return;
    const escaped = this.escape(this.stretch.join(""));
    this.parts.push(escaped);
    this.written += escaped.length;
    this.stretch = [];
    this.stretchLength = 0;
  }

  private pushText(text: string) {
    const room = this.max - this.length;
    if (text.length > room) {
      text = text.slice(0, Math.max(0, room));
      this.cut = true;
    }
    if (text === "") return;
    this.stretch.push(text);
    this.stretchLength += text.length;
    this.plain.push(text);
  }

  private pushRaw(markdown: string) {
    this.flushStretch();
    if (this.length + markdown.length > this.max) {
      this.cut = true;
      return;
    }
    this.parts.push(markdown);
    this.written += markdown.length;
  }

  /** Requests a line break (1) or a blank line (2) before the next text. */
  breakLine(level: 1 | 2) {
    if (this.length > 0) this.pendingBreak = Math.max(this.pendingBreak, level);
  }

  private flushBreak() {
    if (!this.pendingBreak) return;
    // A space before a line break shows nothing (and two would make a Markdown hard break).
    while (this.stretch.length && this.stretch[this.stretch.length - 1].endsWith(" ")) {
      const last = this.stretch.pop()!;
      const trimmed = last.replace(/ +$/, "");
      this.stretchLength -= last.length - trimmed.length;
      if (trimmed) {
        this.stretch.push(trimmed);
        break;
      }
    }
    this.pushText(this.pendingBreak === 2 ? "\n\n" : "\n");
    this.pendingBreak = 0;
    this.spaced = true;
  }

  /** Text as HTML renders it: runs of whitespace become one space. */
  text(decoded: string) {
    const collapsed = decoded.replace(/[ \t\n\f\r]+/g, " ");
    if (collapsed === " ") {
      if (!this.spaced && !this.pendingBreak) {
        this.pushText(" ");
        this.spaced = true;
      }
      return;
    }
    if (collapsed === "") return;
    this.flushBreak();
    const text = this.spaced && collapsed.charCodeAt(0) === 32 ? collapsed.slice(1) : collapsed;
    this.pushText(text);
    this.spaced = text.charCodeAt(text.length - 1) === 32;
  }

  /** Preformatted text: its lines as they are. */
  preformatted(decoded: string) {
    if (decoded === "") return;
    this.flushBreak();
    this.pushText(decoded.replace(/\r\n?/g, "\n"));
    this.spaced = /\s$/.test(decoded);
  }

  /** Markdown that must not be escaped (a list marker, a link target). */
  raw(markdown: string) {
    this.flushBreak();
    this.pushRaw(markdown);
    this.spaced = markdown.endsWith(" ");
  }

  /** Where the text is now, for `since`. */
  mark(): number {
    return this.plain.length;
  }

  /** The text (unescaped) written after `mark`. */
  since(mark: number): string {
    return this.plain.slice(mark).join("");
  }

  result(): string {
    this.flushStretch();
    return this.parts.join("");
  }
}

/** An attribute's value, decoded; of a huge one only the start (style, href and alt are all that is read). */
function attributeValue(attributes: Attribute[] | undefined, name: string): string | undefined {
  if (!attributes) return undefined;
  for (const attribute of attributes)
    if (attribute.name === name) return attribute.raw === undefined ? "" : decode(attribute.raw.slice(0, MAX_ATTRIBUTE_CHARS + 1));
  return undefined;
}

/** A start tag with only the attributes the mail sanitiser keeps, and none of huge size. */
function rewriteTag(name: string, attributes: Attribute[] | undefined, selfClosing: boolean): string {
  let tag = `<${name}`;
  for (const { name: attribute, raw } of attributes ?? []) {
    if (!KEPT_ATTRIBUTES.has(attribute)) continue;
    if (raw === undefined) tag += ` ${attribute}`;
    else if (raw.length <= MAX_ATTRIBUTE_CHARS) tag += ` ${attribute}="${raw.replace(/"/g, "&quot;")}"`;
  }
  return `${tag}${selfClosing ? " /" : ""}>`;
}

/**
 * Bounds `html` (see the module comment). `escape` turns extracted text into Markdown text, at the start of
 * every line of its argument too (turndown's escaping, line by line, so both paths escape alike).
 */
export function limitHtml(html: string, escape: (text: string) => string, limits: HtmlLimits = HTML_LIMITS): LimitedHtml {
  const length = html.length;
  const out: string[] = [];
  let outChars = 0;
  /** Text characters in `out` (a rough count: entities count as written). */
  let outText = 0;
  let building = true;
  let elements = 0;
  let tags = 0;
  let flattened = false;
  let truncated = false;
  const stack: Open[] = [];
  const openCounts = new Map<string, number>();
  let hiddenDepth = 0;
  let nonTextDepth = 0;
  let preDepth = 0;
  let foreignDepth = 0;
  let formOpen = 0;
  /** HTML5 would re-create or move elements from here on (see FORMATTING): empty trees are left as they are. */
  let formattingMoved = false;
  const text = new TextOut(escape, limits.maxTextChars);

  const emit = (piece: string) => {
    if (!building) return;
    out.push(piece);
    outChars += piece.length;
    if (outChars > limits.maxConvertChars) building = false;
  };
  // A flattened block boundary: one line break, however many boundaries meet there.
  const emitBreak = () => {
    if (!building || out[out.length - 1] === "<br>") return;
    emit("<br>");
    if (++elements > limits.maxElements) building = false;
  };
  const top = () => stack[stack.length - 1];

  // More of one text run than either output can take is not decoded (a 30 MB run of entities took seconds).
  const runLimit = Math.max(limits.maxConvertChars, 8 * limits.maxTextChars) + 1;
  const onText = (whole: string) => {
    if (whole === "") return;
    const raw = whole.length > runLimit ? whole.slice(0, runLimit) : whole;
    if (raw !== whole) truncated = true;
    emit(raw);
    outText += raw.length;
    const parent = top();
    const hasText = /[^ \t\n\f\r]/.test(raw);
    if (parent) {
      if (hasText) parent.blank = false;
      else parent.hasWhitespace = true;
    }
    if (hiddenDepth || nonTextDepth || text.full) return;
    if (preDepth) text.preformatted(decode(raw));
    else text.text(decode(raw));
  };

  const close = (entry: Open, endTag: string | undefined) => {
    stack.pop();
    // Closed by another element's end tag, or one that HTML5 may move around: its parent is not cut back.
    if (endTag === undefined || !COLLAPSIBLE.has(entry.name)) entry.unsure = true;
    if (endTag === undefined && FORMATTING.has(entry.name)) formattingMoved = true;
    openCounts.set(entry.name, (openCounts.get(entry.name) ?? 1) - 1);
    if (entry.tag !== undefined) {
      // An empty subtree (no text, void or meaningful element) converts to the same as its outer element
      // alone, but turndown would walk it once per element inside: cut it back to that element.
      if (building && entry.blank && entry.hasChildren && !entry.unsure && !preDepth && !formattingMoved) {
        out.length = entry.outIndex + 1;
        outChars = entry.charsBefore + entry.tag.length;
        // turndown walks an empty element's subtree 27 more times than another's: it counts as more.
        elements = entry.elementsBefore + BLANK_WEIGHT;
        if (elements > limits.maxElements) building = false;
        // What the cut tree did to the whitespace around it: a block inside ends runs of whitespace on either
        // side (turndown drops the spaces next to a block), else its spaces count as one.
        if (entry.hasBlock && !CLOSES_P.has(entry.name)) emit("<div></div>");
        else if (entry.hasWhitespace && !entry.hasBlock) emit(" ");
      }
      if (endTag !== undefined) emit(endTag);
    } else if (entry.info.block) emitBreak();
    const parent = top();
    if (parent) {
      parent.hasChildren = true;
      if (!entry.blank) parent.blank = false;
      if (entry.hasWhitespace) parent.hasWhitespace = true;
      if (entry.unsure || entry.hidden || entry.nonText || entry.pre) parent.unsure = true;
      if (entry.hasBlock || entry.info.block) parent.hasBlock = true;
    }
    if (entry.hidden) hiddenDepth--;
    if (entry.nonText) nonTextDepth--;
    if (entry.pre) preDepth--;
    if (entry.name === "svg" || entry.name === "math") foreignDepth--;
    if (entry.name === "form") formOpen--;
    if (entry.href !== undefined && !hiddenDepth && !nonTextDepth) {
      const linkText = text.since(entry.textMark).trim();
      if (linkText !== entry.href && `mailto:${linkText}` !== entry.href) text.raw(` <${entry.href}>`);
    }
    if (entry.info.breaks) text.breakLine(entry.info.breaks);
    else if (entry.name === "td" || entry.name === "th") text.text(" ");
  };

  const openTag = (name: string, attributes: Attribute[] | undefined, source: string, selfClosing: boolean) => {
    if (name === "form" && formOpen) return;
    const info = tagInfo(name);
    const implied = info.implies;
    if (implied) while (stack.length && implied.has(top().name)) close(top(), undefined);

    const isVoid = info.isVoid;
    const parent = top();
    if (parent) {
      parent.hasChildren = true;
      if (isVoid || info.meaningful) parent.blank = false;
      if (TABLE_CONTEXT.has(parent.name) && !TABLE_PARTS.has(name)) formattingMoved = true;
    }
    if (FORMATTING.has(name) && openCounts.get(name)) formattingMoved = true;
    const keep = building && stack.length < limits.maxDepth;
    if (!keep && building) flattened = true;
    let tag: string | undefined;
    const outIndex = out.length;
    const charsBefore = outChars;
    const elementsBefore = elements;
    if (keep) {
      tag = source.length > MAX_TAG_CHARS ? rewriteTag(name, attributes, selfClosing) : source;
      emit(tag);
      if (++elements > limits.maxElements) building = false;
    } else if (name === "br" || info.block) emitBreak();

    const style = attributeValue(attributes, "style");
    const hidden = attributeValue(attributes, "hidden") !== undefined || (style !== undefined && HIDDEN_STYLE.test(style));
    const shown = !hidden && !hiddenDepth && !nonTextDepth;
    if (name === "br" && shown) text.breakLine(1);
    if (info.breaks) text.breakLine(info.breaks);
    if (name === "li" && shown) text.raw("- ");
    if (name === "img" && shown) {
      const alt = attributeValue(attributes, "alt")?.trim();
      if (alt) text.text(` ${alt} `);
    }

    const selfClosed = isVoid || (selfClosing && foreignDepth > 0);
    // Far beyond maxDepth nothing is kept anyway; an element that deep is not tracked (its end tag then
    // closes nothing or an outer namesake), so a million unclosed tags do not make a million entries.
    if (selfClosed || stack.length >= MAX_STACK) return;
    const href = name === "a" ? attributeValue(attributes, "href")?.trim() : undefined;
    stack.push({
      name,
      outIndex,
      tag,
      elementsBefore,
      charsBefore,
      info,
      blank: !isVoid && !info.meaningful,
      hasChildren: false,
      hasWhitespace: false,
      // A block inside an open <p> closes that paragraph in HTML5.
      unsure: CLOSES_P.has(name) && !!openCounts.get("p"),
      hasBlock: false,
      hidden,
      nonText: info.nonText,
      pre: name === "pre",
      href: href && href.length <= MAX_ATTRIBUTE_CHARS && /^(?:https?:\/\/|mailto:)[^\s<>]+$/i.test(href) ? href : undefined,
      textMark: text.mark(),
    });
    openCounts.set(name, (openCounts.get(name) ?? 0) + 1);
    if (hidden) hiddenDepth++;
    if (info.nonText) nonTextDepth++;
    if (name === "pre") preDepth++;
    if (name === "svg" || name === "math") foreignDepth++;
    if (name === "form") formOpen++;
  };

  const endTag = (name: string, source: string) => {
    if (VOID.has(name)) {
      if (name === "br") {
        // `</br>` is a line break to HTML parsers: a void element, as <br> is.
        const parent = top();
        if (parent) {
          parent.hasChildren = true;
          parent.blank = false;
        }
        if (building && stack.length < limits.maxDepth) {
          emit("<br>");
          if (++elements > limits.maxElements) building = false;
        } else emitBreak();
        if (!hiddenDepth && !nonTextDepth) text.breakLine(1);
      }
      return;
    }
    if (!openCounts.get(name)) {
      // A stray end tag: htmlparser2 makes `</p>` an empty paragraph and ignores the rest.
      if (name === "p") {
        const parent = top();
        if (parent) {
          parent.hasChildren = true;
          parent.unsure = true;
        }
        if (building && stack.length < limits.maxDepth) {
          emit(source);
          if (++elements > limits.maxElements) building = false;
        } else emitBreak();
        text.breakLine(2);
      }
      return;
    }
    if (FORMATTING.has(name) && top().name !== name) formattingMoved = true;
    while (stack.length && top().name !== name) close(top(), undefined);
    close(top(), source);
  };

  let pos = 0;
  scan: while (pos < length) {
    if (!building && text.full) {
      truncated = true;
      break;
    }
    if (building && outText > limits.maxTextChars) {
      // More text than a mail gives anyway: convert what there is (its formatting kept) and stop here.
      truncated = true;
      break;
    }
    const lt = html.indexOf("<", pos);
    const textEnd = lt < 0 ? length : lt;
    if (textEnd > pos) onText(html.slice(pos, textEnd));
    if (lt < 0) break;
    const next = html.charCodeAt(lt + 1);

    if (next === 33 /* ! */ || next === 63 /* ? */) {
      // Comments, doctypes, processing instructions, CDATA: nothing the sanitiser keeps.
      const end = html.startsWith("<!--", lt) ? html.indexOf("-->", lt + 4) : html.indexOf(">", lt + 2);
      pos = end < 0 ? length : end + (html.startsWith("<!--", lt) ? 3 : 1);
      continue;
    }

    if (next === 47 /* / */) {
      const nameStart = lt + 2;
      if (!isNameStart(html.charCodeAt(nameStart))) {
        // `</>` is ignored, `</ x>` is a bogus comment.
        const end = html.indexOf(">", lt + 2);
        pos = end < 0 ? length : end + 1;
        continue;
      }
      let nameEnd = nameStart;
      while (nameEnd < length && !isSpace(html.charCodeAt(nameEnd)) && html.charCodeAt(nameEnd) !== 62 && html.charCodeAt(nameEnd) !== 47)
        nameEnd++;
      const end = html.indexOf(">", nameEnd);
      pos = end < 0 ? length : end + 1;
      if (++tags > limits.maxTags) {
        truncated = true;
        break;
      }
      let name = html.slice(nameStart, nameEnd).toLowerCase();
      if (name === "image" && !foreignDepth) name = "img";
      endTag(name, `</${name}>`);
      continue;
    }

    if (!isNameStart(next)) {
      // A `<` that starts no tag is text.
      onText("<");
      pos = lt + 1;
      continue;
    }

    // A start tag: name, then attributes (quoted values skipped with indexOf), up to `>`.
    let i = lt + 1;
    while (i < length) {
      const c = html.charCodeAt(i);
      if (isSpace(c) || c === 62 || c === 47) break;
      i++;
    }
    let name = html.slice(lt + 1, i).toLowerCase();
    if (name === "image" && !foreignDepth) name = "img";
    let attributes: Attribute[] | undefined;
    let selfClosing = false;
    let tagEnd = -1;
    while (i < length) {
      const c = html.charCodeAt(i);
      if (c === 62) {
        tagEnd = i;
        break;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (c === 47) {
        selfClosing = html.charCodeAt(i + 1) === 62;
        i++;
        continue;
      }
      selfClosing = false;
      const attributeStart = i;
      i++;
      while (i < length) {
        const d = html.charCodeAt(i);
        if (isSpace(d) || d === 62 || d === 47 || d === 61) break;
        i++;
      }
      const attributeName = html.slice(attributeStart, i).toLowerCase();
      let j = i;
      while (j < length && isSpace(html.charCodeAt(j))) j++;
      if (html.charCodeAt(j) !== 61 /* = */) {
        (attributes ??= []).push({ name: attributeName });
        i = j;
        continue;
      }
      j++;
      while (j < length && isSpace(html.charCodeAt(j))) j++;
      const quote = html.charCodeAt(j);
      if (quote === 34 || quote === 39) {
        const close = html.indexOf(quote === 34 ? '"' : "'", j + 1);
        const valueEnd = close < 0 ? length : close;
        (attributes ??= []).push({ name: attributeName, raw: html.slice(j + 1, valueEnd) });
        i = close < 0 ? length : close + 1;
      } else {
        let k = j;
        while (k < length && !isSpace(html.charCodeAt(k)) && html.charCodeAt(k) !== 62) k++;
        (attributes ??= []).push({ name: attributeName, raw: html.slice(j, k) });
        i = k;
      }
    }
    if (tagEnd < 0) {
      // An unterminated tag at the end is dropped, as parsers do.
      break;
    }
    pos = tagEnd + 1;
    if (++tags > limits.maxTags) {
      truncated = true;
      break;
    }
    const source = building ? html.slice(lt, tagEnd + 1) : "";

    if (RAW_TEXT.has(name) && !selfClosing && !foreignDepth) {
      // Everything up to `</name` followed by whitespace, `/` or `>` is text.
      const closer = `</${name}`;
      let search = pos;
      let rawEnd = -1;
      for (;;) {
        const found = indexOfIgnoreCase(html, closer, search);
        if (found < 0) break;
        const after = html.charCodeAt(found + closer.length);
        if (Number.isNaN(after) || isSpace(after) || after === 62 || after === 47) {
          rawEnd = found;
          break;
        }
        search = found + 1;
      }
      const contentEnd = rawEnd < 0 ? length : rawEnd;
      const closeEnd = rawEnd < 0 ? length : html.indexOf(">", rawEnd);
      const after = closeEnd < 0 ? length : closeEnd + 1;
      if (DROPPED_RAW.has(name)) {
        // Content the sanitiser drops anyway: the whole element goes.
        pos = after;
        continue;
      }
      openTag(name, attributes, source, false);
      onText(html.slice(pos, contentEnd));
      pos = after;
      if (rawEnd >= 0) endTag(name, `</${name}>`);
      continue;
    }
    if (name === "plaintext") {
      openTag(name, attributes, source, false);
      onText(html.slice(pos));
      pos = length;
      break scan;
    }
    openTag(name, attributes, source, selfClosing);
  }
  if (building) return { html: out.join(""), flattened, truncated };
  // Close what is still open so a last link's target is not lost.
  while (stack.length) close(top(), undefined);
  return { markdown: text.result(), flattened, truncated: truncated || text.cut };
}

/** indexOf for an ASCII lower-case needle, ignoring the case of the haystack. */
function indexOfIgnoreCase(haystack: string, needle: string, from: number): number {
  // Needles start with "</": search for that, compare the letters after it case-insensitively.
  for (let i = haystack.indexOf("</", from); i >= 0; i = haystack.indexOf("</", i + 2)) {
    let match = true;
    for (let k = 2; k < needle.length; k++) {
      const c = haystack.charCodeAt(i + k) | 0x20;
      if (c !== needle.charCodeAt(k)) {
        match = false;
        break;
      }
    }
    if (match) return i;
  }
  return -1;
}
