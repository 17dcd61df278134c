// Turns untrusted Markdown into source that MDX compiles as plain Markdown: nothing in it can become an
// expression, JSX, an import/export or front matter. Code spans, fenced code and (in values) collapsed-quote
// blocks are cut out and replaced by tokens that are filled in after compiling, with escaped HTML.
//
// Why cut code out instead of escaping it: inside code, MDX shows backslash escapes literally, so `{x}` in a
// code span would render as `\{x\}`. Cutting it out also means a mistake in recognising code can only change
// how something looks: whatever is handed to MDX has had every `{ } < >` escaped.

/** A piece of the source that is rendered outside MDX and put back in place of its token. */
export type Fragment =
  | { kind: "code"; text: string }
  | { kind: "codeBlock"; text: string; lang: string }
  | { kind: "details"; summary: string; body: string }
  | { kind: "placeholder"; name: string };

export interface Neutralised {
  /** Safe to compile with MDX. */
  source: string;
  /** The text as given (line endings normalised), for rendering as plain text when compiling fails. */
  plain: string;
  /** Token n in `source` stands for fragments[n]. */
  fragments: Fragment[];
}

// Per process and unguessable, so no template or value can spell a token. Letters without vowels: a token can
// never contain "import"/"export" (which the escaping below rewrites) or any other word Markdown reacts to.
const TOKEN_ALPHABET = "bcdfghjklmnpqrstvwxz0123456789";
const NONCE = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => TOKEN_ALPHABET[b % TOKEN_ALPHABET.length]).join("");
const TOKEN_PREFIX = `sdtk${NONCE}n`;

export function fragmentToken(index: number): string {
  return `${TOKEN_PREFIX}${index}z`;
}

/** Matches one token; group 1 is the fragment index. */
export function tokenPattern(): RegExp {
  return new RegExp(`${TOKEN_PREFIX}(\\d+)z`, "g");
}

/** Replaces every token in `text` (a single pass: inserted text is never scanned again). */
export function replaceTokens(text: string, replace: (index: number) => string): string {
  return text.replace(tokenPattern(), (_m, index: string) => replace(Number(index)));
}

const ASCII_PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

/** Backslash-escapes all ASCII punctuation (always literal in Markdown) and defuses import/export. */
export function escapeMarkdownText(text: string): string {
  let out = "";
  for (const c of text) out += ASCII_PUNCTUATION.has(c) ? `\\${c}` : c;
  return defuseKeywords(out);
}

// An HTML entity for the first letter renders the same word but is no longer the ESM keyword MDX looks for at
// a line start; a zero-width joiner would also work but stays in copied text and breaks searching mail.
function defuseKeywords(text: string): string {
  return text.replace(/import/g, "&#105;mport").replace(/export/g, "&#101;xport");
}

interface Options {
  /** Recognise the `<details><summary>…</summary>…</details>` blocks of withCollapsedQuote (values only). */
  details?: boolean;
  /** Fragments created earlier (placeholder tokens already in the text); new ones are appended. */
  fragments?: Fragment[];
}

export function neutraliseMarkdown(markdown: string, options: Options = {}): Neutralised {
  const fragments = options.fragments ?? [];
  const plain = markdown.replace(/\r\n?/g, "\n").replace(/\u0000/g, "\uFFFD");
  const blocks = cutBlocks(plain.split("\n"), fragments, options.details ?? false);
  // The leading newline keeps the source from starting with `---`: gray-matter (inside mdx-bundler) would
  // read that as front matter, and `---js` front matter is evaluated as JavaScript.
  return { source: `\n${escapeInline(blocks.join("\n"), fragments)}`, plain, fragments };
}

// After the blockquote markers: indentation, an optional list marker, then the fence. (The markers are taken
// off one by one first: a single regex with `( {0,3}> ?)*` backtracks exponentially on long `> > > …` lines.)
const FENCE_OPEN = /^([ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)?)(`{3,}|~{3,})(.*)$/;
const BLOCKQUOTE_MARKER = /^[ ]{0,3}>[ ]?/;
const DETAILS_OPEN = /^<details(?:\s+open)?>\s*(?:<summary>(.*?)<\/summary>\s*)?$/i;
const SUMMARY_LINE = /^\s*<summary>(.*?)<\/summary>\s*$/i;
const DETAILS_CLOSE = /^<\/details>\s*$/i;

function isBlank(line: string | undefined): boolean {
  return line === undefined || /^[ \t>]*$/.test(line);
}

function cutBlocks(lines: string[], fragments: Fragment[], details: boolean): string[] {
  const out: string[] = [];
  let detailsAttempts = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const { depth, rest } = splitQuoteMarkers(line);
    const quotePrefix = line.slice(0, line.length - rest.length);
    const fence = FENCE_OPEN.exec(rest);
    if (fence && !(fence[2][0] === "`" && fence[3].includes("`"))) {
      const [, lead, marker, info] = fence;
      const indent = lead.replace(/\t/g, "    ").length;
      const closing = new RegExp(`^[ \\t]*${marker[0]}{${marker.length},}[ \\t]*$`);
      const indentation = new RegExp(`^[ ]{0,${indent}}`);
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const inner = stripQuoteMarkers(lines[j], depth);
        if (inner === undefined) break; // the blockquote ended, and with it the fence
        if (closing.test(inner)) {
          j++;
          break;
        }
        body.push(inner.replace(indentation, ""));
      }
      const lang = info.trim().split(/\s+/)[0]?.replace(/[^\w+#.-]/g, "") ?? "";
      const token = fragmentToken(fragments.push({ kind: "codeBlock", text: body.join("\n"), lang }) - 1);
      // A top-level block needs blank lines around its token, or Markdown makes it part of a paragraph; in a
      // list item it may sit inline (`<li>text<pre>…</pre></li>` is valid HTML).
      const standalone = lead.trim() === "" && indent === 0;
      const blank = ">".repeat(depth);
      if (standalone && !isBlank(out.at(-1))) out.push(blank);
      out.push(`${quotePrefix}${lead}${token}`);
      if (standalone && !isBlank(lines[j])) out.push(blank);
      i = j - 1;
      continue;
    }
    // Each unclosed <details> costs a scan to the end: a bounded number of tries keeps that linear.
    if (details && detailsAttempts < 20) {
      const open = DETAILS_OPEN.exec(line);
      if (open) detailsAttempts++;
      const block = open ? findDetailsBlock(lines, i, open[1]) : undefined;
      if (block) {
        const token = fragmentToken(fragments.push({ kind: "details", summary: block.summary, body: block.body }) - 1);
        if (!isBlank(out.at(-1))) out.push("");
        out.push(token);
        if (!isBlank(lines[block.end + 1])) out.push("");
        i = block.end;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}

function splitQuoteMarkers(line: string): { depth: number; rest: string } {
  let rest = line;
  let depth = 0;
  for (let m = BLOCKQUOTE_MARKER.exec(rest); m; m = BLOCKQUOTE_MARKER.exec(rest)) {
    rest = rest.slice(m[0].length);
    depth++;
  }
  return { depth, rest };
}

/** The line without exactly `depth` blockquote markers, or undefined when it has fewer. */
function stripQuoteMarkers(line: string, depth: number): string | undefined {
  let rest = line;
  for (let d = 0; d < depth; d++) {
    const m = BLOCKQUOTE_MARKER.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
  }
  return rest;
}

function findDetailsBlock(
  lines: string[],
  start: number,
  inlineSummary: string | undefined,
): { summary: string; body: string; end: number } | undefined {
  let summary = inlineSummary;
  let bodyStart = start + 1;
  if (summary === undefined) {
    const next = SUMMARY_LINE.exec(lines[start + 1] ?? "");
    if (next) {
      summary = next[1];
      bodyStart = start + 2;
    }
  }
  let depth = 1;
  for (let j = bodyStart; j < lines.length; j++) {
    if (/^<details[\s>]/i.test(lines[j])) depth++;
    else if (DETAILS_CLOSE.test(lines[j]) && --depth === 0)
      return { summary: summary ?? "Details", body: lines.slice(bodyStart, j).join("\n"), end: j };
  }
  return undefined;
}

// At a line start `>` is a blockquote marker (harmless in MDX, and needed for quotes); list markers pass too.
const LINE_PREFIX = /(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t])))*/y;
const CONTAINER_MARKER = /([ \t]*)(>|[-+*]|\d{1,9}[.)])/y;
// Deeper nesting is text: MDX's tree walkers recurse, and `> > > …` a few thousand deep overflows the stack.
const MAX_NESTING = 32;
const MAX_BRACKET_NESTING = 8;

function limitNesting(prefix: string): string {
  let out = "";
  let depth = 0;
  let position = 0;
  for (;;) {
    CONTAINER_MARKER.lastIndex = position;
    const m = CONTAINER_MARKER.exec(prefix);
    if (!m) break;
    const marker = m[2];
    // Escaping the marker's last character (`\>`, `\-`, `1\.`) makes it text.
    out += m[1] + (++depth <= MAX_NESTING ? marker : `${marker.slice(0, -1)}\\${marker.slice(-1)}`);
    position += m[0].length;
  }
  return out + prefix.slice(position);
}

const AUTOLINK = /<((?:https?|mailto):[^\s<>]*)>/iy;
const BLANK_LINE_AHEAD = /\n[ \t>]*(?:\n|$)/y;

function escapeInline(src: string, fragments: Fragment[]): string {
  // Chunks rather than one growing string: the autolink case looks back at the last chunk, and indexing a
  // concatenated string would flatten it each time (quadratic on long input).
  const out: string[] = [];
  let i = 0;
  let lineStart = true;
  const failedUntil = new Map<number, number>();
  let brackets = 0;
  while (i < src.length) {
    if (lineStart) {
      lineStart = false;
      LINE_PREFIX.lastIndex = i;
      const prefix = LINE_PREFIX.exec(src)?.[0] ?? "";
      out.push(limitNesting(prefix));
      i += prefix.length;
      continue;
    }
    const c = src[i];
    if (c === "\n") {
      BLANK_LINE_AHEAD.lastIndex = i;
      if (BLANK_LINE_AHEAD.test(src)) brackets = 0; // links never span paragraphs
      out.push(c);
      i++;
      lineStart = true;
    } else if (c === "\\") {
      const next = src[i + 1];
      if (next === undefined || next === "\n") {
        out.push("\\"); // a hard line break
        i++;
      } else if (ASCII_PUNCTUATION.has(next)) {
        out.push(`\\${next}`); // the writer's own escape, already literal
        i += 2;
      } else {
        out.push("\\\\"); // a literal backslash; escaped so it cannot pair with an escape we add after it
        i++;
      }
    } else if (c === "`") {
      let n = 1;
      while (src[i + n] === "`") n++;
      const close = findClosingBackticks(src, i + n, n, failedUntil);
      if (close === -1) {
        out.push("\\`".repeat(n));
        i += n;
      } else {
        out.push(fragmentToken(fragments.push({ kind: "code", text: codeSpanText(src.slice(i + n, close)) }) - 1));
        i = close + n;
      }
    } else if (c === "<") {
      AUTOLINK.lastIndex = i;
      const link = AUTOLINK.exec(src);
      if (link) {
        // MDX has no autolinks (`<` starts JSX), so write them as ordinary links; a `!` typed right before
        // one would turn the link into an image, so it is escaped.
        if (out.at(-1) === "!") out[out.length - 1] = "\\!"; // a lone "!" chunk is never escaped
        out.push(`[${escapeMarkdownText(link[1])}](${escapeMarkdownText(link[1])})`);
        i += link[0].length;
      } else {
        out.push("\\<");
        i++;
      }
    } else if (c === "[") {
      // Nested link/image brackets cost MDX superlinear time (1 400 deep: 6 s); real Markdown nests two or
      // three (an image in a link), so deeper ones are text.
      out.push(++brackets > MAX_BRACKET_NESTING ? "\\[" : "[");
      i++;
    } else if (c === "]") {
      brackets = Math.max(0, brackets - 1);
      out.push(c);
      i++;
    } else if (c === "{" || c === "}" || c === ">") {
      out.push(`\\${c}`);
      i++;
    } else if (src.startsWith("import", i) || src.startsWith("export", i)) {
      out.push(defuseKeywords(src.slice(i, i + 6)));
      i += 6;
    } else {
      out.push(c);
      i++;
    }
  }
  return out.join("");
}

/**
 * Index of a run of exactly `n` backticks at or after `from`, within the paragraph; -1 when there is none.
 * `failedUntil` remembers, per run length, where a search found nothing: a later search for that length
 * starting before that point fails too, which keeps a paragraph full of lone backticks linear, not quadratic.
 */
function findClosingBackticks(src: string, from: number, n: number, failedUntil: Map<number, number>): number {
  if ((failedUntil.get(n) ?? -1) > from) return -1;
  for (let j = from; j < src.length; ) {
    if (src[j] === "\n") {
      BLANK_LINE_AHEAD.lastIndex = j;
      if (BLANK_LINE_AHEAD.test(src)) {
        failedUntil.set(n, j);
        return -1;
      }
      j++;
    } else if (src[j] === "`") {
      let m = 1;
      while (src[j + m] === "`") m++;
      if (m === n) return j;
      j += m;
    } else j++;
  }
  failedUntil.set(n, src.length);
  return -1;
}

// CommonMark: line endings become spaces, and one space is stripped from each side when both have one.
function codeSpanText(raw: string): string {
  const text = raw
    .split("\n")
    .map((line, i) => (i === 0 ? line : stripAllQuoteMarkers(line)))
    .join(" ");
  return text.length > 2 && text.startsWith(" ") && text.endsWith(" ") && text.trim() !== "" ? text.slice(1, -1) : text;
}

function stripAllQuoteMarkers(line: string): string {
  return splitQuoteMarkers(line).rest.trimStart();
}
