"use server";
// The signed-in member's notification level in one project ("global" follows their default).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { setProjectNotificationLevel } from "@/lib/data/notification-settings";

export const setProjectLevelAction = action(z.object({ projectPath: z.string().min(1), level: z.string().max(32) }), async ({ projectPath, level }, actor) => {
  const saved = await setProjectNotificationLevel(actor, projectPath, level);
  revalidatePath(`/${projectPath}`, "layout");
  return { level: saved };
});
