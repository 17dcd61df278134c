"use server";
// Subscribing to or unsubscribing from one issue's notification mail (the signed-in user's own choice).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { setIssueSubscription } from "@/lib/data/notification-settings";

const schema = z.object({ projectPath: z.string().min(1), iid: z.number().int().positive(), subscribed: z.boolean() });

export const setIssueSubscriptionAction = action(schema, async ({ projectPath, iid, subscribed }, actor) => {
  const result = await setIssueSubscription(actor, projectPath, iid, subscribed);
  revalidatePath(`/${projectPath}/issues/${iid}`);
  return { subscribed: result };
});
