// External (email) participants of a Service Desk issue: list them with their mail status, add one (they get
// the new_participant mail, in the same transaction) and remove one. Reporter and up only: addresses are
// customers' personal data, so even the system notes about them are internal.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { emailSchema } from "@/lib/schemas";
import { isOwnAddress, SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { MAX_PARTICIPANTS } from "@/lib/service-desk/intake";
import { queueServiceDeskMail, threadIssueSelect } from "@/lib/service-desk/notifications";
import { requireVisibleIssue } from "./issues";
import { lockIssue } from "./labels";
import { addressRule, type AddressRule } from "./address-visibility";

export { MAX_PARTICIPANTS };

export type ParticipantStatus = "subscribed" | "unsubscribed" | "bouncing";

export interface ParticipantView {
  id: number;
  email: string;
  status: ParticipantStatus;
  createdAt: Date;
}

export const participantSelect = { id: true, email: true, status: true, createdAt: true } as const;

/** A participant row as `addresses` (the actor's rule) lets the actor see it. */
export function toParticipantView(row: { id: number; email: string; status: string; createdAt: Date }, addresses: AddressRule): ParticipantView {
  const status: ParticipantStatus = row.status === "unsubscribed" || row.status === "bouncing" ? row.status : "subscribed";
  return { ...row, email: addresses.customer(row.email), status };
}

/** The issue's external participants, oldest first. */
export async function listParticipants(actor: Actor | null, projectPath: string, iid: number): Promise<ParticipantView[]> {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:participants");
  const rows = await db().issueEmailParticipant.findMany({ where: { issueId: issue.id }, orderBy: { id: "asc" }, select: participantSelect });
  const addresses = addressRule(issue.role);
  return rows.map((row) => toParticipantView(row, addresses));
}

function emailError(message: string, code: "bad_request" | "conflict" = "bad_request") {
  return new AppError(code, message, { email: message });
}

/**
 * Adds `email` as an external participant of a Service Desk issue and queues the new_participant mail to it
 * (threaded like every mail of the issue). Returns the participant and the outbox ids to deliver.
 */
export async function addParticipant(actor: Actor | null, projectPath: string, iid: number, emailInput: string) {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:participants");
  const parsed = emailSchema.safeParse(emailInput);
  if (!parsed.success) throw emailError(parsed.error.issues[0]?.message ?? "Enter a valid email address.");
  const email = parsed.data;
  // Our own addresses would mail the project itself (and come back as a new request).
  if (isOwnAddress(email)) throw emailError("That is one of this Service Desk's own addresses; add the customer's address instead.");
  return db().$transaction(
    async (tx) => {
      // One add at a time per issue, so the cap holds when two people add at once.
      await lockIssue(tx, issue.id);
      const row = await tx.issue.findUniqueOrThrow({
        where: { id: issue.id },
        select: threadIssueSelect,
      });
      if (row.authorId !== SUPPORT_BOT_ID)
        throw emailError("External participants can only be added to Service Desk issues (issues created from email).");
      const existing = await tx.issueEmailParticipant.findUnique({ where: { issueId_email: { issueId: row.id, email } }, select: { id: true } });
      if (existing) throw emailError(`${email} is already a participant of this issue.`, "conflict");
      if ((await tx.issueEmailParticipant.count({ where: { issueId: row.id } })) >= MAX_PARTICIPANTS)
        throw emailError(`An issue can have at most ${MAX_PARTICIPANTS} external participants. Remove one first.`);
      const participant = await tx.issueEmailParticipant.create({ data: { issueId: row.id, email }, select: participantSelect });
      await tx.note.create({
        data: { issueId: row.id, authorId: actor!.id, system: true, internal: true, body: `added ${email} as a participant` },
      });
      await tx.issue.update({ where: { id: row.id }, data: { updatedAt: new Date() } });
      const { outboxId } = await queueServiceDeskMail(
        tx,
        { project: row.project, issue: row, outgoingName: row.project.serviceDesk?.outgoingName ?? null },
        { template: "new_participant", to: email, subject: `Re: ${row.title} (#${row.iid})` },
      );
      return { participant: toParticipantView(participant, addressRule(issue.role)), outboxIds: [outboxId] };
    },
    { timeout: 30_000 },
  );
}

/** Removes an external participant: they get no more mail about the issue. */
export async function removeParticipant(actor: Actor | null, projectPath: string, iid: number, emailInput: string) {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:participants");
  const email = emailInput.trim().toLowerCase();
  return db().$transaction(async (tx) => {
    await lockIssue(tx, issue.id);
    const { count } = await tx.issueEmailParticipant.deleteMany({ where: { issueId: issue.id, email } });
    if (count === 0) throw new AppError("not_found", `${email || "That address"} is not a participant of this issue.`);
    await tx.note.create({
      data: { issueId: issue.id, authorId: actor!.id, system: true, internal: true, body: `removed ${email} as a participant` },
    });
    await tx.issue.update({ where: { id: issue.id }, data: { updatedAt: new Date() } });
    return { email };
  });
}
