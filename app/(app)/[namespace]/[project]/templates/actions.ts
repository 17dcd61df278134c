"use server";
// Server action entry points of the description templates pages; the data functions check the role
// (Developer and up manage, Reporters and Guests only read).
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { createIssueTemplate, deleteIssueTemplate, updateIssueTemplate } from "@/lib/data/issue-templates";
import { createIssueTemplateSchema, deleteIssueTemplateSchema, updateIssueTemplateSchema } from "@/lib/schemas";

function revalidate(projectPath: string) {
  revalidatePath(`/${projectPath}/templates`, "layout");
  // The Service Desk settings list the templates to choose from.
  revalidatePath(`/${projectPath}/settings`);
}

export const createIssueTemplateAction = action(createIssueTemplateSchema, async ({ projectPath, ...input }, actor) => {
  const template = await createIssueTemplate(actor, projectPath, input);
  revalidate(projectPath);
  return template;
});

export const updateIssueTemplateAction = action(updateIssueTemplateSchema, async ({ projectPath, id, ...input }, actor) => {
  const template = await updateIssueTemplate(actor, projectPath, id, input);
  revalidate(projectPath);
  return template;
});

export const deleteIssueTemplateAction = action(deleteIssueTemplateSchema, async ({ projectPath, id }, actor) => {
  const template = await deleteIssueTemplate(actor, projectPath, id);
  revalidate(projectPath);
  return template;
});
