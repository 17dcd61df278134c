// Unsubscribing a customer from an issue's mail, by the reply key of a mail they received (List-Unsubscribe).
import { db } from "@/lib/db/client";

export interface UnsubscribeTarget {
  recipient: string;
  issueIid: number;
  projectName: string;
  alreadyUnsubscribed: boolean;
}

export async function findUnsubscribeTarget(replyKey: string): Promise<UnsubscribeTarget | null> {
  if (!/^[0-9a-f]{32}$/.test(replyKey)) return null;
  const sent = await db().sentNotification.findUnique({
    where: { replyKey },
    select: { recipient: true, issueId: true, issue: { select: { iid: true, project: { select: { name: true } } } } },
  });
  if (!sent) return null;
  const participant = await db().issueEmailParticipant.findUnique({
    where: { issueId_email: { issueId: sent.issueId, email: sent.recipient.toLowerCase() } },
    select: { status: true },
  });
  return {
    recipient: sent.recipient,
    issueIid: sent.issue.iid,
    projectName: sent.issue.project.name,
    alreadyUnsubscribed: participant?.status === "unsubscribed",
  };
}

/** Stops mail about that issue to that recipient. Idempotent; false for an unknown key. */
export async function unsubscribe(replyKey: string): Promise<boolean> {
  if (!/^[0-9a-f]{32}$/.test(replyKey)) return false;
  const sent = await db().sentNotification.findUnique({ where: { replyKey }, select: { issueId: true, recipient: true } });
  if (!sent) return false;
  await db().issueEmailParticipant.upsert({
    where: { issueId_email: { issueId: sent.issueId, email: sent.recipient.toLowerCase() } },
    create: { issueId: sent.issueId, email: sent.recipient.toLowerCase(), status: "unsubscribed" },
    update: { status: "unsubscribed" },
  });
  return true;
}
