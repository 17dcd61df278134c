// Markdown → HTML through mdx-bundler, for mail templates and the Markdown values put into them. Sources are
// neutralised first (safe-markdown.ts), so MDX only ever sees plain Markdown; mdx-bundler, esbuild and the
// React renderer are loaded on first use so that importing this module stays cheap.
import { createHash } from "node:crypto";
import {
  neutraliseMarkdown,
  replaceTokens,
  tokenPattern,
  type Fragment,
  type Neutralised,
} from "./safe-markdown";

interface MdxModules {
  bundleMDX: typeof import("mdx-bundler").bundleMDX;
  getMDXComponent: typeof import("mdx-bundler/client/index.js").getMDXComponent;
  renderToStaticMarkup: typeof import("react-dom/server").renderToStaticMarkup;
  createElement: typeof import("react").createElement;
}

let mdxModules: Promise<MdxModules> | undefined;

function loadMdx(): Promise<MdxModules> {
  mdxModules ??= Promise.all([
    import("mdx-bundler"),
    import("mdx-bundler/client/index.js"),
    import("react-dom/server"),
    import("react"),
  ]).then(
    ([bundler, client, server, react]) => ({
      bundleMDX: bundler.bundleMDX,
      getMDXComponent: client.getMDXComponent,
      renderToStaticMarkup: server.renderToStaticMarkup,
      createElement: react.createElement,
    }),
    (error: unknown) => {
      mdxModules = undefined; // let a later call try again
      throw error;
    },
  );
  return mdxModules;
}

/** A Map kept in use order: a hit moves the key to the end, the oldest key is dropped past `max`. */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}

// What is cached is the rendered markup rather than the compiled code: the neutralised source takes no props
// and its values live outside it (as tokens), so its markup never changes — this also skips evaluating the
// bundle and rendering React on every mail. Values get a cache of their own so that a burst of distinct
// comments cannot push the handful of templates out.
const caches = { template: new LruCache<Promise<string>>(200), value: new LruCache<Promise<string>>(100) };
export type CacheName = keyof typeof caches;

const stats = { compiles: 0, hits: 0, fallbacks: 0 };

/** Compiles, cache hits and plain-text fallbacks so far, and the cache sizes: for tests and diagnostics. */
export function markdownRenderStats(): {
  compiles: number;
  hits: number;
  fallbacks: number;
  templates: number;
  values: number;
} {
  return { ...stats, templates: caches.template.size, values: caches.value.size };
}

export function clearMarkdownRenderCache(): void {
  caches.template.clear();
  caches.value.clear();
  stats.compiles = 0;
  stats.hits = 0;
  stats.fallbacks = 0;
}

// gray-matter (inside mdx-bundler) would evaluate `---js` front matter; a delimiter no source can contain
// (neutralising removes NUL) turns it off, on top of the leading newline every neutralised source has.
const NO_FRONT_MATTER = "\u0000no-front-matter\u0000";

/** HTML of a neutralised source (tokens still in place), compiled once per distinct source. */
export async function compileNeutralised(source: string, cacheName: CacheName): Promise<string> {
  const cache = caches[cacheName];
  const key = createHash("sha256").update(source).digest("hex");
  const cached = cache.get(key);
  if (cached) {
    stats.hits++;
    return cached;
  }
  stats.compiles++;
  // Cache the promise, not the result, so concurrent renders of one new template compile it once.
  const pending = compile(source);
  cache.set(key, pending);
  pending.catch(() => cache.delete(key));
  return pending;
}

/** MDX could not compile this source (as opposed to mdx-bundler/esbuild not loading at all). */
class SourceCompileError extends Error {
  constructor(cause: unknown) {
    super("MDX could not compile the source", { cause });
    this.name = "SourceCompileError";
  }
}

async function compile(source: string): Promise<string> {
  // Not caught below: a missing esbuild binary is a deployment error and must not pass as plain-text mail.
  const { bundleMDX, getMDXComponent, renderToStaticMarkup, createElement } = await loadMdx();
  try {
    const { code } = await bundleMDX({
      source,
      grayMatterOptions: (options) => ({ ...options, delimiters: NO_FRONT_MATTER }),
      // A failure is handled (plain-text fallback); esbuild would also print it to stderr.
      esbuildOptions: (options) => ({ ...options, logLevel: "silent" }),
    });
    const html = renderToStaticMarkup(createElement(getMDXComponent(code)));
    // React 19 hoists a `<link rel="preload">` for every image; a mail body has no head to put it in.
    return html.replace(/<link rel="preload"[^>]*>/g, "");
  } catch (error) {
    throw new SourceCompileError(error);
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** How one fragment is written where its token ended up. */
export interface FragmentHtml {
  /** The token was a paragraph of its own (`<p>TOKEN</p>`). */
  block: string;
  /** The token was inside text. */
  inline: string;
  /** The token was inside a link's text: no links (nested anchors are invalid). */
  inAnchor: string;
  /** The token was inside an attribute value; the result is escaped for a double-quoted attribute. */
  attribute: (attributeName: string) => string;
}

export interface FragmentContext {
  /** HTML of a placeholder (templates only). */
  placeholder?: (name: string) => FragmentHtml;
  /** Plain text of a placeholder, for placeholders inside code. */
  placeholderText?: (name: string) => string;
  depth?: number;
}

// A `<details>` quote can hold another one; past this depth the inner one stays as escaped text.
const MAX_DETAILS_DEPTH = 3;

async function fragmentHtml(fragment: Fragment, fragments: Fragment[], context: FragmentContext): Promise<FragmentHtml> {
  const codeText = (text: string) =>
    replaceTokens(text, (i) => {
      const inner = fragments[i];
      return inner?.kind === "placeholder" ? (context.placeholderText?.(inner.name) ?? "") : "";
    });
  switch (fragment.kind) {
    case "code": {
      const html = `<code>${escapeHtml(codeText(fragment.text))}</code>`;
      return { block: `<p>${html}</p>`, inline: html, inAnchor: html, attribute: () => escapeHtml(codeText(fragment.text)) };
    }
    case "codeBlock": {
      const text = codeText(fragment.text);
      const lang = fragment.lang ? ` class="language-${escapeHtml(fragment.lang)}"` : "";
      const html = `<pre><code${lang}>${escapeHtml(text.endsWith("\n") || text === "" ? text : `${text}\n`)}</code></pre>`;
      return { block: html, inline: html, inAnchor: html, attribute: () => escapeHtml(text) };
    }
    case "details": {
      const depth = (context.depth ?? 0) + 1;
      const body = await renderMarkdown(fragment.body, depth);
      const html = `<details><summary>${escapeHtml(fragment.summary)}</summary>\n${body}\n</details>`;
      return { block: html, inline: html, inAnchor: html, attribute: () => escapeHtml(fragment.summary) };
    }
    case "placeholder": {
      const empty = { block: "", inline: "", inAnchor: "", attribute: () => "" };
      return context.placeholder?.(fragment.name) ?? empty;
    }
  }
}

/**
 * Puts the fragments' HTML in place of their tokens in compiled HTML, in one pass (inserted HTML is never
 * searched for tokens again). React escapes `<` and `>` inside attribute values, so `<[^>]*>` is always a whole
 * tag and tokens inside it are attribute values.
 */
function substituteFragments(html: string, rendered: FragmentHtml[]): string {
  const token = tokenPattern().source;
  const pattern = new RegExp(`<p>${token}</p>|<[^>]*>|${token}`, "g");
  let anchors = 0;
  let inParagraph = false;
  const substituted = html.replace(pattern, (match: string, blockIndex?: string, inlineIndex?: string) => {
    if (blockIndex !== undefined) return rendered[Number(blockIndex)]?.block ?? "";
    if (inlineIndex !== undefined) {
      const fragment = rendered[Number(inlineIndex)];
      const inserted = (anchors > 0 ? fragment?.inAnchor : fragment?.inline) ?? "";
      // Block content in the middle of a sentence: end the paragraph around it rather than nest it in <p>.
      return inParagraph && BLOCK_TAG.test(inserted) ? `</p>\n${inserted}\n<p>` : inserted;
    }
    if (/^<a[\s>]/.test(match)) anchors++;
    else if (match === "</a>") anchors = Math.max(0, anchors - 1);
    else if (/^<p[\s>]/.test(match)) inParagraph = true;
    else if (match === "</p>") inParagraph = false;
    const tag = match.replace(/([\w:-]+)="([^"]*)"/g, (_attr, name: string, value: string) => {
      const replaced = replaceTokens(value, (i) => rendered[i]?.attribute(name.toLowerCase()) ?? "");
      return `${name}="${replaced}"`;
    });
    return withSafeUrls(tag);
  });
  return substituted.replace(/<p>\s*<\/p>\n?/g, "");
}

const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);

// Only what can spell a URL scheme matters here.
const NAMED_ENTITIES = new Map([
  ["amp", "&"],
  ["colon", ":"],
  ["tab", "\t"],
  ["newline", "\n"],
]);

function decodeEntities(value: string): string {
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi, (entity, hex?: string, dec?: string, name?: string) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16) % 0x110000);
    if (dec) return String.fromCodePoint(Number(dec) % 0x110000);
    return NAMED_ENTITIES.get(name?.toLowerCase() ?? "") ?? entity;
  });
}

// React only blocks javascript: URLs (and still writes an href); Markdown may hold data:, vbscript: and
// others. Browsers ignore whitespace and control characters inside a scheme, so those are removed first.
function isSafeUrl(value: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(decodeEntities(value).replace(/[\u0000-\u0020\u007f]/g, ""));
  return !scheme || SAFE_SCHEMES.has(scheme[1].toLowerCase());
}

/** Drops href/src attributes with an unsafe scheme; an image without a source becomes its alt text. */
function withSafeUrls(tag: string): string {
  if (!/\s(?:href|src)="/.test(tag)) return tag;
  const safe = tag.replace(/\s(href|src)="([^"]*)"/g, (attribute: string, _name, value: string) =>
    isSafeUrl(value) ? attribute : "",
  );
  if (/^<img\s/.test(safe) && !/\ssrc="/.test(safe)) return /\salt="([^"]*)"/.exec(safe)?.[1] ?? "";
  return safe;
}

const BLOCK_TAG = /<(?:p|ul|ol|pre|blockquote|details|h[1-6]|hr|table|div)[\s>/]/;

// MDX compiles at roughly 0.3–0.5 ms per element (link, emphasis, paragraph…), synchronously, so a value
// written to be expensive (`*a* ` × 20 000) would hold the event loop for many seconds. Past these limits it
// is shown as plain text instead; real comments and mails stay far below them.
const MAX_COMPILED_LENGTH = 200_000;
// Emphasis is the costliest: its delimiters nest, and deep nesting is superlinear (400 → 0.1 s, 2 800 → 2 s).
const MAX_EMPHASIS_DELIMITERS = 600;
const MAX_BRACKETS = 1_500;
const MAX_LINES = 3_000;

/** Whether a source is small enough to compile: counts of the characters that make elements. */
function compilable(source: string): boolean {
  if (source.length > MAX_COMPILED_LENGTH) return false;
  let emphasis = 0;
  let brackets = 0;
  let lines = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "*" || c === "_") emphasis++;
    else if (c === "[") brackets++;
    else if (c === "\n") lines++;
  }
  return emphasis <= MAX_EMPHASIS_DELIMITERS && brackets <= MAX_BRACKETS && lines <= MAX_LINES;
}

/** Paragraphs of escaped text with line breaks: what a source becomes when it cannot be compiled. */
function plainTextHtml(text: string): string {
  return text
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br/>\n")}</p>`)
    .join("\n");
}

/**
 * Compiles a neutralised source and fills in its fragments. Should MDX still fail (a too deeply nested
 * structure can overflow its stack) or the source be huge, the text is shown as escaped plain text instead,
 * with placeholders still filled in: a mail must not fail to send because of what someone typed.
 */
export async function renderNeutralised(
  neutralised: Neutralised,
  cacheName: CacheName,
  context: FragmentContext = {},
): Promise<string> {
  if (neutralised.source.trim() === "") return "";
  let html: string;
  try {
    if (!compilable(neutralised.source)) throw new SourceCompileError("too long or complex to compile");
    html = await compileNeutralised(neutralised.source, cacheName);
  } catch (error) {
    if (!(error instanceof SourceCompileError)) throw error;
    stats.fallbacks++;
    html = plainTextHtml(neutralised.plain);
  }
  const rendered = await Promise.all(neutralised.fragments.map((f) => fragmentHtml(f, neutralised.fragments, context)));
  return substituteFragments(html, rendered).trim();
}

/**
 * Markdown written by people (comments, issue descriptions) → HTML body fragment. Links, lists, emphasis and
 * code render; raw HTML, JSX, `{expressions}` and import/export show as the text that was typed.
 */
export async function renderMarkdown(markdown: string, depth = 0): Promise<string> {
  const neutralised = neutraliseMarkdown(markdown, { details: depth < MAX_DETAILS_DEPTH });
  return renderNeutralised(neutralised, "value", { depth });
}
