"use server";
// To-Do list actions: mark one, or all pending, done (the signed-in user's own only; the data functions check).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { markAllTodosDone, markTodoDone } from "@/lib/data/todos";

export const markTodoDoneAction = action(z.object({ id: z.number().int().positive() }), async ({ id }, actor) => {
  const result = await markTodoDone(actor, id);
  // The top bar's count is in the layout of every page.
  revalidatePath("/", "layout");
  return result;
});

export const markAllTodosDoneAction = action(z.object({}), async (_input, actor) => {
  const result = await markAllTodosDone(actor);
  revalidatePath("/", "layout");
  return result;
});
