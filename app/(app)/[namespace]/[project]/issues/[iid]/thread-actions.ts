"use server";
// Server actions of the issue thread: the composer's Markdown preview (rendered like the thread itself).
import { action } from "@/lib/auth/action";
import { previewNote } from "@/lib/data/notes";
import { previewMarkdownSchema } from "@/lib/schemas";

export const previewMarkdownAction = action(previewMarkdownSchema, async ({ projectPath, iid, body }, actor) => ({
  html: await previewNote(actor, projectPath, iid, body),
}));
