"use server";
// The signed-in user's default notification level (the data function accepts only the DEFAULT_LEVELS).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { setGlobalNotificationLevel } from "@/lib/data/notification-settings";

export const setGlobalLevelAction = action(z.object({ level: z.string().max(32) }), async ({ level }, actor) => {
  const saved = await setGlobalNotificationLevel(actor, level);
  revalidatePath("/profile/notifications");
  return { level: saved };
});
