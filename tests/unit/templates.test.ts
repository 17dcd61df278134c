// Service Desk mail templates: placeholders, escaping of values, hostile templates, caching, both bodies.
import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  clearMarkdownRenderCache,
  defaultTemplate,
  findPlaceholders,
  markdownRenderStats,
  PLACEHOLDER_NAMES,
  PLACEHOLDERS,
  precompileDefaultTemplates,
  renderMarkdown,
  renderTemplate,
  TEMPLATE_NAMES,
  type PlaceholderValues,
} from "@/lib/service-desk/templates";

const VALUES: PlaceholderValues = {
  ISSUE_ID: "#12",
  ISSUE_PATH: "acme/web#12",
  ISSUE_URL: "https://desk.example.com/acme/web/-/issues/12",
  ISSUE_DESCRIPTION: "My printer is **on fire**.",
  NOTE_TEXT: "Have you tried turning it off?",
  UNSUBSCRIBE_URL: "https://desk.example.com/unsubscribe/abc",
  SYSTEM_HEADER: "",
  SYSTEM_FOOTER: "Acme Inc.",
  ADDITIONAL_TEXT: "",
};

/** The rendered body without the layout around it. */
function bodyOf(html: string): string {
  const start = html.indexOf(">", html.indexOf('<td style="padding:24px 28px')) + 1;
  return html.slice(start, html.indexOf("</td>", start)).trim();
}

/** Body HTML without the inline styles, for readable assertions. */
function plainBody(html: string): string {
  return bodyOf(html).replace(/ style="[^"]*"/g, "");
}

declare global {
  var secret: unknown;
}

beforeAll(async () => {
  // The first compile loads mdx-bundler and starts esbuild (~0.4 s); keep it out of the timed tests.
  await renderMarkdown("warm up");
});

afterEach(() => {
  globalThis.secret = undefined;
});

describe("PLACEHOLDERS", () => {
  it("has GitLab's nine placeholders and the two naming what closed an issue, each described", () => {
    expect([...PLACEHOLDER_NAMES].sort()).toEqual(
      [
        "ADDITIONAL_TEXT",
        "CLOSED_BY_TITLE",
        "CLOSED_BY_URL",
        "ISSUE_DESCRIPTION",
        "ISSUE_ID",
        "ISSUE_PATH",
        "ISSUE_URL",
        "NOTE_TEXT",
        "SYSTEM_FOOTER",
        "SYSTEM_HEADER",
        "UNSUBSCRIBE_URL",
      ].sort(),
    );
    for (const name of PLACEHOLDER_NAMES) expect(PLACEHOLDERS[name].description.length).toBeGreaterThan(10);
  });

  it("allows NOTE_TEXT in new_note only, CLOSED_BY_* in issue_closed only, the others everywhere", () => {
    expect(PLACEHOLDERS.NOTE_TEXT.templates).toEqual(["new_note"]);
    expect(PLACEHOLDERS.CLOSED_BY_URL.templates).toEqual(["issue_closed"]);
    expect(PLACEHOLDERS.CLOSED_BY_TITLE.templates).toEqual(["issue_closed"]);
    for (const name of PLACEHOLDER_NAMES.filter((n) => !["NOTE_TEXT", "CLOSED_BY_URL", "CLOSED_BY_TITLE"].includes(n)))
      expect([...PLACEHOLDERS[name].templates].sort()).toEqual([...TEMPLATE_NAMES].sort());
  });
});

describe("findPlaceholders", () => {
  it("finds both spellings with their offsets", () => {
    const source = "Ticket %{ISSUE_ID} at %<ISSUE_URL>.";
    const found = findPlaceholders(source);
    expect(found).toEqual([
      { name: "ISSUE_ID", known: true, syntax: "%{}", start: 7, end: 18 },
      { name: "ISSUE_URL", known: true, syntax: "%<>", start: 22, end: 34 },
    ]);
    expect(found.map((p) => source.slice(p.start, p.end))).toEqual(["%{ISSUE_ID}", "%<ISSUE_URL>"]);
  });

  it("reports unknown names and names the template does not support", () => {
    const found = findPlaceholders("%{FOO} %{issue_id} %{ ISSUE_ID } %{NOTE_TEXT} %<NOTE_TEXT>", "thank_you");
    expect(found.map(({ name, known, reason }) => ({ name, known, reason }))).toEqual([
      { name: "FOO", known: false, reason: "unknown" },
      { name: "issue_id", known: false, reason: "unknown" },
      { name: " ISSUE_ID ", known: false, reason: "unknown" },
      { name: "NOTE_TEXT", known: false, reason: "unsupported" },
      { name: "NOTE_TEXT", known: false, reason: "unsupported" },
    ]);
    expect(findPlaceholders("%{NOTE_TEXT}", "new_note")[0]?.known).toBe(true);
    expect(findPlaceholders("%{NOTE_TEXT}")[0]?.known).toBe(true);
  });

  it("finds nothing in text without placeholders", () => {
    expect(findPlaceholders("100% sure {not} <b> %{} %{a\nb}")).toEqual([]);
  });
});

describe("renderTemplate: placeholders", () => {
  it("substitutes both spellings", async () => {
    const { html, text } = await renderTemplate("Ticket %{ISSUE_ID} in %<ISSUE_PATH>.", VALUES);
    expect(plainBody(html)).toBe("<p>Ticket #12 in acme/web#12.</p>");
    expect(text).toBe("Ticket #12 in acme/web#12.");
  });

  it("leaves unknown placeholders, and ones the template does not support, visible", async () => {
    const { html, text } = await renderTemplate("A %{FOO} B %<BAR> C %{NOTE_TEXT}", VALUES, { template: "thank_you" });
    expect(plainBody(html)).toBe("<p>A %{FOO} B %&lt;BAR&gt; C %{NOTE_TEXT}</p>");
    expect(text).toBe("A %{FOO} B %<BAR> C %{NOTE_TEXT}");
  });

  it("renders a supported placeholder without a value as nothing (no empty paragraph)", async () => {
    const { html } = await renderTemplate("%{SYSTEM_HEADER}\n\nHello %{ADDITIONAL_TEXT}.\n\n%{SYSTEM_FOOTER}", {});
    expect(plainBody(html)).toBe("<p>Hello .</p>");
  });

  it("escapes plain values and never reads them as Markdown", async () => {
    const { html, text } = await renderTemplate("%{ISSUE_ID} %{ISSUE_PATH} %{SYSTEM_FOOTER}", {
      ISSUE_ID: "<b>#1</b>",
      ISSUE_PATH: "**a_b**/c_d#1",
      SYSTEM_FOOTER: "{process.exit(1)} & [x](javascript:alert(1))",
    });
    expect(plainBody(html)).toBe(
      "<p>&#60;b&#62;#1&#60;/b&#62; **a_b**/c_d#1 {process.exit(1)} &#38; [x](javascript:alert(1))</p>",
    );
    expect(text).toBe("<b>#1</b> **a_b**/c_d#1 {process.exit(1)} & [x](javascript:alert(1))");
  });

  it("keeps line breaks of plain values", async () => {
    const { html } = await renderTemplate("%{SYSTEM_FOOTER}", { SYSTEM_FOOTER: "Acme Inc.\n1 Main Street" });
    expect(plainBody(html)).toBe("<p>Acme Inc.<br/>\n1 Main Street</p>");
  });

  it("does not substitute placeholders that appear inside values", async () => {
    const { text } = await renderTemplate("%{NOTE_TEXT} %{ISSUE_ID}", { NOTE_TEXT: "see %{ISSUE_ID}", ISSUE_ID: "#7" });
    expect(text).toBe("see %{ISSUE_ID} #7");
  });

  it("substitutes placeholders inside code as plain text", async () => {
    const { html } = await renderTemplate("Run `close %{ISSUE_ID}`\n\n```\nissue: %{ISSUE_PATH}\n```", {
      ISSUE_ID: "<#12>",
      ISSUE_PATH: "acme/web#12",
    });
    expect(plainBody(html)).toBe("<p>Run <code>close &#60;#12&#62;</code></p>\n<pre><code>issue: acme/web#12\n</code></pre>");
  });
});

describe("renderTemplate: URL placeholders", () => {
  it("links a URL placeholder in text and uses it bare as a link target", async () => {
    const { html, text } = await renderTemplate("See %{ISSUE_URL}.\n\n[Unsubscribe](%{UNSUBSCRIBE_URL})", VALUES);
    expect(plainBody(html)).toBe(
      '<p>See <a href="https://desk.example.com/acme/web/-/issues/12">https://desk.example.com/acme/web/-/issues/12</a>.</p>\n' +
        '<p><a href="https://desk.example.com/unsubscribe/abc">Unsubscribe</a></p>',
    );
    expect(text).toBe(
      "See https://desk.example.com/acme/web/-/issues/12.\n\nUnsubscribe (https://desk.example.com/unsubscribe/abc)",
    );
  });

  it("escapes & in URLs and does not nest links", async () => {
    const { html } = await renderTemplate("[%{ISSUE_URL}](%{ISSUE_URL})", { ISSUE_URL: "https://x.test/?a=1&b=2" });
    expect(plainBody(html)).toBe('<p><a href="https://x.test/?a=1&#38;b=2">https://x.test/?a=1&#38;b=2</a></p>');
  });

  it("never makes a javascript: link out of a value", async () => {
    const { html } = await renderTemplate("%{ISSUE_URL} [a](%{ISSUE_URL}) [b](%{ISSUE_DESCRIPTION}) [c](%{ISSUE_ID})", {
      ISSUE_URL: "javascript:alert(1)",
      ISSUE_DESCRIPTION: "javascript:alert(2)",
      ISSUE_ID: "//evil.example",
    });
    const body = plainBody(html);
    expect(body).not.toMatch(/href="(?:javascript:|\/\/)/i);
    expect(body).toContain('href="javascript%3Aalert(1)"');
    expect(body).toContain('href="%2F%2Fevil.example"');
    expect(body).toMatch(/^<p>javascript:alert\(1\) /);
  });
});

describe("renderTemplate: Markdown values (NOTE_TEXT, ISSUE_DESCRIPTION)", () => {
  it("renders Markdown: emphasis, links, lists, code", async () => {
    const note = [
      "Hi **there**, see [the docs](https://docs.example.com).",
      "",
      "- one",
      "- two with `{braces} <tags>`",
      "",
      "1. first",
      "",
      "> quoted",
      "",
      "```html",
      '<div class="x">{value}</div>',
      "```",
      "",
      "Auto <https://auto.example.com/?q=import>",
    ].join("\n");
    const { html } = await renderTemplate("%{NOTE_TEXT}", { NOTE_TEXT: note }, { template: "new_note" });
    expect(plainBody(html)).toBe(
      [
        '<p>Hi <strong>there</strong>, see <a href="https://docs.example.com">the docs</a>.</p>',
        "<ul>",
        "<li>one</li>",
        "<li>two with <code>{braces} &#60;tags&#62;</code></li>",
        "</ul>",
        "<ol>",
        "<li>first</li>",
        "</ol>",
        "<blockquote>",
        "<p>quoted</p>",
        "</blockquote>",
        '<pre><code class="language-html">&#60;div class=&#34;x&#34;&#62;{value}&#60;/div&#62;\n</code></pre>',
        '<p>Auto <a href="https://auto.example.com/?q=import">https://auto.example.com/?q=import</a></p>',
      ].join("\n"),
    );
  });

  it("shows HTML, JSX, expressions and import/export in a value as the text typed", async () => {
    const note = [
      "<script>alert(1)</script>",
      "",
      "{process.exit()}",
      "",
      "export default 1",
      "",
      'import fs from "fs"',
      "",
      "<img src=x onerror=alert(1)> <Foo /> {globalThis.secret = 1} \\{escaped\\}",
    ].join("\n");
    const { html, text } = await renderTemplate("%{NOTE_TEXT}", { NOTE_TEXT: note }, { template: "new_note" });
    expect(globalThis.secret).toBeUndefined();
    expect(plainBody(html)).toBe(
      [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        "<p>{process.exit()}</p>",
        "<p>export default 1</p>",
        "<p>import fs from &quot;fs&quot;</p>",
        "<p>&lt;img src=x onerror=alert(1)&gt; &lt;Foo /&gt; {globalThis.secret = 1} {escaped}</p>",
      ].join("\n"),
    );
    expect(text).toBe(
      [
        "<script>alert(1)</script>",
        "{process.exit()}",
        "export default 1",
        'import fs from "fs"',
        "<img src=x onerror=alert(1)> <Foo /> {globalThis.secret = 1} {escaped}",
      ].join("\n\n"),
    );
  });

  it("keeps a backslash the writer typed from pairing with an added escape", async () => {
    const { text } = await renderTemplate("%{NOTE_TEXT}", { NOTE_TEXT: "a\\{b} c\\\\{d} e\\import" }, { template: "new_note" });
    expect(text).toBe("a{b} c\\{d} e\\import");
  });

  it("inserts a one-paragraph value inline and ends the paragraph around a longer one", async () => {
    const one = await renderTemplate("Note: %{NOTE_TEXT} (end)", { NOTE_TEXT: "*short*" }, { template: "new_note" });
    expect(plainBody(one.html)).toBe("<p>Note: <em>short</em> (end)</p>");
    const two = await renderTemplate("Note: %{NOTE_TEXT} (end)", { NOTE_TEXT: "one\n\ntwo" }, { template: "new_note" });
    expect(plainBody(two.html)).toBe("<p>Note: </p>\n<p>one</p>\n<p>two</p>\n<p> (end)</p>");
    expect(plainBody(two.html).match(/<\/?p>/g)?.join("")).toMatch(/^(?:<p><\/p>)+$/); // never nested
  });

  it("drops link targets and images with unsafe schemes", async () => {
    const note = "[a](javascript:alert(1)) [b](data:text/html,x) [c](JaVaScRiPt&#58;alert(1)) ![pic](vbscript:x)\n\n[r]\n\n[r]: javascript:alert(3)";
    const { html } = await renderTemplate("%{NOTE_TEXT}", { NOTE_TEXT: note }, { template: "new_note" });
    expect(plainBody(html)).toBe("<p><a>a</a> <a>b</a> <a>c</a> pic</p>\n<p><a>r</a></p>");
  });

  it("keeps safe links and images, and a `!` before an autolink as text", async () => {
    const note = "[a](https://a.test) [m](mailto:x@y.test) ![pic](https://img.test/p.png) !<https://b.test>";
    const { html } = await renderTemplate("%{NOTE_TEXT}", { NOTE_TEXT: note }, { template: "new_note" });
    expect(plainBody(html)).toBe(
      '<p><a href="https://a.test">a</a> <a href="mailto:x@y.test">m</a> <img src="https://img.test/p.png" alt="pic"/> !<a href="https://b.test">https://b.test</a></p>',
    );
  });

  it("renders a collapsed quote (withCollapsedQuote) as <details>", async () => {
    const description = "New text\n\n<details><summary>Quoted text</summary>\n\n> old *mail*\n\n</details>";
    const { html, text } = await renderTemplate("%{ISSUE_DESCRIPTION}", { ISSUE_DESCRIPTION: description });
    expect(plainBody(html)).toBe(
      "<p>New text</p>\n<details><summary>Quoted text</summary>\n<blockquote>\n<p>old <em>mail</em></p>\n</blockquote>\n</details>",
    );
    expect(text).toBe("New text\n\nQuoted text:\n\n> old mail");
  });
});

describe("renderTemplate: hostile templates", () => {
  const hostile: [string, string][] = [
    ["{process.exit(1)}", "{process.exit(1)}"],
    ["<script>alert(1)</script>", "<script>alert(1)</script>"],
    ["<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"],
    ['import fs from "fs"', 'import fs from "fs"'],
    ["export const x = 1", "export const x = 1"],
    ["{/* comment */}", "{/* comment */}"],
    ["<Foo />", "<Foo />"],
    ["{globalThis.secret = 1}", "{globalThis.secret = 1}"],
    ["    {globalThis.secret = 2}", "{globalThis.secret = 2}"],
    ["<!-- comment -->", "<!-- comment -->"],
    ["<>fragment</>", "<>fragment</>"],
    ["export default function X() { globalThis.secret = 3 }", "export default function X() { globalThis.secret = 3 }"],
  ];

  it.each(hostile)("%j renders as its own text", async (source, expected) => {
    const { html, text } = await renderTemplate(source, VALUES);
    expect(globalThis.secret).toBeUndefined();
    expect(text).toBe(expected);
    expect(bodyOf(html)).not.toMatch(/<(?:script|img|foo|!--)/i);
  });

  it("does not evaluate `---js` front matter", async () => {
    const { text } = await renderTemplate("---js\nglobalThis.secret = 4\n---\nHello", VALUES);
    expect(globalThis.secret).toBeUndefined();
    expect(text).toContain("globalThis.secret = 4");
    expect(text).toContain("Hello");
  });

  it("renders all hostile lines of one template as text", async () => {
    const source = hostile.map(([s]) => s).join("\n\n");
    const { text } = await renderTemplate(source, VALUES);
    expect(globalThis.secret).toBeUndefined();
    for (const [, expected] of hostile) expect(text).toContain(expected);
  });

  it("never throws nor runs code, whatever the template and values (property)", async () => {
    const pieces = [
      ..."{}<>\\`*_[]()&;#!|$%\n ",
      "```",
      "~~~",
      "import",
      "export",
      "---",
      "js",
      "\n\n",
      "    ",
      "> ",
      "- ",
      "1. ",
      "{globalThis.secret=1}",
      "(globalThis.secret=2)",
      "<!--",
      "<details>",
      "</details>",
      "<summary>s</summary>",
      "<https://a.test>",
      "%{ISSUE_ID}",
      "%<NOTE_TEXT>",
      "%{NOTE_TEXT}",
      "%{FOO}",
      "é",
      "😀",
    ];
    const markdown = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(""));
    await fc.assert(
      fc.asyncProperty(markdown, markdown, async (template, note) => {
        const { html, text } = await renderTemplate(template, { ...VALUES, NOTE_TEXT: note }, { template: "new_note" });
        expect(globalThis.secret).toBeUndefined();
        expect(bodyOf(html)).not.toMatch(/<(?:script|link|style|iframe)[\s>]|\s(?:href|src)="\s*(?:javascript|data|vbscript):/i);
        expect(typeof text).toBe("string");
      }),
      { numRuns: 60 },
    );
  });
});

describe("renderMarkdown: input written to be expensive", () => {
  it("keeps at most 32 levels of quotes and lists; deeper markers are text", async () => {
    const html = await renderMarkdown(`${"> ".repeat(40)}deep`);
    expect(html.match(/<blockquote>/g)).toHaveLength(32);
    expect(html).toContain(`<p>${"&gt; ".repeat(8)}deep</p>`);
    const lists = await renderMarkdown(`${"- ".repeat(40)}deep`);
    expect(lists.match(/<ul>/g)).toHaveLength(32);
  });

  it("keeps link brackets nested at most 8 deep", async () => {
    const html = await renderMarkdown(`${"[".repeat(12)}x${"](https://a.test)".repeat(12)}`);
    expect(html.match(/<a /g)?.length).toBeLessThanOrEqual(8);
    expect(html).toContain("[[[[x");
  });

  it("shows huge or pathological values as escaped plain text, quickly", async () => {
    clearMarkdownRenderCache();
    const note = `${"*a* ".repeat(5_000)}\n\n<script>x</script> {y}\nnext line`;
    const started = performance.now();
    const { html, text } = await renderTemplate("Note:\n\n%{NOTE_TEXT}\n\n%{ISSUE_ID}", { ...VALUES, NOTE_TEXT: note }, { template: "new_note" });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(markdownRenderStats().fallbacks).toBe(1);
    expect(plainBody(html)).toContain("<p>&#60;script&#62;x&#60;/script&#62; {y}<br/>\nnext line</p>\n<p>#12</p>");
    expect(text).toContain("*a* *a*");
  });
});

describe("renderTemplate: cache", () => {
  it("compiles a template once and reuses it for other values", async () => {
    clearMarkdownRenderCache();
    const source = "Cache check: ticket %{ISSUE_ID} at %{ISSUE_URL}.";
    const first = await renderTemplate(source, { ISSUE_ID: "#1", ISSUE_URL: "https://a.test/1" });
    expect(markdownRenderStats()).toMatchObject({ compiles: 1, hits: 0, templates: 1 });

    const started = performance.now();
    const second = await renderTemplate(source, { ISSUE_ID: "#2", ISSUE_URL: "https://a.test/2" });
    const elapsed = performance.now() - started;
    expect(markdownRenderStats()).toMatchObject({ compiles: 1, hits: 1, templates: 1 });
    expect(elapsed).toBeLessThan(50);
    expect(first.text).toBe("Cache check: ticket #1 at https://a.test/1.");
    expect(second.text).toBe("Cache check: ticket #2 at https://a.test/2.");
  });

  it("compiles concurrent renders of a new template once", async () => {
    clearMarkdownRenderCache();
    await Promise.all([1, 2, 3].map((n) => renderTemplate("Concurrent %{ISSUE_ID}", { ISSUE_ID: `#${n}` })));
    expect(markdownRenderStats()).toMatchObject({ compiles: 1, hits: 2 });
  });
});

describe("renderTemplate: output", () => {
  it("is a complete, self-contained HTML document with inline styles", async () => {
    const { html } = await renderTemplate("Hello [link](https://a.test)\n\n- item", VALUES, { title: "Re: <help>" });
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("</html>");
    expect(html).toContain("max-width:600px");
    expect(html).toContain("<title>Re: &#60;help&#62;</title>");
    expect(html).toContain('<p style="margin:0 0 16px 0;">Hello');
    expect(html).toMatch(/<a style="[^"]+" href="https:\/\/a.test">link<\/a>/);
    // No external resources, no scripts.
    expect(html).not.toMatch(/<(?:link|script|style)[\s>]|src="http|url\(/i);
  });

  it("has a plain-text version: paragraphs, links with their URL, `- ` list items", async () => {
    const source = "# Title\n\nFirst *para* with [a link](https://a.test/x).\n\n- one\n- two\n\n1. first\n2. second\n\n---\n\nLast";
    const { text } = await renderTemplate(source, VALUES);
    expect(text).toBe(
      "# Title\n\nFirst para with a link (https://a.test/x).\n\n- one\n- two\n\n1. first\n2. second\n\n---\n\nLast",
    );
  });
});

describe("default templates", () => {
  it.each(TEMPLATE_NAMES)("%s exists, uses only placeholders it supports, and renders", async (name) => {
    const source = defaultTemplate(name);
    expect(source).toBe(defaultTemplate(name));
    expect(findPlaceholders(source, name).every((p) => p.known)).toBe(true);
    const { html, text } = await renderTemplate(source, VALUES, { template: name });
    expect(html).toContain("<!DOCTYPE html>");
    expect(text).not.toMatch(/%[{<]/);
    expect(text).toContain(name === "new_note" ? VALUES.NOTE_TEXT : "#12");
    expect(text).toContain("Acme Inc.");
  });

  it("can be compiled ahead of the first mail", async () => {
    clearMarkdownRenderCache();
    await precompileDefaultTemplates();
    expect(markdownRenderStats()).toMatchObject({ compiles: TEMPLATE_NAMES.length, templates: TEMPLATE_NAMES.length });
    await renderTemplate(defaultTemplate("thank_you"), VALUES, { template: "thank_you" });
    expect(markdownRenderStats().compiles).toBe(TEMPLATE_NAMES.length);
  });

  it("refuses names that are not templates", () => {
    expect(() => defaultTemplate("../package" as never)).toThrow(/Unknown Service Desk template/);
  });
});
