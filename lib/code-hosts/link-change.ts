// Linking a change by hand: a team member pastes a pull/merge request, issue or commit link of one of the
// project's linked repositories (the data functions check the role and the issue).
import type { Actor } from "@/lib/auth/actor";
import { addManualLinkedChange, linkableRepositories } from "@/lib/data/linked-changes";
import { AppError } from "@/lib/errors";
import { normalizeBaseUrl, parseChangeUrl } from "./repository";
import type { Provider } from "./types";

export async function linkChangeByUrl(actor: Actor | null, projectPath: string, iid: number, url: string) {
  const repositories = await linkableRepositories(actor, projectPath);
  if (repositories.length === 0)
    throw new AppError("bad_request", "This project has no linked repository yet: a Maintainer links one in Settings → Repositories.", { url: "No repository is linked to this project." });
  for (const repository of repositories) {
    const pasted = parseChangeUrl({ ...repository, provider: repository.provider as Provider, baseUrl: normalizeBaseUrl(repository.provider as Provider, repository.baseUrl) }, url);
    if (pasted) return addManualLinkedChange(actor, projectPath, iid, repository.id, pasted);
  }
  const names = repositories.map((r) => r.fullPath).join(", ");
  throw new AppError("bad_request", "That is not a link to a pull/merge request, issue or commit of a linked repository.", {
    url: `Paste a pull/merge request, issue or commit link of ${names}.`,
  });
}
