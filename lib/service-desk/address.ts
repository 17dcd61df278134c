// Service Desk addresses and keys in GitLab's formats: building them for a project or a reply, and reading
// the key back out of an address. Pure functions over the configured patterns.
import { env } from "@/lib/env";

export const SUPPORT_BOT_ID = "support-bot";

const REPLY_KEY = /^[0-9a-f]{32}$/;
const NEW_FORMAT = /^(.+)-(\d+)-issue-$/;
const ALIAS_SUFFIX = /^[a-z0-9_]+$/;

/** GitLab's `full_path_slug`: lower-case, every run of other characters a single '-', at most 63 chars. */
export function fullPathSlug(fullPath: string): string {
  return fullPath
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
}

/** The new-format project key, `<full-path-slug>-<project-id>-issue-`. */
export function projectKey(project: { id: number; fullPath: string }): string {
  return `${fullPathSlug(project.fullPath)}-${project.id}-issue-`;
}

export function isAliasSuffix(value: string): boolean {
  return ALIAS_SUFFIX.test(value) && value.length <= 255;
}

function fill(pattern: string, key: string): string {
  return pattern.replace("%{key}", key);
}

/** The project's Service Desk address (new format), which Maintainers advertise. */
export function serviceDeskAddress(project: { id: number; fullPath: string }): string {
  return fill(env().INCOMING_EMAIL_ADDRESS, projectKey(project));
}

/** The alias address (`SERVICE_DESK_EMAIL_ADDRESS` + the project's suffix), or null when not configured. */
export function aliasAddress(project: { fullPath: string }, suffix: string | null | undefined): string | null {
  const pattern = env().SERVICE_DESK_EMAIL_ADDRESS;
  if (!pattern || !suffix) return null;
  return fill(pattern, `${fullPathSlug(project.fullPath)}-${suffix}`);
}

/** Reply-To for a mail with this reply key: customers only ever see the alias domain when there is one. */
export function replyAddress(replyKey: string): string {
  return fill(env().SERVICE_DESK_EMAIL_ADDRESS ?? env().INCOMING_EMAIL_ADDRESS, replyKey);
}

export function newReplyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function patternRegex(pattern: string): RegExp {
  const [before, after] = pattern.toLowerCase().split("%{key}");
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escape(before)}(.+)${escape(after)}$`);
}

export type AddressKey =
  | { kind: "reply"; replyKey: string }
  | { kind: "project"; slug: string; projectId: number }
  | { kind: "legacy"; fullPath: string }
  | { kind: "alias"; slug: string; suffix: string };

/** Interprets a key found in an address; `alias` keys are only accepted on the alias pattern. */
export function parseKey(key: string, viaAlias: boolean): AddressKey | undefined {
  const k = key.toLowerCase();
  if (REPLY_KEY.test(k)) return { kind: "reply", replyKey: k };
  const match = NEW_FORMAT.exec(k);
  if (match) return { kind: "project", slug: match[1], projectId: Number(match[2]) };
  if (k.includes("/")) return { kind: "legacy", fullPath: k };
  if (viaAlias) {
    const dash = k.lastIndexOf("-");
    if (dash > 0 && isAliasSuffix(k.slice(dash + 1))) return { kind: "alias", slug: k.slice(0, dash), suffix: k.slice(dash + 1) };
  }
  return undefined;
}

/** The key an address carries under the incoming or the alias pattern, if any. */
export function keyFromAddress(address: string): AddressKey | undefined {
  const a = address.trim().toLowerCase();
  const { INCOMING_EMAIL_ADDRESS, SERVICE_DESK_EMAIL_ADDRESS } = env();
  if (SERVICE_DESK_EMAIL_ADDRESS) {
    const alias = patternRegex(SERVICE_DESK_EMAIL_ADDRESS).exec(a);
    if (alias) return parseKey(alias[1], true);
  }
  const incoming = patternRegex(INCOMING_EMAIL_ADDRESS).exec(a);
  return incoming ? parseKey(incoming[1], false) : undefined;
}

/** Whether an address is one of ours (any key under either pattern): such addresses never become participants. */
export function isOwnAddress(address: string): boolean {
  const a = address.trim().toLowerCase();
  const { INCOMING_EMAIL_ADDRESS, SERVICE_DESK_EMAIL_ADDRESS } = env();
  return (
    patternRegex(INCOMING_EMAIL_ADDRESS).test(a) ||
    (!!SERVICE_DESK_EMAIL_ADDRESS && patternRegex(SERVICE_DESK_EMAIL_ADDRESS).test(a)) ||
    a === env().SENDGRID_FROM_EMAIL.toLowerCase()
  );
}

/** `<reply-KEY@host>` Message-IDs we generate; a reply's References can carry them. */
export function replyKeyFromMessageId(messageId: string): string | undefined {
  return /^reply-([0-9a-f]{32})@/i.exec(messageId.trim().replace(/^<|>$/g, ""))?.[1]?.toLowerCase();
}

export { messageIdHost } from "@/lib/mail/outbox";
