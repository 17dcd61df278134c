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

const stats = { compiles: 0, hits: 0 };

/** Compiles so far and cache hits, for tests and diagnostics. */
export function markdownRenderStats(): { compiles: number; hits: number; templates: number; values: number } {
  return { ...stats, templates: caches.template.size, values: caches.value.size };
}

export function clearMarkdownRenderCache(): void {
  caches.template.clear();
  caches.value.clear();
  stats.compiles = 0;
  stats.hits = 0;
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

async function compile(source: string): Promise<string> {
  const { bundleMDX, getMDXComponent, renderToStaticMarkup, createElement } = await loadMdx();
  const { code } = await bundleMDX({
    source,
    grayMatterOptions: (options) => ({ ...options, delimiters: NO_FRONT_MATTER }),
  });
  const html = renderToStaticMarkup(createElement(getMDXComponent(code)));
  // React 19 hoists a `<link rel="preload">` for every image; a mail body has no head to put it in.
  return html.replace(/<link rel="preload"[^>]*>/g, "");
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

function decodeEntities(value: string): string {
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi, (entity, hex?: string, dec?: string, name?: string) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16) % 0x110000);
    if (dec) return String.fromCodePoint(Number(dec) % 0x110000);
    return ({ amp: "&", colon: ":", quot: '"', lt: "<", gt: ">", tab: "\t", newline: "\n" } as Record<string, string>)[
      name!.toLowerCase()
    ] ?? entity;
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

/** Compiles a neutralised source and fills in its fragments. */
export async function renderNeutralised(
  neutralised: Neutralised,
  cacheName: CacheName,
  context: FragmentContext = {},
): Promise<string> {
  if (neutralised.source.trim() === "") return "";
  const html = await compileNeutralised(neutralised.source, cacheName);
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
