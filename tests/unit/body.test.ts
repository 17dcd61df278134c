// Customer mail → issue/note Markdown: HTML conversion, reply trimming, collapsed quotes, the UI sanitiser.
import fc from "fast-check";
import TurndownService from "turndown";
import { describe, expect, it } from "vitest";
import {
  CUT_NOTICE,
  MAX_MAIL_TEXT_CHARS,
  bodyFromMail,
  escapeMarkdownLines,
  htmlToMarkdown,
  htmlToMarkdownUnbounded,
  sanitizeUserHtml,
  trimReply,
  withCollapsedQuote,
} from "@/lib/service-desk/body";
import { HTML_LIMITS, limitHtml } from "@/lib/service-desk/html-limit";

describe("htmlToMarkdown", () => {
  it("drops head, scripts, styles, event handlers, hidden preheaders and tracking pixels", () => {
    const html = `<html><head><title>Newsletter</title><style>p { color: red }</style><script>alert(1)</script></head>
      <body><div style="display:none;max-height:0">Preheader text</div>
      <p onclick="steal()">Hello</p><script>alert(2)</script><noscript>no js</noscript>
      <img src="https://track.example.com/open.gif" width="1" height="1" alt="">
      <span hidden>secret</span></body></html>`;
    expect(htmlToMarkdown(html)).toBe("Hello");
  });

  it("keeps paragraphs, line breaks, emphasis, headings and code", () => {
    const html =
      "<h2>Problem</h2><p>Line one<br>line <b>two</b> and <i>three</i></p>" +
      "<p>Run <code>make</code>:</p><pre><code class=\"language-sh\">make all\n</code></pre><pre>plain   pre</pre><hr><p><s>old</s></p>";
    expect(htmlToMarkdown(html)).toBe(
      "## Problem\n\nLine one  \nline **two** and _three_\n\nRun `make`:\n\n```sh\nmake all\n```\n\n```\nplain   pre\n```\n\n---\n\n~~old~~",
    );
  });

  it("converts lists with `- ` and numbers, nested and with a start", () => {
    const html = "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul><ol start=\"3\"><li>three</li><li>four</li></ol>";
    expect(htmlToMarkdown(html)).toBe("- one\n- two\n  - nested\n\n3. three\n4. four");
  });

  it("converts blockquotes", () => {
    expect(htmlToMarkdown("<p>Reply</p><blockquote><p>quoted <b>text</b></p><p>more</p></blockquote>")).toBe(
      "Reply\n\n> quoted **text**\n> \n> more",
    );
  });

  it("turns a simple table into a Markdown table", () => {
    const html =
      "<table><thead><tr><th>Model</th><th>Serial</th></tr></thead><tbody>" +
      "<tr><td>HP 1</td><td>A|B</td></tr><tr><td></td><td>x<br>y</td></tr></tbody></table>";
    expect(htmlToMarkdown(html)).toBe("| Model | Serial |\n| --- | --- |\n| HP 1 | A\\|B |\n|  | x y |");
  });

  it("reads layout tables (nested, one column) cell by cell", () => {
    const html =
      "<table><tr><td><p>Dear support,</p><table><tr><td>My printer</td><td>is broken</td></tr></table></td></tr>" +
      "<tr><td>Thanks</td></tr></table>";
    expect(htmlToMarkdown(html)).toBe("Dear support,\n\nMy printer\n\nis broken\n\nThanks");
  });

  it("keeps links, and turns empty, in-page and unsafe links into their text", () => {
    const html =
      '<p><a href="">empty</a> <a>none</a> <a href="#top">hash</a> <a href="javascript:alert(1)">js</a> ' +
      '<a href="//evil.example/x">relative</a> <a href="https://a.test/x y" title="T">real</a> ' +
      '<a href="https://a.test">https://a.test</a> <a href="mailto:me@a.test">me@a.test</a></p>';
    expect(htmlToMarkdown(html)).toBe(
      'empty none hash js relative [real](https://a.test/x%20y "T") <https://a.test> <me@a.test>',
    );
  });

  it("keeps real images, drops inline (cid:) and data: ones", () => {
    const html = '<p><img src="https://a.test/i.png" alt="screenshot"><img src="cid:part1" alt="inline"><img src="data:image/png;base64,AAA" alt="d"></p>';
    expect(htmlToMarkdown(html)).toBe("![screenshot](https://a.test/i.png)");
  });

  it("escapes text that would otherwise become HTML or Markdown", () => {
    expect(htmlToMarkdown("<p>a &lt;b&gt; c &amp; *d* 1. e&nbsp;f</p>")).toBe("a \\<b> c & \\*d\\* 1. e f");
  });

  it("returns an empty string for empty mail", () => {
    expect(htmlToMarkdown("")).toBe("");
    expect(htmlToMarkdown("<html><body><p> </p><div><br></div></body></html>")).toBe("");
  });
});

describe("trimReply", () => {
  it("cuts a Gmail attribution (wrapped over two lines) and the quote below it", () => {
    const text =
      "Thanks, that fixed it!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com>\nwrote:\n\n> Have you tried\n> turning it off?\n";
    expect(trimReply(text)).toEqual({
      body: "Thanks, that fixed it!",
      quoted: "On Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com>\nwrote:\n\n> Have you tried\n> turning it off?",
      allQuoted: false,
    });
  });

  it("cuts a one-line attribution in other languages", () => {
    expect(trimReply("Merci !\n\nLe 1 janv. 2024, Support <s@example.com> a écrit :\n> Bonjour").body).toBe("Merci !");
    expect(trimReply("Danke\n\nAm 01.01.2024 um 10:00 schrieb Support <s@example.com>:\n> Hallo").body).toBe("Danke");
  });

  it("cuts trailing `>` quotes without an attribution", () => {
    expect(trimReply("Yes please.\n\n> Shall we close it?\n> Support")).toEqual({
      body: "Yes please.",
      quoted: "> Shall we close it?\n> Support",
      allQuoted: false,
    });
  });

  it("keeps quotes the reply answers in between, cutting only the trailing ones", () => {
    expect(trimReply("> Which model?\nHP 1\n> Which year?\n2020\n\n> Thanks")).toEqual({
      body: "> Which model?\nHP 1\n> Which year?\n2020",
      quoted: "> Thanks",
      allQuoted: false,
    });
  });

  it("cuts the signature after `-- `", () => {
    expect(trimReply("It works now.\n\n-- \nJohn Doe\nACME Inc.\n+1 555 0100")).toEqual({
      body: "It works now.",
      quoted: "-- \nJohn Doe\nACME Inc.\n+1 555 0100",
      allQuoted: false,
    });
  });

  it("cuts a sign-off signature", () => {
    expect(trimReply("Thanks, all good now.\n\nKind regards,\nJane Roe\nACME")).toEqual({
      body: "Thanks, all good now.",
      quoted: "Kind regards,\nJane Roe\nACME",
      allQuoted: false,
    });
  });

  it("cuts mobile signatures", () => {
    expect(trimReply("Yes\n\nSent from my iPhone\n\n> On Jan 1 Support wrote:\n> Close it?")).toMatchObject({
      body: "Yes",
      quoted: "Sent from my iPhone\n\n> On Jan 1 Support wrote:\n> Close it?",
    });
  });

  it("cuts at Outlook's -----Original Message-----", () => {
    const text = "Please close it.\n-----Original Message-----\nFrom: Support\nSent: Monday, January 1, 2024 10:00\nTo: me\nSubject: Ticket #12\n\nOld text";
    expect(trimReply(text)).toEqual({
      body: "Please close it.",
      quoted: "-----Original Message-----\nFrom: Support\nSent: Monday, January 1, 2024 10:00\nTo: me\nSubject: Ticket #12\n\nOld text",
      allQuoted: false,
    });
  });

  it("cuts at an Outlook From:/Sent: block, with the line of underscores above it", () => {
    const text =
      "Still broken.\n\n________________________________\nFrom: Support <s@example.com>\nSent: Monday, January 1, 2024 10:00\nTo: me\nSubject: Ticket\n\nOld";
    expect(trimReply(text)).toMatchObject({ body: "Still broken.", allQuoted: false });
    expect(trimReply(text).quoted.startsWith("________________________________\nFrom: Support")).toBe(true);
  });

  it("cuts at a From:/Sent: block converted from HTML (bold labels)", () => {
    const text = "Still broken.\n\n**From:** Support \\<s@example.com>  \n**Sent:** Monday, January 1, 2024  \n**To:** me\n\nOld";
    expect(trimReply(text)).toMatchObject({ body: "Still broken.", quoted: expect.stringMatching(/^\*\*From:\*\*/) });
  });

  it("keeps the whole text when it is all quote (allQuoted)", () => {
    expect(trimReply("> just the old mail\n> quoted back\n")).toEqual({
      body: "> just the old mail\n> quoted back",
      quoted: "",
      allQuoted: true,
    });
    const attributionOnly = "On Mon, Jan 1, 2024 at 10:00 AM Support <s@example.com> wrote:\n> Hello";
    expect(trimReply(attributionOnly)).toEqual({ body: attributionOnly, quoted: "", allQuoted: true });
  });

  it("does not take running text, Markdown rules or headings for quotes and signatures", () => {
    const text = "On Monday I wrote:\nthe report is attached.\n\nSteps\n---\n\n1. a\n\n***\n\n2. b";
    expect(trimReply(text)).toEqual({ body: text, quoted: "", allQuoted: false });
  });

  it("keeps hard line breaks and indentation of the new text; accepts CRLF", () => {
    expect(trimReply("Name  \nAddress\r\n    code\r\n\r\n> old\r\n").body).toBe("Name  \nAddress\n    code");
  });

  it("returns empty for empty input", () => {
    expect(trimReply("")).toEqual({ body: "", quoted: "", allQuoted: false });
  });
});

describe("bodyFromMail", () => {
  const gmailHtml =
    '<div dir="ltr">Fixed, <b>thanks</b></div><br><div class="gmail_quote"><div class="gmail_attr">On Mon, Jan 1, 2024 at 10:00 AM Support &lt;<a href="mailto:s@example.com">s@example.com</a>&gt; wrote:<br></div>' +
    '<blockquote class="gmail_quote"><div>Did the update help?</div></blockquote></div>';

  it("prefers text/plain", () => {
    expect(bodyFromMail({ text: "Plain  \r\nversion", html: "<p>HTML version</p>" }, { trim: false })).toEqual({
      markdown: "Plain  \nversion",
      quoted: "",
    });
  });

  it("falls back to the HTML part when text/plain is missing or blank", () => {
    expect(bodyFromMail({ html: "<p>HTML <i>only</i></p>" }, { trim: false }).markdown).toBe("HTML _only_");
    expect(bodyFromMail({ text: " \n ", html: "<p>HTML</p>" }, { trim: false }).markdown).toBe("HTML");
    expect(bodyFromMail({}, { trim: true })).toEqual({ markdown: "", quoted: "" });
  });

  it("trims replies (HTML from Gmail) into new text and quote", () => {
    const { markdown, quoted } = bodyFromMail({ html: gmailHtml }, { trim: true });
    expect(markdown).toBe("Fixed, **thanks**");
    expect(quoted).toMatch(/^On Mon, Jan 1, 2024 .* wrote:/);
    expect(quoted).toContain("> Did the update help?");
  });

  it("keeps quotes of new requests (trim: false)", () => {
    const text = "Forwarding this:\n\nOn Mon, Jan 1, 2024 Boss <b@example.com> wrote:\n> Please report the outage";
    expect(bodyFromMail({ text }, { trim: false })).toEqual({ markdown: text, quoted: "" });
  });
});

describe("withCollapsedQuote", () => {
  it("appends the quote in a collapsed <details> block", () => {
    expect(withCollapsedQuote("New text\n", "> old\n")).toBe(
      "New text\n\n<details><summary>Quoted text</summary>\n\n> old\n\n</details>",
    );
  });

  it("keeps a collapsed quote inside the quote from closing the block", () => {
    const quoted = "> old\n\n<details><summary>Quoted text</summary>\n\n> older\n\n</details>";
    expect(withCollapsedQuote("New", quoted)).toBe(
      "New\n\n<details><summary>Quoted text</summary>\n\n> old\n\n\\<details><summary>Quoted text</summary>\n\n> older\n\n\\</details>\n\n</details>",
    );
  });

  it("leaves the body alone when there is no quote", () => {
    expect(withCollapsedQuote("New text", "  \n")).toBe("New text");
  });
});

describe("sanitizeUserHtml", () => {
  it("keeps formatting, tables and collapsed quotes", () => {
    const html =
      "<h2>T</h2><p><strong>b</strong> <em>i</em> <code>c</code></p><details open><summary>Quoted text</summary><blockquote>q</blockquote></details>" +
      '<table><tr><th scope="col">h</th></tr><tr><td colspan="2">d</td></tr></table><pre class="language-js"><code class="language-js">x</code></pre>';
    expect(sanitizeUserHtml(html)).toBe(html);
  });

  it("removes scripts, styles, event handlers, forms, frames and unsafe URLs", () => {
    const html =
      '<p onclick="x()" style="color:red">t</p><script>alert(1)</script><style>p{}</style><iframe src="https://a.test"></iframe>' +
      '<form><input name="q"></form><a href="javascript:alert(1)">j</a><a href="//evil.example">p</a><img src="data:image/png;base64,AA" onerror="x()">' +
      '<code class="language-js evil">c</code>';
    expect(sanitizeUserHtml(html)).toBe(
      '<p>t</p><a rel="nofollow noreferrer noopener" target="_blank">j</a><a rel="nofollow noreferrer noopener" target="_blank">p</a><img /><code class="language-js">c</code>',
    );
  });

  it("makes links open safely", () => {
    expect(sanitizeUserHtml('<a href="https://a.test" target="_self" rel="opener">x</a>')).toBe(
      '<a href="https://a.test" target="_blank" rel="nofollow noreferrer noopener">x</a>',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Bounded work (issue 17)

const SEED = 20261203;
const timed = <T>(run: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
};

describe("HTML within the limits converts exactly as without them", () => {
  // Small documents from the tags mail uses, with the whitespace, entities, comments, scripts, empty
  // elements and unclosed tags that the bounding pass must carry through (or drop) as sanitising would.
  const word = fc.constantFrom("alpha", "Beta", "1.", "- x", "a_b", "*", "&amp;", "&nbsp;", "&lt;b&gt;", "é", "  ", "\n", " ", "");
  const tags = ["p", "div", "span", "b", "i", "em", "strong", "blockquote", "ul", "ol", "li", "table", "tr", "td", "th", "pre", "h2", "code", "font", "center", "s"];
  const node: fc.Memo<string> = fc.memo((depth) =>
    depth <= 1
      ? fc.oneof(
          word,
          fc.constantFrom("<br>", "</br>", "</p>", "<hr>", '<img src="https://x.test/i.png" alt="pic">', "<!-- note -->", "<script>x()</script>", "<span></span>", "<li hidden>h</li>"),
        )
      : fc.oneof(
          { weight: 2, arbitrary: word },
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.constantFrom(...tags), fc.array(node(depth - 1), { maxLength: 4 }), fc.boolean(), fc.boolean())
              .map(([tag, children, close, attrs]) =>
                `<${tag}${attrs ? ' style="color:red" title="t"' : ""}>${children.join("")}${close ? `</${tag}>` : ""}`,
              ),
          },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.array(node(depth - 1), { maxLength: 3 }), fc.constantFrom("https://a.test/x", "mailto:a@b.test", "#top"))
              .map(([children, href]) => `<a href="${href}">${children.join("")}</a>`),
          },
          { weight: 1, arbitrary: node(depth - 1).map((inner) => `<div style="display:none">${inner}</div>`) },
        ),
  );

  // BODY_FUZZ_RUNS / BODY_FUZZ_SEED / BODY_FUZZ_DEPTH: a longer or different local hunt.
  it("for random small documents", () => {
    fc.assert(
      fc.property(fc.array(node(Number(process.env.BODY_FUZZ_DEPTH) || 5), { maxLength: 6 }), (nodes) => {
        const html = nodes.join("");
        expect(htmlToMarkdown(html)).toBe(htmlToMarkdownUnbounded(html));
      }),
      { numRuns: Number(process.env.BODY_FUZZ_RUNS) || 1500, seed: Number(process.env.BODY_FUZZ_SEED) || SEED },
    );
  });

  it("for empty element trees (cut back to their outer element)", () => {
    for (const html of [
      "a<div><div><span> </span></div></div>b",
      "a<span><b> </b> <i></i></span>b",
      "x<p><span></span><span>\n</span></p>y",
      "<table><tr><td><div><div></div></div></td></tr></table>",
    ])
      expect(htmlToMarkdown(html)).toBe(htmlToMarkdownUnbounded(html));
  });
});

describe("escapeMarkdownLines", () => {
  const turndown = new TurndownService();
  const escape = (line: string) => turndown.escape(line).replace(/</g, "\\<");
  it("escapes every line as turndown escapes a text node", () => {
    const line = fc.array(fc.constantFrom(..."-+=#>~`*_[]\\<1. ab".split("")), { maxLength: 12 }).map((c) => c.join(""));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        expect(escapeMarkdownLines(lines.join("\n"))).toBe(lines.map(escape).join("\n"));
      }),
      { numRuns: 2000, seed: SEED },
    );
  });
});

describe("HTML over the limits", () => {
  it("flattens nesting thousands deep, keeping the text, without overflowing the stack", () => {
    const html = `<p>Start</p>${"<div>".repeat(20_000)}deep text${"</div>".repeat(20_000)}<p>End</p>`;
    const { value, ms } = timed(() => htmlToMarkdown(html));
    expect(value).toMatch(/^Start\s+deep text\s+End$/);
    expect(ms).toBeLessThan(1000);
    expect(limitHtml(html, escapeMarkdownLines)).toMatchObject({ flattened: true });
  });

  it("keeps the formatting of the outer levels and the text of the inner ones", () => {
    const inner = `${"<blockquote>".repeat(HTML_LIMITS.maxDepth + 5)}<b>deep</b>${"</blockquote>".repeat(HTML_LIMITS.maxDepth + 5)}`;
    const markdown = htmlToMarkdown(`<p><b>Top</b> <a href="https://a.test">link</a></p>${inner}`);
    expect(markdown).toContain("**Top** [link](https://a.test)");
    expect(markdown).toContain("deep");
    expect(markdown).not.toContain("**deep**");
  });

  it("skips a huge data: image and reads the text after it", () => {
    const html = `<p>Before</p><img src="data:image/png;base64,${"A".repeat(5 * 1024 * 1024)}"><p>After</p>`;
    const { value, ms } = timed(() => htmlToMarkdown(html));
    expect(value).toBe("Before\n\nAfter");
    expect(ms).toBeLessThan(500);
  });

  it("gives the plain text of HTML with too many elements: blocks, lists, links; no hidden text or scripts", () => {
    const filler = "<span>x</span> ".repeat(HTML_LIMITS.maxElements);
    const html =
      `<h1>Title</h1><p>Hello <b>world</b> &amp; friends</p><ul><li>one</li><li>two</li></ul>` +
      `<p><a href="https://a.test/reset">Reset your password</a> or <a href="https://b.test">https://b.test</a></p>` +
      `<div style="display:none">preheader</div><script>alert(1)</script><p>1. not a list</p>${filler}`;
    const limited = limitHtml(html, escapeMarkdownLines);
    expect(limited.html).toBeUndefined();
    const markdown = htmlToMarkdown(html);
    expect(markdown.startsWith("Title\n\nHello world & friends\n\n- one\n- two\n\nReset your password <https://a.test/reset> or https://b.test\n\n1\\. not a list")).toBe(true);
    expect(markdown).not.toMatch(/preheader|alert/);
  });

  it("stops reading after the text limit or the tag budget, and says so", () => {
    const text = limitHtml(`<p>${"word ".repeat(50_000)}</p>`.repeat(2), escapeMarkdownLines);
    expect(text.truncated).toBe(true);
    const tags = limitHtml(`${"<b></b>".repeat(HTML_LIMITS.maxTags)}<p>never read</p>`, escapeMarkdownLines);
    expect(tags.truncated).toBe(true);
    const { value, ms } = timed(() => bodyFromMail({ html: `<p>Start</p>${"<i></i>".repeat(2 * HTML_LIMITS.maxTags)}<p>late</p>` }, { trim: false }));
    expect(value.markdown).toBe(`Start\n\n${CUT_NOTICE}`);
    expect(ms).toBeLessThan(1000);
  });

  it("converts huge tables and long lists in bounded time", () => {
    for (const html of [
      `<table>${`<tr>${"<td>cell</td>".repeat(10)}</tr>`.repeat(50_000)}</table>`,
      `<ol>${"<li>item</li>".repeat(100_000)}</ol>`,
      `<table>${"<tr><td>".repeat(10_000)}x`,
    ]) {
      const { value, ms } = timed(() => htmlToMarkdown(html));
      expect(value.length).toBeGreaterThan(0);
      expect(ms).toBeLessThan(1000);
    }
  });
});

describe("bodyFromMail bounds", () => {
  it("takes at most MAX_MAIL_TEXT_CHARS of a text and says where it cut", () => {
    const text = `First line\n${"word ".repeat(100_000)}\nlast line`;
    const { markdown } = bodyFromMail({ text }, { trim: false });
    expect(markdown.length).toBeLessThanOrEqual(MAX_MAIL_TEXT_CHARS + CUT_NOTICE.length + 2);
    expect(markdown.startsWith("First line")).toBe(true);
    expect(markdown.endsWith(CUT_NOTICE)).toBe(true);
  });

  it("collapses runs of blank lines of an over-long text before cutting it", () => {
    const text = `Start${"\n".repeat(300_000)}End`;
    expect(bodyFromMail({ text }, { trim: false }).markdown).toBe("Start\n\nEnd");
  });

  it("leaves a text within the limit as it is", () => {
    const text = `a\n\n\n\nb ${"x".repeat(1000)}`;
    expect(bodyFromMail({ text }, { trim: false }).markdown).toBe(text);
  });

  it("puts the notice into the quote when the cut falls there", () => {
    const text = `Thanks!\n\nOn Mon, Support wrote:\n${"> quoted line\n".repeat(20_000)}`;
    const { markdown, quoted } = bodyFromMail({ text }, { trim: true });
    expect(markdown).toBe("Thanks!");
    expect(quoted.endsWith(CUT_NOTICE)).toBe(true);
  });
});

describe("trimReply on input that makes regexes backtrack", () => {
  const lines = [" ".repeat(199), ">".repeat(199), `On ${"a ".repeat(98)}`, `Op ${"x ".repeat(95)}`, "on at ".repeat(33), `From: ${"<a ".repeat(64)}`];
  it.each(lines.map((line) => [line.slice(0, 12), line]))("lines like %j", (_label, line) => {
    const { value, ms } = timed(() => trimReply(`New text\n\n${`${line}\n`.repeat(500)}`));
    expect(value.body.startsWith("New text")).toBe(true);
    expect(ms).toBeLessThan(300);
  });

  it("still cuts a trailing quote longer than the lines the parser reads", () => {
    const text = `Yes please.\n\n${"> old line\n".repeat(1000)}`;
    expect(trimReply(text)).toMatchObject({ body: "Yes please.", allQuoted: false });
  });
});
