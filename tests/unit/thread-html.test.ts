// The issue page's Markdown: the same output whether a text is rendered alone or in a batch with others
// (nothing leaks from one note into the next), nothing executable survives, and repeated texts are cached.
import { beforeEach, describe, expect, it } from "vitest";
import { renderMarkdown } from "@/lib/service-desk/markdown-render";
import { sanitizeUserHtml, withCollapsedQuote } from "@/lib/service-desk/body";
import { clearThreadHtmlCache, renderUserMarkdown, renderUserMarkdownMany, threadHtmlCacheEntries } from "@/lib/service-desk/thread-html";

// Texts that end (or start) inside constructs that could reach into whatever follows them.
const TRICKY = [
  "Plain text, two lines\nsecond line",
  "```js\nconst unclosed = 'fence';\n",
  "- a list\n- that ends the note",
  "> a quote\n> that ends the note",
  "    indented code at the end",
  "*unclosed emphasis and [an unclosed link",
  "1. numbered\n2. list\n\n   continued paragraph",
  "Setext heading?\n",
  "===",
  "# Heading with `code` and **bold**",
  "trailing hard break\\",
  "<details><summary>Quoted text</summary>\n\n> older mail\n\n</details>",
  withCollapsedQuote("Thanks, that worked!", "On Tue, Jake wrote:\n> Is it fixed?"),
  "<script>alert(1)</script> and <img src=x onerror=alert(2)> and {process.exit(1)}",
  "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) <https://example.com/ok>",
  "import x from 'y'\nexport const z = 1",
  "",
  "Entities &amp; &lt;b&gt; stay text",
];

beforeEach(() => clearThreadHtmlCache());

describe("renderUserMarkdownMany", () => {
  it("renders each text exactly as rendering it alone does", async () => {
    const batched = await renderUserMarkdownMany(TRICKY);
    const alone = await Promise.all(TRICKY.map(async (text) => (text.trim() ? sanitizeUserHtml(await renderMarkdown(text)) : "")));
    expect(batched).toEqual(alone);
  });

  it("keeps a link reference definition from reaching other notes", async () => {
    const [definer, victim] = await renderUserMarkdownMany(["[docs]: https://evil.example/", "See [docs] for more."]);
    expect(definer).not.toContain("evil");
    expect(victim).not.toContain("evil.example");
    expect(victim).toContain("[docs]");
  });

  it("keeps order, duplicates and empty texts", async () => {
    const texts = ["**a**", "", "**a**", "b"];
    const html = await renderUserMarkdownMany(texts);
    expect(html).toEqual(["<p><strong>a</strong></p>", "", "<p><strong>a</strong></p>", "<p>b</p>"]);
  });

  it("leaves nothing executable in hostile text", async () => {
    const html = (await renderUserMarkdownMany(TRICKY)).join("\n");
    expect(html).not.toMatch(/<script|<img[^>]*onerror|javascript:|data:text|<iframe/i);
    expect(html).not.toMatch(/<[^>]*\son\w+=/i);
    expect(html).toContain('href="https://example.com/ok"');
  });

  it("renders a long cold thread in batches and answers repeats from the cache", async () => {
    const notes = Array.from({ length: 300 }, (_, i) => `Reply **${i}** with a [link](https://example.com/${i})\n\n- item ${i}`);
    const first = await renderUserMarkdownMany(notes);
    expect(first[123]).toContain("<strong>123</strong>");
    expect(first[123]).toContain('href="https://example.com/123"');
    expect(threadHtmlCacheEntries()).toBe(300);
    const started = performance.now();
    const again = await renderUserMarkdownMany(notes);
    expect(performance.now() - started).toBeLessThan(200);
    expect(again).toEqual(first);
    expect(await renderUserMarkdown(notes[5])).toBe(first[5]);
  });
});
