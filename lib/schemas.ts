// Input rules shared by forms (client) and server actions / CLI (server): one zod schema per input.
import { z } from "zod";
import { ROLES } from "@/lib/auth/roles";
import { TEMPLATE_NAMES } from "@/lib/service-desk/placeholders";

// Top-level app routes: a namespace with one of these names would be shadowed by the route.
export const RESERVED_NAMESPACES = new Set([
  "-", "admin", "api", "assets", "auth", "dashboard", "dev", "explore", "help", "login", "logout", "new",
  "notifications", "profile", "projects", "public", "settings", "sign-in", "sign-out", "signin", "static", "todos", "unsubscribe", "users",
  "_next",
]);

const PATH_RULE = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9_])?$/;

/** One segment of a project path, with GitLab's rules. Returns an error message or undefined. */
export function pathSegmentError(segment: string, what: "Group" | "Project"): string | undefined {
  if (!segment) return `${what} path is required.`;
  if (segment.length > 255) return `${what} path is too long (255 characters at most).`;
  if (/[A-Z]/.test(segment)) return `${what} path must be lower-case.`;
  if (!/^[a-z0-9._-]+$/.test(segment))
    return `${what} path can contain only lower-case letters, digits, '_', '-' and '.'.`;
  if (!PATH_RULE.test(segment)) return `${what} path must start with a letter or digit and not end with '-' or '.'.`;
  if (/[._-]{2}/.test(segment)) return `${what} path cannot contain consecutive special characters.`;
  if (/\.(git|atom)$/.test(segment)) return `${what} path cannot end in '.git' or '.atom'.`;
  if (what === "Group" && RESERVED_NAMESPACES.has(segment)) return `'${segment}' is reserved; choose another group.`;
  return undefined;
}

const segment = (what: "Group" | "Project") =>
  z.string().trim().superRefine((value, ctx) => {
    const message = pathSegmentError(value, what);
    if (message) ctx.addIssue({ code: "custom", message });
  });

export const createProjectSchema = z.object({
  namespace: segment("Group"),
  path: segment("Project"),
  name: z.string().trim().max(255, "Name is too long (255 characters at most).").optional().default(""),
  description: z.string().trim().max(2000, "Description is too long (2,000 characters at most).").optional().default(""),
});
export type CreateProjectInput = z.input<typeof createProjectSchema>;

/** `group/name` as typed on the command line. */
export function splitFullPath(fullPath: string): { namespace: string; path: string } | undefined {
  const parts = fullPath.trim().split("/");
  return parts.length === 2 ? { namespace: parts[0], path: parts[1] } : undefined;
}

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address."));

export const roleSchema = z.enum(ROLES, "Choose a role.");

export const addMemberSchema = z.object({
  projectPath: z.string().min(1),
  email: emailSchema,
  role: roleSchema,
});

export const changeRoleSchema = z.object({
  projectPath: z.string().min(1),
  userId: z.string().min(1),
  role: roleSchema,
});

export const removeMemberSchema = z.object({ projectPath: z.string().min(1), userId: z.string().min(1) });

export const createIssueSchema = z.object({
  projectPath: z.string().min(1),
  title: z.string().trim().min(1, "Title is required.").max(255, "Title is too long (255 characters at most)."),
  description: z.string().max(100_000, "Description is too long.").optional().default(""),
  confidential: z.boolean().optional().default(false),
});
export type CreateIssueInput = z.input<typeof createIssueSchema>;

export const addNoteSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  body: z.string().trim().min(1, "Write a comment first.").max(100_000, "Comment is too long."),
  internal: z.boolean().optional().default(false),
});
export type AddNoteInput = z.input<typeof addNoteSchema>;

export const setIssueStateSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  state: z.enum(["close", "reopen"]),
});

export const signInSchema = z.object({ email: emailSchema });

export const setServiceDeskSchema = z.object({ projectPath: z.string().min(1), enabled: z.boolean() });

// --- Service Desk tracker (list filters) ---

export const ISSUE_LIST_STATES = ["opened", "closed", "all"] as const;
export type IssueListState = (typeof ISSUE_LIST_STATES)[number];
export const ISSUE_LIST_SORTS = ["created_desc", "created_asc", "updated_desc", "updated_asc"] as const;
export type IssueListSort = (typeof ISSUE_LIST_SORTS)[number];
export const ISSUE_LIST_PAGE_SIZE = 20;
/** `assignee=none`: issues nobody is assigned to. */
export const NO_ASSIGNEE = "none";

// URL values arrive as strings ("true"/"1"); callers in code pass booleans. Anything else is a bad link.
const urlFlag = z.preprocess(
  (value) => (value === "true" || value === "1" ? true : value === "false" || value === "0" ? false : value),
  z.boolean("Use true or false."),
);
const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((value) => value || undefined);

/**
 * Filters, sort and page of an issue list (the Issues page, the Service Desk tracker). Every page of a list is
 * its own URL: `issueListInputFromSearchParams` reads one, `issueListHref` writes one.
 */
export const issueListQuerySchema = z.object({
  state: z.enum(ISSUE_LIST_STATES, "Choose open, closed or all.").default("opened"),
  serviceDesk: urlFlag.default(false),
  // Titles; an issue must carry every one of them. Matched case-insensitively, like label titles are unique.
  labels: z.preprocess(
    (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z
      .array(z.string().trim().min(1, "A label filter is empty.").max(255, "Label is too long."))
      .max(20, "Filter by 20 labels at most.")
      .transform((titles) => titles.filter((t, i) => titles.findIndex((o) => o.toLowerCase() === t.toLowerCase()) === i)),
  ),
  // A username, or NO_ASSIGNEE.
  assignee: optionalText(255, "Username is too long."),
  // The customer's email address (exact, any case).
  author: optionalText(320, "Email address is too long.").transform((value) => value?.toLowerCase()),
  // true: only issues whose customer spoke last; false: only the others; absent: both.
  awaiting: urlFlag.optional(),
  // `#123` finds issue 123; anything else is looked for in titles and descriptions.
  search: optionalText(255, "Search text is too long (255 characters at most)."),
  sort: z.enum(ISSUE_LIST_SORTS, "Unknown sort order.").default("created_desc"),
  // Opaque to clients; decoded and checked by lib/data/issue-list.ts.
  cursor: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().max(200, "This page link is not valid.").regex(/^[A-Za-z0-9_-]+$/, "This page link is not valid.").optional(),
  ),
  direction: z.enum(["next", "prev"], "This page link is not valid.").default("next"),
});
/** What callers pass (URL strings or typed values); preprocessing makes zod's own input type all `unknown`. */
export interface IssueListInput {
  state?: IssueListState;
  serviceDesk?: boolean | string;
  labels?: readonly string[] | string;
  assignee?: string;
  author?: string;
  awaiting?: boolean | string;
  search?: string;
  sort?: IssueListSort;
  cursor?: string;
  direction?: "next" | "prev";
}
export type IssueListQuery = z.output<typeof issueListQuerySchema>;

/** `#123` → 123; anything else is text (so a plain "123" searches text, as in GitLab). */
export function searchedIid(search: string | undefined): number | undefined {
  const match = search?.match(/^#(\d{1,9})$/);
  return match ? Number(match[1]) : undefined;
}

// URL parameter of each query field (GitLab's spelling where it has one).
const URL_KEYS = {
  state: "state",
  serviceDesk: "service_desk",
  labels: "label",
  assignee: "assignee",
  author: "author",
  awaiting: "awaiting",
  search: "search",
  sort: "sort",
  cursor: "cursor",
  direction: "dir",
} as const satisfies Record<keyof IssueListQuery, string>;

type SearchParamsLike = URLSearchParams | Record<string, string | string[] | undefined>;

/** A page's search params as the input of issueListQuerySchema (validated by whoever parses it). */
export function issueListInputFromSearchParams(params: SearchParamsLike): Record<string, unknown> {
  const all = (key: string): string[] => {
    if (params instanceof URLSearchParams) return params.getAll(key);
    const value = params[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const input: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(URL_KEYS)) {
    const values = all(key);
    if (field === "labels") input.labels = values;
    // A repeated single-valued parameter is a hand-made link: the last one wins, as in most servers.
    else if (values.length) input[field] = values[values.length - 1];
  }
  return input;
}

/** The search string (with `?`, or "" when everything is default) of a list page; defaults are left out. */
export function issueListSearch(query: Partial<IssueListQuery>): string {
  const params = new URLSearchParams();
  if (query.state && query.state !== "opened") params.set(URL_KEYS.state, query.state);
  if (query.serviceDesk) params.set(URL_KEYS.serviceDesk, "true");
  for (const title of query.labels ?? []) params.append(URL_KEYS.labels, title);
  if (query.assignee) params.set(URL_KEYS.assignee, query.assignee);
  if (query.author) params.set(URL_KEYS.author, query.author);
  if (query.awaiting !== undefined) params.set(URL_KEYS.awaiting, String(query.awaiting));
  if (query.search) params.set(URL_KEYS.search, query.search);
  if (query.sort && query.sort !== "created_desc") params.set(URL_KEYS.sort, query.sort);
  if (query.cursor) {
    params.set(URL_KEYS.cursor, query.cursor);
    if (query.direction === "prev") params.set(URL_KEYS.direction, "prev");
  }
  const search = params.toString();
  return search ? `?${search}` : "";
}

/**
 * The URL of `basePath` with `query` changed by `changes`. Changing any filter starts again at the first page
 * (a cursor only makes sense for the filters it was made with), unless `changes` sets the cursor itself.
 */
export function issueListHref(basePath: string, query: Partial<IssueListQuery>, changes: Partial<IssueListQuery> = {}): string {
  const keepsPage = "cursor" in changes || "direction" in changes;
  const next = { ...query, ...(keepsPage ? {} : { cursor: undefined, direction: undefined }), ...changes };
  return `${basePath}${issueListSearch(next)}`;
}

/** Whether any filter (not the state tab, sort or page) narrows the list. */
export function hasIssueListFilters(query: Partial<IssueListQuery>): boolean {
  return !!(query.labels?.length || query.assignee || query.author || query.awaiting !== undefined || query.search || query.serviceDesk);
}

// --- Issue sidebar (labels, assignees, participants) ---

/** Suggested label colours (GitLab's palette); a new label without a colour gets the next one. */
export const LABEL_COLORS = [
  "#009966", "#8fbc8f", "#3cb371", "#00b140", "#013220", "#6699cc", "#0000ff", "#e6e6fa",
  "#9400d3", "#330066", "#dc143c", "#ed9121", "#eee600", "#c39953", "#808080", "#36454f",
] as const;

export const labelColorSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^#[0-9a-f]{6}$/, "Colour must be a hex colour like #1f75cb.");

export const createLabelSchema = z.object({
  projectPath: z.string().min(1),
  title: z
    .string()
    .trim()
    .min(1, "Title is required.")
    .max(255, "Title is too long (255 characters at most).")
    .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), "Title cannot contain control characters.")
    // As in GitLab: label lists are comma-separated (the REST API's `labels=bug,feature`).
    .refine((t) => !t.includes(","), "Title cannot contain commas."),
  // Empty means "pick one for me" (the next colour of the palette).
  color: z.union([z.literal(""), labelColorSchema]).optional(),
  description: z.string().trim().max(500, "Description is too long (500 characters at most).").optional().default(""),
});
export type CreateLabelInput = z.input<typeof createLabelSchema>;

export const setIssueLabelsSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  labelIds: z.array(z.number().int().positive()).max(100, "Choose at most 100 labels."),
});

export const setIssueAssigneesSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  userIds: z.array(z.string().min(1).max(100)).max(20, "Assign at most 20 people."),
});

export const participantEmailSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  email: emailSchema,
});

// --- Composer and thread ---

/** The composer's Preview tab: the text as the thread will show it (same limit as a comment). */
export const previewMarkdownSchema = z.object({
  projectPath: z.string().min(1),
  iid: z.number().int().positive(),
  body: z.string().max(100_000, "Comment is too long."),
});

// --- Service Desk settings, description templates, email templates ---

const projectPathSchema = z.string().min(1);

/** The alias suffix (GitLab's `project_key`): `[a-z0-9_]`, up to 255 characters; empty means no alias. */
export const aliasSuffixSchema = z
  .string()
  .trim()
  .max(255, "The suffix is too long (255 characters at most).")
  .refine((v) => v === "" || /^[a-z0-9_]+$/.test(v), "Use only lower-case letters (a–z), digits (0–9) and underscores (_).");

/** The Service Desk settings form; empty strings mean "none" (no alias, default From name, no template). */
export const serviceDeskSettingsSchema = z.object({
  enabled: z.boolean(),
  projectKey: aliasSuffixSchema,
  outgoingName: z.string().trim().max(255, "The display name is too long (255 characters at most)."),
  issueTemplateKey: z.string().trim().max(255),
  ticketsConfidentialByDefault: z.boolean(),
  reopenIssueOnExternalParticipantNote: z.boolean(),
  addExternalParticipantsFromCc: z.boolean(),
  sendThankYouEmail: z.boolean(),
  emailOnClose: z.boolean(),
});
export type ServiceDeskSettingsInput = z.input<typeof serviceDeskSettingsSchema>;

/** Any subset of the settings (the form sends them all; the REST API may send a few). */
export const updateServiceDeskSettingsSchema = serviceDeskSettingsSchema.partial();
export const updateServiceDeskSettingsActionSchema = updateServiceDeskSettingsSchema.extend({ projectPath: projectPathSchema });

export const issueTemplateSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Name is required.")
    .max(255, "Name is too long (255 characters at most).")
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "Name cannot contain control characters."),
  content: z.string().max(100_000, "Template is too long (100,000 characters at most)."),
});
export type IssueTemplateInput = z.input<typeof issueTemplateSchema>;
export const createIssueTemplateSchema = issueTemplateSchema.extend({ projectPath: projectPathSchema });
export const updateIssueTemplateSchema = issueTemplateSchema.extend({ projectPath: projectPathSchema, id: z.number().int().positive() });
export const deleteIssueTemplateSchema = z.object({ projectPath: projectPathSchema, id: z.number().int().positive() });

export const emailTemplateNameSchema = z.enum(TEMPLATE_NAMES, "Unknown email template.");
export const emailTemplateContentSchema = z
  .string()
  .max(50_000, "Template is too long (50,000 characters at most).")
  .refine((v) => v.trim() !== "", "Write the template, or reset it to the default.");
export const saveEmailTemplateSchema = z.object({ projectPath: projectPathSchema, name: emailTemplateNameSchema, content: emailTemplateContentSchema });
export type SaveEmailTemplateInput = z.input<typeof saveEmailTemplateSchema>;
export const previewEmailTemplateSchema = z.object({
  projectPath: projectPathSchema,
  name: emailTemplateNameSchema,
  // A preview of an empty or half-written template is still useful: only the size is limited.
  content: z.string().max(50_000, "Template is too long (50,000 characters at most)."),
});
export const resetEmailTemplateSchema = z.object({ projectPath: projectPathSchema, name: emailTemplateNameSchema });

// --- Personal access tokens ---

export const TOKEN_SCOPES = ["api", "read_api"] as const;

export const createAccessTokenSchema = z.object({
  name: z.string().trim().min(1, "Give the token a name.").max(255, "Name is too long (255 characters at most)."),
  scopes: z.array(z.enum(TOKEN_SCOPES, "Choose api or read_api.")).min(1, "Choose at least one scope.").max(2),
  // yyyy-mm-dd (a date input) or empty for no expiry; must be in the future. Stays a string (forms and
  // server actions pass it as typed); tokenExpiry() turns it into the instant.
  expiresAt: z
    .string()
    .trim()
    .optional()
    .superRefine((value, ctx) => {
      if (!value) return;
      const date = tokenExpiry(value);
      if (!date) ctx.addIssue({ code: "custom", message: "Enter a date as yyyy-mm-dd." });
      else if (date.getTime() <= Date.now()) ctx.addIssue({ code: "custom", message: "The expiry date must be in the future." });
    }),
});

/** The end (UTC) of a yyyy-mm-dd expiry date, or undefined for an empty or malformed one. */
export function tokenExpiry(value: string | undefined): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T23:59:59.999Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
export type CreateAccessTokenInput = z.input<typeof createAccessTokenSchema>;

export const revokeAccessTokenSchema = z.object({ id: z.number().int().positive() });

// --- Code hosts: linked repositories, the reference key, linking a change by hand ---

export const CODE_HOST_PROVIDERS = ["github", "gitlab"] as const;

const repositorySegment = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const linkRepositoryFields = z.object({
  provider: z.enum(CODE_HOST_PROVIDERS, "Choose GitHub or GitLab."),
  fullPath: z
    .string()
    .trim()
    .transform((v) => v.replace(/^\/+|\/+$/g, "").replace(/\.git$/i, ""))
    .pipe(z.string().min(1, "Enter the repository's path, e.g. acme/game-server.").max(255, "The path is too long (255 characters at most).")),
  baseUrl: z.string().trim().max(255, "The URL is too long.").optional(),
});

function checkRepository(value: { provider: (typeof CODE_HOST_PROVIDERS)[number]; fullPath: string; baseUrl?: string }, ctx: z.RefinementCtx) {
  const segments = value.fullPath.split("/");
  if (segments.some((s) => !repositorySegment.test(s)))
    ctx.addIssue({ code: "custom", path: ["fullPath"], message: "Use letters, digits, '.', '-' and '_' in each part of the path." });
  else if (value.provider === "github" && segments.length !== 2) ctx.addIssue({ code: "custom", path: ["fullPath"], message: "A GitHub repository is owner/repo." });
  else if (segments.length < 2) ctx.addIssue({ code: "custom", path: ["fullPath"], message: "A GitLab repository is group/repo or group/subgroup/repo." });
  if (!value.baseUrl) return;
  let url: URL | null = null;
  try {
    url = new URL(value.baseUrl);
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username)
    ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "Enter the host's address, e.g. https://gitlab.example.com." });
  else if (value.provider === "github" && url.host !== "github.com")
    ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "GitHub repositories live on https://github.com; leave this empty." });
}

/** A repository to link: `owner/repo` on GitHub, `group/subgroup/repo` on GitLab (any self-managed base URL). */
export const linkRepositorySchema = linkRepositoryFields.superRefine(checkRepository);
export type LinkRepositoryInput = z.input<typeof linkRepositorySchema>;
export const linkRepositoryActionSchema = linkRepositoryFields.extend({ projectPath: projectPathSchema }).superRefine(checkRepository);

export const repositoryActionSchema = z.object({ projectPath: projectPathSchema, repositoryId: z.number().int().positive() });

/** The optional reference key (`DESK` in `DESK-12`): upper-case letters, digits and `_`, starting with a letter. */
export const issueReferenceKeySchema = z
  .string()
  .trim()
  .max(64, "The key is too long (64 characters at most).")
  .refine((v) => v === "" || /^[A-Z][A-Z0-9_]+$/.test(v), "Use upper-case letters, digits and _, starting with a letter, at least two characters (e.g. DESK).");
export const setIssueReferenceKeySchema = z.object({ projectPath: projectPathSchema, key: issueReferenceKeySchema });

export const linkChangeSchema = z.object({
  projectPath: projectPathSchema,
  iid: z.number().int().positive(),
  url: z.string().trim().min(1, "Paste the link of a pull/merge request, issue or commit.").max(2048, "That link is too long."),
});
export const unlinkChangeSchema = z.object({ projectPath: projectPathSchema, iid: z.number().int().positive(), changeId: z.number().int().positive() });

/** The issue page's presence heartbeat (POST /api/live/presence). */
export const PRESENCE_STATES = ["viewing", "replying", "left"] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];
export const presenceSchema = z.object({
  project: z.string().min(1),
  iid: z.number().int().positive(),
  state: z.enum(PRESENCE_STATES),
});

