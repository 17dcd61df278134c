// Markdown of issue descriptions and notes → the sanitised HTML the issue page shows (and the composer's
// preview): the same pipeline as the NOTE_TEXT of a mail (renderMarkdown: raw HTML, JSX and expressions stay
// text, unsafe URLs are dropped), then sanitizeUserHtml on top. Each distinct text is rendered once per
// process and cached, and a cold thread is compiled in batches: MDX costs a fixed ~10 ms per compile, so a
// 1,000-note thread rendered note by note would take seconds.
import { createHash, randomBytes } from "node:crypto";
import { sanitizeUserHtml } from "./body";
import { renderMarkdown, renderNeutralised } from "./markdown-render";
import { neutraliseMarkdown, type Fragment } from "./safe-markdown";

/** A Map kept in use order, bounded by the total size of its values (characters). */
class SizedLru {
  private readonly map = new Map<string, string>();
  private size = 0;
  constructor(private readonly maxChars: number) {}

  get(key: string): string | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: string): void {
    this.delete(key);
    // One huge text is not worth evicting everything else for.
    if (value.length > this.maxChars / 8) return;
    this.map.set(key, value);
    this.size += value.length + key.length;
    for (const [oldest, old] of this.map) {
      if (this.size <= this.maxChars) break;
      this.map.delete(oldest);
      this.size -= old.length + oldest.length;
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.map.delete(key);
    this.size -= old.length + key.length;
  }

  clear(): void {
    this.map.clear();
    this.size = 0;
  }

  get entries(): number {
    return this.map.size;
  }
}

// ~32 MB of UTF-16: tens of thousands of typical notes. Kept on globalThis so Next's dev reloads reuse it.
const store = globalThis as typeof globalThis & { __threadHtmlCache?: SizedLru };
const cache = (store.__threadHtmlCache ??= new SizedLru(16_000_000));

const keyOf = (markdown: string) => createHash("sha256").update(markdown).digest("base64url");

/** Forgets every rendered text (tests). */
export function clearThreadHtmlCache(): void {
  cache.clear();
}

export function threadHtmlCacheEntries(): number {
  return cache.entries;
}

/** One text, as the page shows it. */
export async function renderUserMarkdown(markdown: string): Promise<string> {
  return (await renderUserMarkdownMany([markdown]))[0];
}

// A paragraph no text can contain (random per process, letters and digits only: plain text to Markdown).
const SEPARATOR = `sdsep${randomBytes(12).toString("hex")}x`;
const SEPARATOR_HTML = new RegExp(`\\n*<p>${SEPARATOR}</p>\\n*`, "g");

// A link reference definition (`[x]: https://…`) applies to the whole document: in a batch it would reach into
// the other notes, so a text that might hold one is rendered alone.
const DEFINITION = /^[ \t]{0,3}(?:>[ \t]?)*[ \t]*\[[^\]\n]*\]:/m;

// Well below what markdown-render compiles at all (it falls back to plain text past its limits); a batch
// over these is split.
const BATCH = { notes: 80, chars: 60_000, emphasis: 400, brackets: 1_000, lines: 2_000 };

interface Cost {
  chars: number;
  emphasis: number;
  brackets: number;
  lines: number;
}

function costOf(text: string): Cost {
  let emphasis = 0;
  let brackets = 0;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 42 || c === 95) emphasis++; // * _
    else if (c === 91) brackets++; // [
    else if (c === 10) lines++;
  }
  // Neutralising adds a backslash before most punctuation: count the characters twice to stay safe.
  return { chars: text.length * 2, emphasis, brackets, lines: lines + 4 };
}

function fits(total: Cost, add: Cost, count: number): boolean {
  return (
    count < BATCH.notes &&
    total.chars + add.chars <= BATCH.chars &&
    total.emphasis + add.emphasis <= BATCH.emphasis &&
    total.brackets + add.brackets <= BATCH.brackets &&
    total.lines + add.lines <= BATCH.lines
  );
}

/** Groups texts into batches that compile as one document; a text that must be alone gets a batch of its own. */
function planBatches(texts: string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let total: Cost = { chars: 0, emphasis: 0, brackets: 0, lines: 0 };
  for (const text of texts) {
    const cost = costOf(text);
    const alone = DEFINITION.test(text) || !fits({ chars: 0, emphasis: 0, brackets: 0, lines: 0 }, cost, 0);
    if (alone) {
      batches.push([text]);
      continue;
    }
    if (!fits(total, cost, current.length)) {
      if (current.length) batches.push(current);
      current = [];
      total = { chars: 0, emphasis: 0, brackets: 0, lines: 0 };
    }
    current.push(text);
    total = {
      chars: total.chars + cost.chars,
      emphasis: total.emphasis + cost.emphasis,
      brackets: total.brackets + cost.brackets,
      lines: total.lines + cost.lines,
    };
  }
  if (current.length) batches.push(current);
  return batches;
}

/**
 * Renders several texts in one MDX compile: each is neutralised on its own (so an unclosed code fence ends
 * with its text) and they are joined by separator paragraphs, which no Markdown construct of a neutralised
 * text continues across. Should the output not split back into as many parts, each text is rendered alone.
 */
async function renderBatch(texts: string[]): Promise<string[]> {
  if (texts.length === 1) return [await renderMarkdown(texts[0])];
  const fragments: Fragment[] = [];
  const sources = texts.map((text) => neutraliseMarkdown(text, { details: true, fragments }).source);
  const source = sources.join(`\n\n${SEPARATOR}\n\n`);
  // An empty `plain` makes a compile failure produce no separators at all, i.e. the fallback below.
  const html = await renderNeutralised({ source, plain: "", fragments }, "value");
  const parts = `\n${html}\n`.split(SEPARATOR_HTML);
  if (parts.length === texts.length) return parts.map((part) => part.trim());
  return Promise.all(texts.map((text) => renderMarkdown(text)));
}

// Two cores on the smallest machines: more parallel compiles only queue up.
const CONCURRENCY = 2;

/** Texts (in order) as the page shows them: sanitised HTML, from the cache when rendered before. */
export async function renderUserMarkdownMany(markdowns: readonly string[]): Promise<string[]> {
  const keys = markdowns.map(keyOf);
  const results = keys.map((key) => cache.get(key));
  const missing = new Map<string, string>();
  const fresh = new Map<string, string>();
  markdowns.forEach((markdown, i) => {
    if (results[i] === undefined && markdown.trim() !== "") missing.set(keys[i], markdown);
  });

  if (missing.size > 0) {
    const batches = planBatches([...missing.values()]);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const rendered = await renderBatch(batch);
        batch.forEach((text, i) => {
          const html = sanitizeUserHtml(rendered[i]);
          const key = keyOf(text);
          fresh.set(key, html);
          cache.set(key, html);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, worker));
  }

  return markdowns.map((markdown, i) => (markdown.trim() === "" ? "" : (results[i] ?? fresh.get(keys[i]) ?? "")));
}
