// Service Desk mail templates: the defaults in emails/*.md and rendering a (maintainer-written) template with
// its placeholder values into the HTML and plain-text bodies of a mail. Templates are Markdown only.
import { readFileSync } from "node:fs";
import path from "node:path";
import { emailDocument, htmlToPlainText } from "./email-html";
import { escapeHtml, renderMarkdown, renderNeutralised, type FragmentHtml } from "./markdown-render";
import {
  isSupportedPlaceholder,
  isTemplateName,
  placeholderPattern,
  PLACEHOLDERS,
  TEMPLATE_NAMES,
  type PlaceholderName,
  type TemplateName,
} from "./placeholders";
import { fragmentToken, neutraliseMarkdown, type Fragment } from "./safe-markdown";

export {
  findPlaceholders,
  isSupportedPlaceholder,
  PLACEHOLDER_NAMES,
  PLACEHOLDERS,
  TEMPLATE_NAMES,
  type PlaceholderInfo,
  type PlaceholderKind,
  type PlaceholderMatch,
  type PlaceholderName,
  type TemplateName,
} from "./placeholders";
export { clearMarkdownRenderCache, markdownRenderStats, renderMarkdown } from "./markdown-render";

const defaults = new Map<TemplateName, string>();

/** The default template (emails/<name>.md, resolved from the working directory), read once. */
export function defaultTemplate(name: TemplateName): string {
  // The name becomes part of a file path: never let anything but the four known names through.
  if (!isTemplateName(name)) throw new Error(`Unknown Service Desk template: ${String(name)}`);
  let source = defaults.get(name);
  if (source === undefined) {
    source = readFileSync(path.join(process.cwd(), "emails", `${name}.md`), "utf8");
    defaults.set(name, source);
  }
  return source;
}

/**
 * Loads mdx-bundler and compiles the four defaults, so the first mail after start does not pay ~0.4 s for it
 * (e.g. inside a database transaction). Optional: rendering works without it.
 */
export async function precompileDefaultTemplates(): Promise<void> {
  await Promise.all(TEMPLATE_NAMES.map((name) => renderTemplate(defaultTemplate(name), {}, { template: name })));
}

export type PlaceholderValues = Partial<Record<PlaceholderName, string>>;

export interface RenderOptions {
  /** Which template this is: placeholders it does not support (e.g. NOTE_TEXT in thank_you) stay as typed. */
  template?: TemplateName;
  /** The HTML document's <title> (usually the subject). */
  title?: string;
}

export interface RenderedEmail {
  /** A complete HTML document. */
  html: string;
  /** The plain-text alternative. */
  text: string;
}

/**
 * Renders a template with its values.
 *
 * Order of work, chosen so the compile cache is keyed by the template alone and values never reach MDX as
 * syntax: (1) each supported placeholder becomes an opaque token, (2) the template is neutralised and compiled
 * once per distinct template (cached by hash), (3) each value is rendered on its own — Markdown values through
 * the same neutralise-and-compile pipeline, everything else escaped — and (4) the tokens in the compiled HTML
 * are replaced in a single pass, so a value can neither change the template's structure nor carry a token.
 * Placeholders that are unknown, or not supported by `options.template`, are left in the mail as typed
 * (as GitLab does); supported ones without a value become empty.
 */
export async function renderTemplate(
  source: string,
  values: PlaceholderValues,
  options: RenderOptions = {},
): Promise<RenderedEmail> {
  const fragments: Fragment[] = [];
  const withTokens = source.replace(placeholderPattern(), (match: string, braces?: string, angles?: string) => {
    const name = braces ?? angles ?? "";
    return isSupportedPlaceholder(name, options.template)
      ? fragmentToken(fragments.push({ kind: "placeholder", name }) - 1)
      : match;
  });
  const neutralised = neutraliseMarkdown(withTokens, { fragments });

  const used = new Set(fragments.flatMap((f) => (f.kind === "placeholder" ? [f.name as PlaceholderName] : [])));
  const htmlByName = new Map<string, FragmentHtml>();
  await Promise.all(
    [...used].map(async (name) => htmlByName.set(name, await placeholderHtml(name, values[name] ?? ""))),
  );

  const body = await renderNeutralised(neutralised, "template", {
    placeholder: (name) => htmlByName.get(name) ?? EMPTY,
    placeholderText: (name) => values[name as PlaceholderName] ?? "",
  });
  return { html: emailDocument(body, options.title), text: await htmlToPlainText(body) };
}

const EMPTY: FragmentHtml = { block: "", inline: "", inAnchor: "", attribute: () => "" };
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

function isUrlAttribute(attribute: string): boolean {
  return attribute === "href" || attribute === "src";
}

async function placeholderHtml(name: PlaceholderName, value: string): Promise<FragmentHtml> {
  if (value.trim() === "") return EMPTY;
  const text = escapeHtml(value);
  // In a link target a value is one URL component: percent-encoding keeps `javascript:` or `//host` in a
  // customer's text from becoming where the link goes.
  const encoded = escapeHtml(encodeURIComponent(value));
  const kind = PLACEHOLDERS[name].kind;

  if (kind === "url" && SAFE_URL.test(value.trim())) {
    const url = escapeHtml(value.trim());
    const link = `<a href="${url}">${url}</a>`;
    return { block: `<p>${link}</p>`, inline: link, inAnchor: url, attribute: () => url };
  }
  if (kind === "markdown") {
    const html = await renderMarkdown(value);
    const single = /^<p>((?:(?!<p[\s>])[\s\S])*)<\/p>$/.exec(html);
    const flat = escapeHtml(value.replace(/\s+/g, " ").trim());
    return {
      block: html,
      // Inside a sentence a one-paragraph value loses its <p>, so it does not nest paragraphs.
      inline: single ? single[1] : html,
      inAnchor: flat,
      attribute: (attribute) => (isUrlAttribute(attribute) ? encoded : flat),
    };
  }
  const lines = text.replace(/\r\n?/g, "\n").replace(/\n/g, "<br/>\n");
  return {
    block: `<p>${lines}</p>`,
    inline: lines,
    inAnchor: lines,
    attribute: (attribute) => (isUrlAttribute(attribute) ? encoded : text),
  };
}
