// Input rules shared by forms (client) and server actions / CLI (server): one zod schema per input.
import { z } from "zod";
import { ROLES } from "@/lib/auth/roles";

// Top-level app routes: a namespace with one of these names would be shadowed by the route.
export const RESERVED_NAMESPACES = new Set([
  "-", "admin", "api", "assets", "auth", "dashboard", "dev", "explore", "help", "login", "logout", "new",
  "profile", "projects", "public", "settings", "sign-in", "sign-out", "signin", "static", "unsubscribe", "users",
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

// --- Issue sidebar (labels, assignees, participants) ---

// --- Composer and thread ---

// --- Service Desk settings, description templates, email templates ---
