// Who hears about an issue event, and who gets a To-Do: GitLab's notification levels applied to this app's
// events. Pure: the fan-out loads the facts, this decides. Never a bot, never the person who acted, never
// someone who cannot read the issue (or the internal note), never twice for one event.
import { atLeast } from "@/lib/auth/roles";
import type { IssueEventKind, Member } from "@/lib/data/issue-events";
import { effectiveLevel } from "./levels";

export type { IssueEventKind, Member };

export interface RecipientFacts {
  kind: IssueEventKind;
  /** The member who acted (a comment's author, who assigned); null for mail. */
  actorId: string | null;
  confidential: boolean;
  /** The event's note is internal (only Reporters and up may read it). */
  internal: boolean;
  /** Usernames @mentioned in the event's note, lower-cased, and those it opens with (directly addressed). */
  mentioned: string[];
  addressed: string[];
  /** assigned: who was newly assigned. */
  newAssignees: string[];
  members: Member[];
  /** The issue's team author (not the Support Bot), assignees, members who commented, and explicit choices. */
  authorId: string | null;
  assignees: ReadonlySet<string>;
  commenters: ReadonlySet<string>;
  subscriptions: ReadonlyMap<string, boolean>;
}

export type Reason = "watching" | "participating" | "subscribed" | "assigned" | "mentioned";

export interface Recipient {
  userId: string;
  reason: Reason;
}

export type TodoAction = "assigned" | "mentioned" | "directly_addressed" | "customer_replied";

function canRead(member: Member, facts: RecipientFacts): boolean {
  if (member.isBot) return false;
  if ((facts.confidential || facts.internal) && !atLeast(member.role, "REPORTER")) return false;
  return atLeast(member.role, "GUEST");
}

/** Why a member hears, or does not hear, of replies and comments on one issue (the sidebar's switch shows it). */
export type IssueMailStanding =
  | { subscribed: true; why: "assigned" | "subscribed" | "participating" | "watching" }
  | { subscribed: false; why: "unsubscribed" | "mention" | "disabled" | "not_participating" };

/**
 * The rule notificationRecipients applies to a customer reply or a colleague's comment, for one member: the most
 * specific reason wins (the mail says why it came); an explicit "unsubscribed" beats participation and watching.
 */
export function issueMailStanding(
  member: Pick<Member, "userId" | "projectLevel" | "userLevel">,
  facts: Pick<RecipientFacts, "assignees" | "commenters" | "subscriptions" | "authorId">,
): IssueMailStanding {
  const level = effectiveLevel(member.projectLevel, member.userLevel);
  if (level === "disabled") return { subscribed: false, why: "disabled" };
  if (level === "mention") return { subscribed: false, why: "mention" };
  const choice = facts.subscriptions.get(member.userId);
  if (choice === false) return { subscribed: false, why: "unsubscribed" };
  if (facts.assignees.has(member.userId)) return { subscribed: true, why: "assigned" };
  if (choice === true) return { subscribed: true, why: "subscribed" };
  if (facts.commenters.has(member.userId) || facts.authorId === member.userId) return { subscribed: true, why: "participating" };
  if (level === "watch") return { subscribed: true, why: "watching" };
  return { subscribed: false, why: "not_participating" };
}

/** Who gets a mail for this event, with why (the mail says it), at most once each. */
export function notificationRecipients(facts: RecipientFacts): Recipient[] {
  const out = new Map<string, Reason>();
  const mentioned = new Set(facts.mentioned);
  const newlyAssigned = new Set(facts.newAssignees);
  for (const member of facts.members) {
    if (member.userId === facts.actorId || !canRead(member, facts)) continue;
    const level = effectiveLevel(member.projectLevel, member.userLevel);
    if (level === "disabled") continue;
    const choice = facts.subscriptions.get(member.userId);
    // Being named or handed the issue reaches anyone who is not "disabled", even after unsubscribing.
    if (mentioned.has(member.username.toLowerCase())) {
      out.set(member.userId, "mentioned");
      continue;
    }
    // An assignment is news for the new assignee only.
    if (facts.kind === "assigned") {
      if (newlyAssigned.has(member.userId) && level !== "mention") out.set(member.userId, "assigned");
      continue;
    }
    // A new request has no participants yet: watchers only.
    if (facts.kind === "new_request") {
      if (level === "watch" && choice !== false) out.set(member.userId, "watching");
      continue;
    }
    const standing = issueMailStanding(member, facts);
    if (standing.subscribed) out.set(member.userId, standing.why);
  }
  return [...out].map(([userId, reason]) => ({ userId, reason }));
}

/** To-Dos the event makes (whatever the notification levels: a To-Do is not a mail). */
export function todosFor(facts: RecipientFacts): { userId: string; action: TodoAction }[] {
  const out: { userId: string; action: TodoAction }[] = [];
  const addressed = new Set(facts.addressed);
  const mentioned = new Set(facts.mentioned);
  for (const member of facts.members) {
    if (member.userId === facts.actorId || !canRead(member, facts)) continue;
    const name = member.username.toLowerCase();
    if (facts.kind === "assigned" && facts.newAssignees.includes(member.userId)) out.push({ userId: member.userId, action: "assigned" });
    if (addressed.has(name)) out.push({ userId: member.userId, action: "directly_addressed" });
    else if (mentioned.has(name)) out.push({ userId: member.userId, action: "mentioned" });
    if (facts.kind === "customer_reply" && facts.assignees.has(member.userId)) out.push({ userId: member.userId, action: "customer_replied" });
  }
  return out;
}
