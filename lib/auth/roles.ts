// The one authorization module: which role may do what. Pages, server actions, route handlers and the CLI
// all ask it (through lib/data), so a rule is written once.
import type { Role } from "@/lib/generated/prisma/enums";

export const ROLES = ["GUEST", "REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"] as const satisfies readonly Role[];
export type { Role };

const RANK: Record<Role, number> = { GUEST: 10, REPORTER: 20, DEVELOPER: 30, MAINTAINER: 40, OWNER: 50 };

export const ROLE_LABELS: Record<Role, string> = {
  GUEST: "Guest",
  REPORTER: "Reporter",
  DEVELOPER: "Developer",
  MAINTAINER: "Maintainer",
  OWNER: "Owner",
};

/** Case-insensitive role name ("maintainer", "Maintainer") → Role, or undefined. */
export function parseRole(name: string): Role | undefined {
  const upper = name.trim().toUpperCase();
  return (ROLES as readonly string[]).includes(upper) ? (upper as Role) : undefined;
}

export function atLeast(role: Role | null | undefined, minimum: Role): boolean {
  return !!role && RANK[role] >= RANK[minimum];
}

/** The least role each project action needs. A non-member may do none of them (and gets 404). */
export const POLICY = {
  "project:read": "GUEST",
  "issue:read": "GUEST",
  "issue:read_confidential": "REPORTER",
  "issue:create": "REPORTER",
  "issue:comment": "REPORTER",
  "issue:internal_note": "REPORTER",
  "issue:update_state": "REPORTER",
  // Labels and assignees on an issue (and creating a label while doing so), as GitLab lets Reporters triage.
  "issue:triage": "REPORTER",
  // External (email) participants of an issue: listing, adding and removing them.
  "issue:participants": "REPORTER",
  // Linking a pull/merge request, code-host issue or commit of a linked repository to an issue by hand.
  "issue:link_change": "REPORTER",
  // Customers' addresses in full (issue and note authors, participants, Cc, the mail a note came in with), as
  // GitLab shows them; below this they are masked (lib/data/address-visibility.ts) and cannot be searched for.
  "customer:address": "REPORTER",
  "issue_template:manage": "DEVELOPER",
  "member:read": "GUEST",
  "member:manage": "MAINTAINER",
  // Members' email addresses; others see names and usernames.
  "member:email": "MAINTAINER",
  "project:settings": "MAINTAINER",
  // Linked GitHub/GitLab repositories: linking, secrets, the reference key and the log of webhook deliveries.
  "code_host:manage": "MAINTAINER",
  // The project's own Service Desk addresses (incoming+…, alias, reply addresses), also inside routing reasons.
  "service_desk:address": "MAINTAINER",
} as const satisfies Record<string, Role>;

export type ProjectAction = keyof typeof POLICY;

export function can(role: Role | null | undefined, action: ProjectAction): boolean {
  return atLeast(role, POLICY[action]);
}

/**
 * Whether `actorRole` may give a member the role `to` (or change/remove one who has `from`): Maintainers
 * manage roles up to Maintainer; only Owners grant, change or remove the Owner role (as in GitLab).
 */
export function canAssignRole(actorRole: Role | null | undefined, from: Role | null, to: Role | null): boolean {
  if (!can(actorRole, "member:manage")) return false;
  if (actorRole === "OWNER") return true;
  return from !== "OWNER" && to !== "OWNER";
}
