// Customer mail → the Markdown of an issue description or note: HTML-only mail converted (after sanitising),
// replies split into the new text and the quoted history/signature, and the HTML sanitiser the UI uses.
//
// Bounded work for any mail (issue 17): at most MAX_MAIL_TEXT_CHARS of text are taken, HTML is bounded by
// ./html-limit before sanitize-html and turndown see it (or only its text is extracted), and the reply parser
// reads only the last lines, so a hostile mail costs milliseconds here, not minutes.
import EmailReplyParser from "email-reply-parser";
import sanitizeHtml from "sanitize-html";
import TurndownService from "turndown";
import { limitHtml } from "./html-limit";
import { addListItemRule } from "./turndown-rules";

/** The most text one mail gives an issue description or note: the tracker's own limit for both. */
export const MAX_MAIL_TEXT_CHARS = 100_000;

/** Appended where a mail's text was cut. */
export const CUT_NOTICE = `_[The rest of this mail was cut: at most ${MAX_MAIL_TEXT_CHARS.toLocaleString("en")} characters of a mail are taken. The whole mail is kept in the admin mail log.]_`;

// ---------------------------------------------------------------------------------------------------------
// Sanitising

const SAFE_SCHEMES = ["http", "https", "mailto"];
const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"];
const TABLE_TAGS = ["table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"];

/**
 * HTML the UI may show (rendered Markdown of issues and notes): formatting, links, images, tables,
 * collapsed quotes; no scripts, styles, forms, frames, event handlers or javascript: URLs.
 */
export function sanitizeUserHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      ...["p", "br", "hr", "div", "span", "a", "img", "abbr", "details", "summary"],
      ...["strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "sub", "sup", "small"],
      ...["code", "pre", "kbd", "samp", "blockquote", "ul", "ol", "li", "dl", "dt", "dd"],
      ...HEADINGS,
      ...TABLE_TAGS,
    ],
    allowedAttributes: {
      a: ["href", "title", "rel", "target"],
      img: ["src", "alt", "title", "width", "height"],
      abbr: ["title"],
      details: ["open"],
      ol: ["start"],
      th: ["colspan", "rowspan", "align", "scope"],
      td: ["colspan", "rowspan", "align"],
      code: ["class"],
      pre: ["class"],
    },
    allowedClasses: { code: ["language-*"], pre: ["language-*"] },
    allowedSchemes: SAFE_SCHEMES,
    allowedSchemesByTag: { img: ["http", "https"] },
    allowProtocolRelative: false,
    transformTags: {
      // Links in user content must not pass the page's authority (or the viewer's session) to the target.
      a: sanitizeHtml.simpleTransform("a", { rel: "nofollow noreferrer noopener", target: "_blank" }),
    },
  });
}

const HIDDEN_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;

// For mail we only need what turndown understands; style/hidden are let through so the filter can see them.
function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      ...["p", "br", "hr", "div", "span", "a", "img", "center", "font"],
      ...["strong", "b", "em", "i", "u", "s", "strike", "del", "ins", "sub", "sup"],
      ...["code", "pre", "tt", "kbd", "samp", "blockquote", "ul", "ol", "li", "dl", "dt", "dd"],
      ...HEADINGS,
      ...TABLE_TAGS,
    ],
    allowedAttributes: {
      "*": ["style", "hidden"],
      a: ["href", "title"],
      img: ["src", "alt", "title", "width", "height"],
      ol: ["start"],
      code: ["class"],
      pre: ["class"],
    },
    allowedSchemes: SAFE_SCHEMES,
    // cid: (inline attachments) and data: images would only be broken or huge links in the Markdown.
    allowedSchemesByTag: { img: ["http", "https"] },
    allowProtocolRelative: false,
    // Styles only serve the hidden-text filter below and never reach the Markdown: no need to parse them
    // with postcss, which cost as much as the whole rest of sanitising on styled newsletter markup.
    parseStyleAttributes: false,
    // `hidden` has no value; by default sanitize-html drops it before the filter below could see it.
    nonBooleanAttributes: sanitizeHtml.defaults.nonBooleanAttributes.filter((name) => name !== "hidden"),
    // The content of these is not text the customer wrote; everything else disallowed keeps its text.
    nonTextTags: ["script", "style", "head", "title", "template", "noscript", "textarea", "option", "xml"],
    // Preheaders and other hidden text, and 1×1 tracking pixels, are not part of the message.
    exclusiveFilter: (frame) =>
      HIDDEN_STYLE.test(frame.attribs.style ?? "") ||
      "hidden" in frame.attribs ||
      (frame.tag === "img" && (Number(frame.attribs.width) <= 1 || Number(frame.attribs.height) <= 1)),
  });
}

// ---------------------------------------------------------------------------------------------------------
// HTML → Markdown

type TurndownNode = HTMLElement & { isBlock?: boolean };

function closestTable(node: Node): HTMLElement | null {
  for (let n: Node | null = node.parentNode; n; n = n.parentNode) if (n.nodeName === "TABLE") return n as HTMLElement;
  return null;
}

// Mail uses tables for layout far more than for data: only a simple grid (not inside another table) becomes a
// Markdown table, anything else is read cell by cell as blocks.
const dataTables = new WeakMap<HTMLElement, boolean>();
// querySelector in turndown's DOM collects every match before returning the first: once per table, not per row.
const firstRows = new WeakMap<HTMLElement, Element | null>();
function firstRow(table: HTMLElement): Element | null {
  let row = firstRows.get(table);
  if (row === undefined) {
    row = table.querySelector("tr");
    firstRows.set(table, row);
  }
  return row;
}
function isDataTable(table: HTMLElement | null): boolean {
  if (!table) return false;
  let result = dataTables.get(table);
  if (result === undefined) {
    const rows = Array.from(table.querySelectorAll("tr"));
    result =
      !closestTable(table) &&
      !table.querySelector("table, ul, ol, pre, blockquote, h1, h2, h3, h4, h5, h6, img") &&
      rows.length > 0 &&
      rows.some((row) => row.querySelectorAll("td, th").length >= 2);
    dataTables.set(table, result);
  }
  return result;
}

function tableCell(content: string, node: HTMLElement): string {
  if (!isDataTable(closestTable(node))) return `\n\n${content}\n\n`;
  const text = content
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ")
    .replace(/\|/g, "\\|");
  return `${node.previousElementSibling ? " " : "| "}${text} |`;
}

function createMarkdownService(): TurndownService {
  const service = new TurndownService({
    headingStyle: "atx",
    hr: "---",
    bulletListMarker: "-",
    codeBlockStyle: "fenced",
    emDelimiter: "_",
    strongDelimiter: "**",
    blankReplacement: (_content, node: TurndownNode) =>
      node.nodeName === "TD" || node.nodeName === "TH" ? tableCell("", node) : node.isBlock ? "\n\n" : "",
  });
  // A `<` the customer saw as text must not turn into HTML when the Markdown is rendered.
  const escape = service.escape.bind(service);
  service.escape = (text: string) => escape(text).replace(/</g, "\\<");
  addListItemRule(service);
  service.addRule("link", {
    filter: (node) => node.nodeName === "A",
    replacement(content, node) {
      const href = (node.getAttribute("href") ?? "").trim();
      const text = content.trim();
      // Empty, in-page and (already stripped) unsafe links carry no target: keep the words only.
      if (!/^(?:https?:|mailto:)/i.test(href)) return content;
      if (!text) return `<${href}>`;
      if (text === href || `mailto:${text}` === href) return `<${text}>`;
      const title = node.getAttribute("title");
      return `[${content}](${href.replace(/[()\s]/g, encodeURIComponent)}${title ? ` "${title.replace(/"/g, '\\"')}"` : ""})`;
    },
  });
  service.addRule("preWithoutCode", {
    filter: (node) => node.nodeName === "PRE" && node.firstChild?.nodeName !== "CODE",
    replacement: (_content, node) => `\n\n\`\`\`\n${(node.textContent ?? "").replace(/\n$/, "")}\n\`\`\`\n\n`,
  });
  service.addRule("strikethrough", {
    filter: (node) => ["S", "STRIKE", "DEL"].includes(node.nodeName),
    replacement: (content) => `~~${content}~~`,
  });
  service.addRule("tableCell", { filter: ["th", "td"], replacement: tableCell });
  service.addRule("tableRow", {
    filter: "tr",
    replacement(content, node) {
      const table = closestTable(node);
      if (!isDataTable(table)) return content;
      // GFM needs a header row: the first row serves as one, whatever its cells are.
      const isFirst = !!table && firstRow(table) === node;
      const separator = isFirst ? `\n|${" --- |".repeat(node.querySelectorAll("td, th").length)}` : "";
      return `\n${content}${separator}`;
    },
  });
  service.addRule("table", {
    filter: "table",
    replacement: (content, node) => (isDataTable(node) ? `\n\n${content.trim()}\n\n` : `\n\n${content}\n\n`),
  });
  service.addRule("tableSection", { filter: ["thead", "tbody", "tfoot"], replacement: (content) => content });
  return service;
}

let markdownService: TurndownService | undefined;

// turndown's own escapes (its markdownEscapes, in its order), the line-start ones at every line start, then
// the `<` createMarkdownService adds: text that holds line breaks is escaped as turndown escapes each line.
const LINE_ESCAPES: [RegExp, string][] = [
  [/\\/g, "\\\\"],
  [/\*/g, "\\*"],
  [/^-/gm, "\\-"],
  [/^\+ /gm, "\\+ "],
  [/^(=+)/gm, "\\$1"],
  [/^(#{1,6}) /gm, "\\$1 "],
  [/`/g, "\\`"],
  [/^~~~/gm, "\\~~~"],
  [/\[/g, "\\["],
  [/\]/g, "\\]"],
  [/^>/gm, "\\>"],
  [/_/g, "\\_"],
  [/^(\d+)\. /gm, "$1\\. "],
  [/</g, "\\<"],
];

/** Plain text as Markdown text, line by line as turndown escapes a text node (tests/unit/body.test.ts). */
export function escapeMarkdownLines(text: string): string {
  let out = text;
  for (const [pattern, replacement] of LINE_ESCAPES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A mail's HTML part as Markdown, and whether some of it was not read. Sanitised first (no scripts, styles,
 * hidden text or tracking pixels) and bounded by ./html-limit: HTML over its limits gives its plain text.
 */
export function convertHtml(html: string): { markdown: string; truncated: boolean } {
  markdownService ??= createMarkdownService();
  const limited = limitHtml(html, escapeMarkdownLines);
  const markdown = limited.html !== undefined ? markdownService.turndown(sanitizeMailHtml(limited.html)) : (limited.markdown ?? "");
  const cleaned = markdown
    .replace(/\u00a0/g, " ")
    .replace(/^[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { markdown: cleaned, truncated: limited.truncated };
}

/** The conversion without ./html-limit's bounds: only for tests to compare the bounded one against. */
export function htmlToMarkdownUnbounded(html: string): string {
  markdownService ??= createMarkdownService();
  return markdownService
    .turndown(sanitizeMailHtml(html))
    .replace(/\u00a0/g, " ")
    .replace(/^[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** A mail's HTML part as Markdown (see convertHtml). */
export function htmlToMarkdown(html: string): string {
  return convertHtml(html).markdown;
}

// ---------------------------------------------------------------------------------------------------------
// Reply trimming

export interface TrimmedReply {
  /** The new text of the reply (the whole text when nothing new was found). */
  body: string;
  /** The quoted history and signature that were cut off (empty when nothing was). */
  quoted: string;
  /** The mail was nothing but quote/signature; `body` then keeps all of it (as GitLab does). */
  allQuoted: boolean;
}

// Markdown from HTML mail can wrap header words in emphasis or escapes (`**From:**`, `\>`).
function plain(line: string): string {
  return line.replace(/[*_\\]/g, "").trim();
}

const ATTRIBUTION_START = /^(?:On|Le|Am|El|Il|Em|Op|Den|På)\s/i;
const ATTRIBUTION_END = /(?:wrote|writes|écrit|schrieb|escribió|scritto|escreveu|schreef|skrev)\s*:$/i;
const ORIGINAL_MESSAGE = /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale)\s*-{0,}$/i;
const OUTLOOK_FROM = /^(?:From|Von|De|Da|Van|Från|Fra)\s*:\s*\S/i;
const OUTLOOK_SENT = /^(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Verzonden|Skickat|Sendt)\s*:\s*\S/i;
const UNDERSCORE_RULE = /^_{10,}$/;

/**
 * Index of the first line of the quoted history, or -1: an "On … wrote:" attribution (up to three lines, as
 * clients wrap it) followed by `>` lines, an Outlook "-----Original Message-----", or an Outlook header block
 * ("From: …" with "Sent:"/"Date:" right below, possibly under a line of underscores).
 */
function findQuoteHeader(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = plain(lines[i]);
    if (ORIGINAL_MESSAGE.test(line)) return i;
    if (OUTLOOK_FROM.test(line) && lines.slice(i + 1, i + 5).some((l) => OUTLOOK_SENT.test(plain(l)))) {
      return i > 0 && UNDERSCORE_RULE.test(plain(lines[i - 1])) ? i - 1 : i;
    }
    if (ATTRIBUTION_START.test(line)) {
      for (let j = i; j < Math.min(i + 3, lines.length); j++) {
        const attribution = lines.slice(i, j + 1).map(plain).join(" ");
        if (!ATTRIBUTION_END.test(attribution)) continue;
        let next = j + 1;
        while (next < lines.length && lines[next].trim() === "") next++;
        // "On Monday I wrote:" in running text is not an attribution: the quoted mail must follow.
        if (next === lines.length || /^\s*\\?>/.test(lines[next])) return i;
        break;
      }
    }
  }
  return -1;
}

// email-reply-parser takes these for signature separators, but in Markdown they are rules and headings.
const MARKDOWN_RULE = /^\s*(?:-{3,4}|_{2,4}|\+{2,4}|={2,4})\s*$/;

// email-reply-parser's regexes backtrack: its header patterns (`On\s.+\s.+…`) are quadratic in the length of a
// line, several (`^-*\s*(On…`, `Op\s[\s\S]+?schreef`) run from every line start over the whole rest of the
// text. So it sees only the last MAX_PARSED_LINES lines (trailing quotes and signatures are all it looks for),
// each cut to MAX_PARSED_LINE characters and without trailing whitespace: ~40 ms for the worst input found.
const MAX_PARSED_LINE = 200;
const MAX_PARSED_LINES = 120;

/** Number of leading lines of `lines` that are new text, by email-reply-parser (see visibleLineCount). */
function parsedVisibleLineCount(lines: string[]): number {
  const fragments = new EmailReplyParser().read(lines.join("\n")).getFragments();
  const hidden = (f: (typeof fragments)[number]) =>
    f.isQuoted() || f.isEmpty() || (f.isSignature() && !MARKDOWN_RULE.test(f.getContent().split("\n")[0] ?? ""));
  let end = fragments.length;
  while (end > 0 && hidden(fragments[end - 1])) end--;
  if (end === fragments.length) return lines.length;

  const nonBlank = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
  const keptLines = fragments.slice(0, end).flatMap((f) => nonBlank(f.getContent()));
  if (keptLines.length === 0) return 0;
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    // The parser changed lines after all (it joins some wrapped headers): keep everything rather than guess.
    if (keptLines[count].trimEnd() !== lines[i].trimEnd()) return lines.length;
    if (++count === keptLines.length) return i + 1;
  }
  return lines.length;
}

/**
 * Number of leading lines that are new text, using email-reply-parser for trailing `>` quotes and
 * signatures. The parser rewrites lines (it trims their ends), so its fragments are mapped back onto the
 * lines by counting non-blank lines; the original text is returned, hard breaks included. Of a longer text
 * the parser reads the last lines; when all of those are hidden, the `>` quote they end goes on upwards.
 */
function visibleLineCount(original: string[]): number {
  const start = Math.max(0, original.length - MAX_PARSED_LINES);
  const window = original.slice(start).map((line) => line.slice(0, MAX_PARSED_LINE).trimEnd());
  const visible = start + parsedVisibleLineCount(window);
  if (visible > start || start === 0) return visible;
  let top = start;
  while (top > 0 && /^\s*(?:>|$)/.test(original[top - 1])) top--;
  return top;
}

/** Splits a reply into its new text and the quoted history + signature below it. */
export function trimReply(text: string): TrimmedReply {
  const normalised = text.replace(/\r\n?/g, "\n");
  const lines = normalised.split("\n");
  const header = findQuoteHeader(lines);
  const head = header === -1 ? lines : lines.slice(0, header);
  const visible = visibleLineCount(head);

  const body = head.slice(0, visible).join("\n").trimEnd().replace(/^\n+/, "");
  const quoted = lines.slice(visible).join("\n").trim();
  // Nothing new but a signature delimiter counts as nothing new: keep the whole text.
  if (body.replace(/^[ \t]*--[ \t]*$/gm, "").trim() === "")
    return { body: normalised.trim(), quoted: "", allQuoted: normalised.trim() !== "" };
  return { body, quoted, allQuoted: false };
}

// ---------------------------------------------------------------------------------------------------------
// Mail → issue/note body

export interface MailBody {
  text?: string | null;
  html?: string | null;
}

/**
 * The first `max` characters of `text`, cut after the last line break of its last 2,000 characters when there
 * is one, and never between the two halves of a surrogate pair.
 */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const lineBreak = text.lastIndexOf("\n", end);
  if (lineBreak > max - 2000) end = lineBreak;
  else if (/[\ud800-\udbff]/.test(text[end - 1])) end--;
  return text.slice(0, end);
}

/** Runs of blank lines as one blank line (what they render as in Markdown outside code). */
const collapseBlankLines = (text: string) => text.replace(/\r\n?/g, "\n").replace(/\n(?:[ \t]*\n){2,}/g, "\n\n");

/**
 * The Markdown an issue description or note gets from a mail: text/plain when it has any, else the HTML part
 * converted. With `trim` (replies) the quoted history and signature are split off into `quoted`; new requests
 * keep everything (`trim: false`). At most MAX_MAIL_TEXT_CHARS are taken; a cut ends with CUT_NOTICE.
 */
export function bodyFromMail(mail: MailBody, options: { trim: boolean }): { markdown: string; quoted: string } {
  let markdown = "";
  let cut = false;
  const text = mail.text?.trimStart() ?? "";
  if (text.trim() !== "") {
    // Cut before normalising: the rest of a 30 MB text is never looked at. A text that long often pads with
    // blank lines; runs of them (one paragraph break in Markdown) are collapsed first, in a bounded window.
    let head = cutText(text, MAX_MAIL_TEXT_CHARS + 1);
    if (head.length < text.length) {
      const window = cutText(text, 4 * MAX_MAIL_TEXT_CHARS);
      const collapsed = collapseBlankLines(window);
      head = cutText(collapsed, MAX_MAIL_TEXT_CHARS + 1);
      cut = collapsed.slice(head.length).trim() !== "" || text.slice(window.length).trim() !== "";
    }
    markdown = head.replace(/\r\n?/g, "\n").trim();
  } else if (mail.html) {
    const converted = convertHtml(mail.html);
    markdown = converted.markdown;
    cut = converted.truncated;
  }
  if (markdown.length > MAX_MAIL_TEXT_CHARS) {
    markdown = cutText(markdown, MAX_MAIL_TEXT_CHARS).trimEnd();
    cut = true;
  }
  const notice = (text: string) => (cut ? `${text.trimEnd()}\n\n${CUT_NOTICE}`.trimStart() : text);
  if (!options.trim) return { markdown: notice(markdown), quoted: "" };
  const { body, quoted } = trimReply(markdown);
  // The cut is at the end, so it is in the quote when there is one.
  return quoted ? { markdown: body, quoted: notice(quoted) } : { markdown: notice(body), quoted };
}

/** Appends the quoted part as a collapsed block (GitLab renders `<details>` in Markdown; so do our mails). */
export function withCollapsedQuote(markdown: string, quoted: string): string {
  if (quoted.trim() === "") return markdown;
  // A quoted mail that itself holds a collapsed quote would otherwise end this block early.
  const inner = quoted.trim().replace(/^([ \t]*)<(\/?details)/gim, "$1\\<$2");
  return `${markdown.trimEnd()}\n\n<details><summary>Quoted text</summary>\n\n${inner}\n\n</details>`;
}
