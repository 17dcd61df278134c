"use server";
// Server actions of the issue sidebar (labels, assignees, external participants); each goes through action()
// (session + zod) and the data function checks the actor's role.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { setIssueAssignees } from "@/lib/data/assignees";
import { createLabel, setIssueLabels } from "@/lib/data/labels";
import { addParticipant, removeParticipant } from "@/lib/data/participants";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";
import { createLabelSchema, participantEmailSchema, setIssueAssigneesSchema, setIssueLabelsSchema } from "@/lib/schemas";

// Removing someone who is listed: the address as stored (not re-validated, so odd legacy rows can go too).
const removeParticipantSchema = participantEmailSchema.extend({ email: z.string().trim().min(1).max(320) });

export const createLabelAction = action(createLabelSchema, async ({ projectPath, ...input }, actor) => {
  const label = await createLabel(actor, projectPath, input);
  // Lists filter by label: their pickers should offer the new one.
  revalidatePath(`/${projectPath}/issues`, "layout");
  return label;
});

export const setIssueLabelsAction = action(setIssueLabelsSchema, async ({ projectPath, iid, labelIds }, actor) => {
  const result = await setIssueLabels(actor, projectPath, iid, labelIds);
  // The issue page and the lists both show labels.
  if (result.changed) revalidatePath(`/${projectPath}/issues`, "layout");
  return { changed: result.changed, labelIds: result.labels.map((l) => l.id) };
});

export const setIssueAssigneesAction = action(setIssueAssigneesSchema, async ({ projectPath, iid, userIds }, actor) => {
  const result = await setIssueAssignees(actor, projectPath, iid, userIds);
  notifySoon(result.eventIds);
  if (result.changed) revalidatePath(`/${projectPath}/issues`, "layout");
  return { changed: result.changed, userIds: result.assignees.map((u) => u.id) };
});

export const addParticipantAction = action(participantEmailSchema, async ({ projectPath, iid, email }, actor) => {
  const { participant, outboxIds } = await addParticipant(actor, projectPath, iid, email);
  // The new participant's mail goes out after the response; the outbox keeps it if sending fails.
  deliverSoon(outboxIds);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return { email: participant.email, emailed: outboxIds.length > 0 };
});

export const removeParticipantAction = action(removeParticipantSchema, async ({ projectPath, iid, email }, actor) => {
  const result = await removeParticipant(actor, projectPath, iid, email);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return result;
});
