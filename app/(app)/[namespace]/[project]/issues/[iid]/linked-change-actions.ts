"use server";
// Server action entry points for linking changes by hand (Reporter and up, checked by the data functions).
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { linkChangeByUrl } from "@/lib/code-hosts/link-change";
import { removeManualLinkedChange } from "@/lib/data/linked-changes";
import { linkChangeSchema, unlinkChangeSchema } from "@/lib/schemas";

export const linkChangeAction = action(linkChangeSchema, async ({ projectPath, iid, url }, actor) => {
  const change = await linkChangeByUrl(actor, projectPath, iid, url);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return { id: change.id, reference: change.reference };
});

export const unlinkChangeAction = action(unlinkChangeSchema, async ({ projectPath, iid, changeId }, actor) => {
  const removed = await removeManualLinkedChange(actor, projectPath, iid, changeId);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return removed;
});
