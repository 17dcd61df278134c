"use server";
// Server action entry points of the settings pages: Service Desk settings and email templates. Each goes through
// action() (session + zod); the data function checks that the actor is a Maintainer or up (404 otherwise).
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { previewEmailTemplate, resetEmailTemplate, saveEmailTemplate } from "@/lib/data/email-templates";
import { setServiceDeskEnabled, updateServiceDeskSettings } from "@/lib/data/service-desk";
import {
  previewEmailTemplateSchema,
  resetEmailTemplateSchema,
  saveEmailTemplateSchema,
  setServiceDeskSchema,
  updateServiceDeskSettingsActionSchema,
} from "@/lib/schemas";

export const setServiceDeskEnabledAction = action(setServiceDeskSchema, async ({ projectPath, enabled }, actor) => {
  const result = await setServiceDeskEnabled(actor, projectPath, enabled);
  // The Service Desk page shows the address and the on/off state too.
  revalidatePath(`/${projectPath}`, "layout");
  return { enabled: result.enabled };
});

export const updateServiceDeskSettingsAction = action(updateServiceDeskSettingsActionSchema, async ({ projectPath, ...input }, actor) => {
  const view = await updateServiceDeskSettings(actor, projectPath, input);
  revalidatePath(`/${projectPath}`, "layout");
  return { values: view.values, aliasAddress: view.alias?.address ?? null, issueTemplateMissing: view.issueTemplateMissing };
});

export const saveEmailTemplateAction = action(saveEmailTemplateSchema, async ({ projectPath, name, content }, actor) => {
  const view = await saveEmailTemplate(actor, projectPath, name, content);
  revalidatePath(`/${projectPath}/settings`, "layout");
  return { content: view.content, isCustom: view.isCustom };
});

export const resetEmailTemplateAction = action(resetEmailTemplateSchema, async ({ projectPath, name }, actor) => {
  const view = await resetEmailTemplate(actor, projectPath, name);
  revalidatePath(`/${projectPath}/settings`, "layout");
  return { content: view.content, isCustom: view.isCustom };
});

export const previewEmailTemplateAction = action(previewEmailTemplateSchema, async ({ projectPath, name, content }, actor) => {
  const { html, text } = await previewEmailTemplate(actor, projectPath, name, content);
  return { html, text };
});
