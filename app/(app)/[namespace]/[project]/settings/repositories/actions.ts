"use server";
// Server action entry points for linked repositories (Maintainer and up, checked by the data functions):
// link, unlink, regenerate a secret, the reference key.
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { linkRepository, regenerateRepositorySecret, setIssueReferenceKey, unlinkRepository } from "@/lib/data/code-repositories";
import { linkRepositoryActionSchema, repositoryActionSchema, setIssueReferenceKeySchema } from "@/lib/schemas";

/** What the form shows once: the webhook URL and the secret (never stored in plain text, never shown again). */
export const linkRepositoryAction = action(linkRepositoryActionSchema, async ({ projectPath, ...input }, actor) => {
  const linked = await linkRepository(actor, projectPath, input);
  revalidatePath(`/${projectPath}/settings`);
  return { id: linked.id, provider: linked.provider, fullPath: linked.fullPath, webhookUrl: linked.webhookUrl, webUrl: linked.webUrl, secret: linked.secret };
});

export const regenerateRepositorySecretAction = action(repositoryActionSchema, async ({ projectPath, repositoryId }, actor) => {
  const repository = await regenerateRepositorySecret(actor, projectPath, repositoryId);
  revalidatePath(`/${projectPath}/settings`, "layout");
  return { id: repository.id, provider: repository.provider, fullPath: repository.fullPath, webhookUrl: repository.webhookUrl, webUrl: repository.webUrl, secret: repository.secret };
});

export const unlinkRepositoryAction = action(repositoryActionSchema, async ({ projectPath, repositoryId }, actor) => {
  await unlinkRepository(actor, projectPath, repositoryId);
  revalidatePath(`/${projectPath}/settings`, "layout");
  return { id: repositoryId };
});

export const setIssueReferenceKeyAction = action(setIssueReferenceKeySchema, async ({ projectPath, key }, actor) => {
  const saved = await setIssueReferenceKey(actor, projectPath, key);
  revalidatePath(`/${projectPath}/settings`);
  return { key: saved };
});
