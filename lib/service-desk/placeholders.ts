// GitLab's Service Desk template placeholders: names, meaning, where each is allowed, and where they occur in a
// template. No Node APIs here, so the settings editor (a client component) can import it for highlighting.

export const TEMPLATE_NAMES = ["thank_you", "new_note", "new_participant", "issue_closed"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const PLACEHOLDER_NAMES = [
  "ISSUE_ID",
  "ISSUE_PATH",
  "ISSUE_URL",
  "ISSUE_DESCRIPTION",
  "NOTE_TEXT",
  "UNSUBSCRIBE_URL",
  "SYSTEM_HEADER",
  "SYSTEM_FOOTER",
  "ADDITIONAL_TEXT",
  "CLOSED_BY_URL",
  "CLOSED_BY_TITLE",
] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];

/**
 * How a value is inserted: `text` is escaped, `url` becomes a link (or the bare URL inside a Markdown link
 * target), `markdown` is rendered as Markdown with any HTML/MDX in it neutralised.
 */
export type PlaceholderKind = "text" | "url" | "markdown";

export interface PlaceholderInfo {
  description: string;
  example: string;
  kind: PlaceholderKind;
  templates: readonly TemplateName[];
}

const ALL: readonly TemplateName[] = TEMPLATE_NAMES;

export const PLACEHOLDERS: Readonly<Record<PlaceholderName, PlaceholderInfo>> = {
  ISSUE_ID: { description: "The issue's reference within its project.", example: "#12", kind: "text", templates: ALL },
  ISSUE_PATH: {
    description: "The issue's full reference: project path and issue number.",
    example: "acme/web#12",
    kind: "text",
    templates: ALL,
  },
  ISSUE_URL: {
    description: "Link to the issue.",
    example: "https://desk.example.com/acme/web/-/issues/12",
    kind: "url",
    templates: ALL,
  },
  ISSUE_DESCRIPTION: {
    description: "The issue description, rendered as Markdown.",
    example: "My printer is on fire.",
    kind: "markdown",
    templates: ALL,
  },
  NOTE_TEXT: {
    description: "The text of the new comment, rendered as Markdown (new note mails only).",
    example: "Have you tried turning it off and on again?",
    kind: "markdown",
    templates: ["new_note"],
  },
  UNSUBSCRIBE_URL: {
    description: "Link that stops further mail about this issue to the recipient.",
    example: "https://desk.example.com/unsubscribe/abc123",
    kind: "url",
    templates: ALL,
  },
  SYSTEM_HEADER: {
    description: "The instance's system header message (empty when none is set).",
    example: "Acme Support",
    kind: "text",
    templates: ALL,
  },
  SYSTEM_FOOTER: {
    description: "The instance's system footer message (empty when none is set).",
    example: "Acme Inc., 1 Main Street",
    kind: "text",
    templates: ALL,
  },
  ADDITIONAL_TEXT: {
    description: "The instance's additional text for emails (empty when none is set).",
    example: "This mail was sent by Acme Support.",
    kind: "text",
    templates: ALL,
  },
  CLOSED_BY_URL: {
    description: "Link to the merge request or commit that closed the issue (empty when it was closed by hand).",
    example: "https://gitlab.com/acme/game-server/-/merge_requests/45",
    kind: "url",
    templates: ["issue_closed"],
  },
  CLOSED_BY_TITLE: {
    description: "Title of the merge request or commit that closed the issue (empty when it was closed by hand).",
    example: "Fix the crash on start (merge request !45 in acme/game-server)",
    kind: "text",
    templates: ["issue_closed"],
  },
};

export function isPlaceholderName(name: string): name is PlaceholderName {
  return Object.prototype.hasOwnProperty.call(PLACEHOLDERS, name);
}

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** Whether `name` is substituted in `template` (any template when none is given). */
export function isSupportedPlaceholder(name: string, template?: TemplateName): name is PlaceholderName {
  return isPlaceholderName(name) && (template === undefined || PLACEHOLDERS[name].templates.includes(template));
}

// Deliberately wider than the valid names (any text up to 64 characters) so the editor can flag typos such as
// `%{issue_id}` or `%{ ISSUE_ID }`, which GitLab would leave in the mail as typed.
const PLACEHOLDER_PATTERN = /%\{([^{}\n]{1,64})\}|%<([^<>\n]{1,64})>/g;

/** A fresh global regex (a shared one would carry `lastIndex` between callers). Group 1 or 2 is the name. */
export function placeholderPattern(): RegExp {
  return new RegExp(PLACEHOLDER_PATTERN.source, "g");
}

export interface PlaceholderMatch {
  name: string;
  /** A real placeholder that `template` supports; false for unknown names and e.g. NOTE_TEXT in thank_you. */
  known: boolean;
  /** Why it is not substituted, when it is not. */
  reason?: "unknown" | "unsupported";
  syntax: "%{}" | "%<>";
  start: number;
  end: number;
}

/** Every `%{…}` / `%<…>` in `source`, in order, with its offsets (end exclusive) for highlighting. */
export function findPlaceholders(source: string, template?: TemplateName): PlaceholderMatch[] {
  const matches: PlaceholderMatch[] = [];
  for (const m of source.matchAll(placeholderPattern())) {
    const name = m[1] ?? m[2] ?? "";
    const start = m.index ?? 0;
    const match: PlaceholderMatch = {
      name,
      known: isSupportedPlaceholder(name, template),
      syntax: m[1] !== undefined ? "%{}" : "%<>",
      start,
      end: start + m[0].length,
    };
    if (!match.known) match.reason = isPlaceholderName(name) ? "unsupported" : "unknown";
    matches.push(match);
  }
  return matches;
}
