// The mail a team member gets about an issue event: who did what, the note's text, a link, why they get it and
// how to stop it. Threaded per issue (its own Message-ID root for the team, never the customer's thread) and
// stamped as a team notification, so it is never taken for customer mail.
import { env } from "@/lib/env";
import type { MailInput } from "@/lib/mail/outbox";
import { emailDocument, htmlToPlainText } from "@/lib/service-desk/email-html";
import { renderUserMarkdown } from "@/lib/service-desk/thread-html";
import { messageIdHost } from "@/lib/mail/outbox";
import type { EventFacts } from "@/lib/data/issue-events";
import type { Reason } from "./recipients";
import { teamUnsubscribeUrl } from "./unsubscribe-token";

const REASONS: Record<Reason, string> = {
  watching: "you watch this project",
  participating: "you take part in this issue",
  subscribed: "you subscribed to this issue",
  assigned: "you are assigned to this issue",
  mentioned: "you were mentioned",
};

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `<issue-<id>-team@host>`: the root every team mail about the issue refers to, so clients keep one thread. */
export function teamThreadId(issueId: number): string {
  return `issue-${issueId}-team@${messageIdHost()}`;
}

function headline(facts: EventFacts): string {
  const who = facts.actor ? facts.actor.name || facts.actor.username : facts.note?.externalAuthor ?? facts.issue.externalAuthor ?? "Someone";
  switch (facts.event.kind) {
    case "new_request":
      return `New Service Desk request from ${facts.issue.externalAuthor ?? who}`;
    case "customer_reply":
      return `${facts.note?.externalAuthor ?? who} replied by email`;
    case "assigned":
      return `${who} assigned the issue`;
    default:
      return facts.note?.internal ? `${who} added an internal note` : `${who} commented`;
  }
}

/** The body text an event carries: its note, or for a new request the issue's description. */
function eventText(facts: EventFacts): string {
  if (facts.event.kind === "new_request") return facts.issue.description;
  return facts.note?.body ?? "";
}

/** What every recipient's copy of one event's mail shares, rendered once however many recipients there are. */
export interface PreparedTeamMail {
  facts: EventFacts;
  ref: string;
  /** The HTML document and the plain text, split where each recipient's own part goes. */
  html: [string, string];
  text: string;
}

// Where a recipient's own lines go in the shared document: replaced by plain concatenation, never by a search.
const SPLIT = "\u0000recipient\u0000";

export async function prepareTeamMail(facts: EventFacts): Promise<PreparedTeamMail> {
  const { issue } = facts;
  const source = eventText(facts).slice(0, 20_000);
  const bodyHtml = source ? await renderUserMarkdown(source) : "";
  const bodyText = bodyHtml ? await htmlToPlainText(bodyHtml) : "";
  const ref = `${issue.project.fullPath}#${issue.iid}`;
  const url = `${env().APP_URL}/${issue.project.fullPath}/issues/${issue.iid}${facts.note ? `#note_${facts.note.id}` : ""}`;
  const title = headline(facts);
  const internal = facts.note?.internal ?? false;
  const document = emailDocument(
    `<p><strong>${escape(title)}</strong> on <a href="${escape(url)}">${escape(ref)}</a>: ${escape(issue.title)}</p>` +
      (internal ? `<p style="color:#92400e">Internal note: never emailed to the customer.</p>` : "") +
      (bodyHtml ? `<div>${bodyHtml}</div>` : "") +
      `<p><a href="${escape(url)}">Open the issue</a>, or reply to this mail: your reply becomes your comment (public; start it with <code>/internal</code> for an internal note).</p>` +
      `<hr>${SPLIT}`,
    `${issue.title} (${ref})`,
  );
  const [head, tail] = document.split(SPLIT);
  const text =
    `${title} on ${ref}: ${issue.title}\n\n` +
    (internal ? "Internal note: never emailed to the customer.\n\n" : "") +
    (bodyText ? `${bodyText}\n\n` : "") +
    `Open the issue: ${url}\nOr reply to this mail: your reply becomes your comment (public; start it with /internal for an internal note).\n\n-- \n`;
  return { facts, ref, html: [head, tail ?? ""], text };
}

/** One recipient's copy: only the reason, the unsubscribe link and the reply address are theirs. */
export function teamNotificationMail(prepared: PreparedTeamMail, recipient: { userId: string; email: string; replyTo: string }, reason: Reason): MailInput {
  const { facts, ref } = prepared;
  const { issue } = facts;
  const unsubscribe = teamUnsubscribeUrl(recipient.userId, issue.id);
  const settings = `${env().APP_URL}/profile/notifications`;
  const html =
    prepared.html[0] +
    `<p style="color:#64748b;font-size:12px">You get this because ${REASONS[reason]}. ` +
    `<a href="${escape(unsubscribe)}">Stop mail about this issue</a> · <a href="${escape(settings)}">Change your notification level</a></p>` +
    prepared.html[1];
  const plain = `${prepared.text}You get this because ${REASONS[reason]}.\nStop mail about this issue: ${unsubscribe}\nChange your notification level: ${settings}\n`;
  const root = `<${teamThreadId(issue.id)}>`;
  return {
    kind: "team_notification",
    to: recipient.email,
    subject: `${facts.event.kind === "new_request" ? "" : "Re: "}${issue.title} (${ref})`,
    text: plain,
    html,
    fromName: issue.project.name,
    replyTo: recipient.replyTo,
    issueId: issue.id,
    headers: {
      "In-Reply-To": root,
      References: root,
      "Auto-Submitted": "auto-generated",
      "X-Auto-Response-Suppress": "All",
      // What intake and filters key on: this is the team's notification, never a customer's mail.
      "X-Service-Desk-Notification": `team; reason=${reason}; event=${facts.event.kind}`,
      "List-Id": `${issue.project.fullPath.replace(/[^a-z0-9-]/g, ".")}.${messageIdHost()}`,
      // One HTTPS URI (RFC 8058 one-click): "stop these for this issue"; the level is changed from the link in the body.
      "List-Unsubscribe": `<${unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}
