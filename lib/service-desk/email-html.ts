// The outgoing mail's two bodies: the rendered template wrapped in an inline-styled, self-contained HTML
// document, and a plain-text version derived from the same HTML.
import type TurndownService from "turndown";
import { escapeHtml } from "./markdown-render";
import { addListItemRule } from "./turndown-rules";

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif";
const CODE_FONT = "SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";
const MUTED = "#535158";
const BORDER = "#dcdcde";
const CODE_BACKGROUND = "#f3f3f5";

// Inline styles because many mail clients (Outlook, older Gmail apps) drop <style> blocks.
const STYLES: Record<string, string> = {
  p: "margin:0 0 16px 0;",
  a: "color:#1f75cb;text-decoration:underline;",
  h1: "font-size:22px;line-height:1.3;margin:0 0 16px 0;",
  h2: "font-size:19px;line-height:1.3;margin:0 0 14px 0;",
  h3: "font-size:17px;line-height:1.3;margin:0 0 12px 0;",
  h4: "font-size:15px;line-height:1.3;margin:0 0 12px 0;",
  h5: "font-size:15px;line-height:1.3;margin:0 0 12px 0;",
  h6: "font-size:15px;line-height:1.3;margin:0 0 12px 0;color:" + MUTED + ";",
  ul: "margin:0 0 16px 0;padding:0 0 0 24px;",
  ol: "margin:0 0 16px 0;padding:0 0 0 24px;",
  li: "margin:0 0 4px 0;",
  blockquote: `margin:0 0 16px 0;padding:0 0 0 12px;border-left:3px solid ${BORDER};color:${MUTED};`,
  pre: `margin:0 0 16px 0;padding:12px;background-color:${CODE_BACKGROUND};border-radius:4px;white-space:pre-wrap;word-break:break-word;`,
  code: `font-family:${CODE_FONT};font-size:90%;background-color:${CODE_BACKGROUND};padding:1px 4px;border-radius:3px;`,
  hr: `border:0;border-top:1px solid ${BORDER};margin:24px 0;`,
  img: "max-width:100%;height:auto;border:0;",
  details: "margin:0 0 16px 0;",
  summary: `color:${MUTED};font-weight:bold;margin:0 0 8px 0;`,
};
const PRE_CODE_STYLE = `font-family:${CODE_FONT};font-size:13px;`;

const STYLED_TAG = new RegExp(`<(${Object.keys(STYLES).join("|")})(?=[\\s>/])([^>]*)>`, "g");

/** Adds the inline style of each element that has none (`<pre><code>` gets the block variant). */
export function styleEmailHtml(html: string): string {
  return html
    .replace(/<pre><code(?=[\s>])/g, `<pre><code style="${PRE_CODE_STYLE}"`)
    .replace(STYLED_TAG, (tag: string, name: string, attributes: string) =>
      / style="/.test(attributes) ? tag : `<${name} style="${STYLES[name]}"${attributes}>`,
    );
}

/** A complete mail document: centred 600px column, system fonts, no external resources. */
export function emailDocument(bodyHtml: string, title = ""): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>${escapeHtml(title)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:6px;">
<tr><td style="padding:24px 28px;font-family:${FONT};font-size:15px;line-height:1.55;color:#1f1e24;word-wrap:break-word;">
${styleEmailHtml(bodyHtml)}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}

let textService: Promise<TurndownService> | undefined;

// Loaded on first use, like mdx-bundler: its DOM implementation is not needed to import templates.ts.
function plainTextService(): Promise<TurndownService> {
  textService ??= import("turndown").then(({ default: Turndown }) => {
    const service = new Turndown({
      headingStyle: "atx",
      hr: "---",
      bulletListMarker: "-",
      codeBlockStyle: "fenced",
      br: "",
    });
    // Plain text is read, not re-parsed as Markdown: Markdown escapes (`1\.`, `\_`) would only be noise.
    service.escape = (text: string) => text;
    addListItemRule(service);
    service.addRule("emphasis", { filter: ["em", "i", "strong", "b"], replacement: (content) => content });
    service.addRule("image", { filter: "img", replacement: (_content, node) => node.getAttribute("alt") ?? "" });
    service.addRule("link", {
      filter: (node) => node.nodeName === "A" && !!node.getAttribute("href"),
      replacement(content, node) {
        const href = node.getAttribute("href") ?? "";
        const text = content.trim();
        if (!text || text === href) return href;
        if (href === `mailto:${text}`) return text;
        return `${text} (${href})`;
      },
    });
    service.addRule("details", {
      filter: (node) => node.nodeName === "DETAILS",
      replacement: (content) => `\n\n${content.trim()}\n\n`,
    });
    service.addRule("summary", {
      filter: (node) => node.nodeName === "SUMMARY",
      replacement: (content) => `\n\n${content.trim()}:\n\n`,
    });
    return service;
  });
  return textService;
}

/** Plain-text version of a rendered body: paragraphs, `- ` list items, links as `text (url)`. */
export async function htmlToPlainText(html: string): Promise<string> {
  if (html.trim() === "") return "";
  const service = await plainTextService();
  return service
    .turndown(html)
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
