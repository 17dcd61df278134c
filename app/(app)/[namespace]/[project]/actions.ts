"use server";
// Server action entry points for a project's pages; each goes through action() (session + zod), and the
// data function it calls checks the actor's role.
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { addMember, changeMemberRole, removeMember } from "@/lib/data/members";
import { addNote } from "@/lib/data/notes";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";
import {
  addMemberSchema,
  addNoteSchema,
  changeRoleSchema,
  createIssueSchema,
  removeMemberSchema,
  setIssueStateSchema,
} from "@/lib/schemas";

export const createIssueAction = action(createIssueSchema, async ({ projectPath, ...input }, actor) => {
  const issue = await createIssue(actor, projectPath, input);
  revalidatePath(`/${projectPath}/issues`);
  return { iid: issue.iid };
});

export const addNoteAction = action(addNoteSchema, async ({ projectPath, iid, ...input }, actor) => {
  const note = await addNote(actor, projectPath, iid, input);
  // The customer's copy goes out after the response; the outbox keeps it if sending fails.
  deliverSoon(note.outboxIds);
  // Colleagues' notifications are worked out after the response too.
  notifySoon(note.eventIds);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return { id: note.id, emailed: note.outboxIds.length };
});

export const setIssueStateAction = action(setIssueStateSchema, async ({ projectPath, iid, state }, actor) => {
  const { outboxIds, ...result } = await setIssueState(actor, projectPath, iid, state);
  deliverSoon(outboxIds);
  revalidatePath(`/${projectPath}/issues`, "layout");
  return result;
});

export const addMemberAction = action(addMemberSchema, async ({ projectPath, email, role }, actor) => {
  const result = await addMember(actor, projectPath, email, role);
  revalidatePath(`/${projectPath}/members`);
  return result;
});

export const changeRoleAction = action(changeRoleSchema, async ({ projectPath, userId, role }, actor) => {
  const result = await changeMemberRole(actor, projectPath, userId, role);
  revalidatePath(`/${projectPath}/members`);
  return result;
});

export const removeMemberAction = action(removeMemberSchema, async ({ projectPath, userId }, actor) => {
  const result = await removeMember(actor, projectPath, userId);
  revalidatePath(`/${projectPath}`, "layout");
  return result;
});
