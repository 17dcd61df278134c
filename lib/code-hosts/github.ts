// GitHub webhook payloads (`push`, `pull_request`, `ping`) → what they mean for linked issues (types.ts).
import { branchOf, list, num, obj, pushedCommits, pushRefusal, str, targetRefusal, type Json } from "./payload";
import type { ChangeEvent, ReadDelivery } from "./types";

/** The events a linked repository's webhook must send. */
export const GITHUB_EVENTS = ["push", "pull_request"] as const;

export function readGitHubDelivery(event: string, payload: Json): ReadDelivery {
  const repository = obj(payload.repository);
  const repositoryPath = str(repository.full_name);
  const sender = str(obj(payload.sender).login);
  const defaultBranch = str(repository.default_branch);

  if (event === "ping") {
    const events = list(obj(payload.hook).events).filter((e): e is string => typeof e === "string");
    const missing = events.includes("*") ? [] : GITHUB_EVENTS.filter((name) => !events.includes(name));
    const remarks = missing.length ? [`The webhook does not send ${missing.join(" and ")} events: tick them in the webhook's settings on GitHub.`] : [];
    return { kind: "ping", repositoryPath, sender, summary: "ping (webhook created or tested)", remarks };
  }

  if (event === "push") {
    const ref = str(payload.ref);
    const branch = branchOf(ref);
    const commits = list(payload.commits).map(obj);
    const summary = `push of ${commits.length} commit${commits.length === 1 ? "" : "s"} to ${branch ?? ref ?? "an unknown ref"}`;
    if (payload.deleted === true) return { kind: "ignored", repositoryPath, sender, summary, reason: "A branch or tag was deleted." };
    const refused = pushRefusal(branch, defaultBranch);
    if (refused) return { kind: "ignored", repositoryPath, sender, summary, reason: refused };
    const changes = pushedCommits(commits);
    return { kind: "changes", repositoryPath, defaultBranch, sender, summary, changes, remarks: [] };
  }

  if (event === "pull_request") {
    const action = str(payload.action) ?? "";
    const pr = obj(payload.pull_request);
    const number = num(pr.number) ?? num(payload.number);
    const merged = pr.merged === true;
    const summary = `pull request #${number ?? "?"} ${action === "closed" && merged ? "merged" : action}`;
    if (!["opened", "edited", "reopened", "closed"].includes(action))
      return { kind: "ignored", repositoryPath, sender, summary, reason: `Pull request action "${action}" changes nothing here.` };
    if (number === null) return { kind: "ignored", repositoryPath, sender, summary, reason: "The payload names no pull request number." };
    const base = str(obj(pr.base).ref);
    const target = defaultBranch ?? str(obj(obj(obj(pr.base).repo)).default_branch);
    const refused = targetRefusal(base, target);
    if (refused) return { kind: "ignored", repositoryPath, sender, summary, reason: refused };
    // From the pull request itself, not the action: an `edited` event on a merged one is still merged.
    const state = merged ? "merged" : str(pr.state) === "closed" || action === "closed" ? "closed" : "opened";
    const title = str(pr.title) ?? `Pull request #${number}`;
    const change: ChangeEvent = {
      kind: "merge_request",
      externalId: String(number),
      reference: `#${number}`,
      title,
      url: str(pr.html_url) ?? "",
      text: str(pr.body) ?? "",
      mentionText: title,
      state,
      closes: state === "merged",
    };
    return { kind: "changes", repositoryPath, defaultBranch: target, sender, summary, changes: [change], remarks: [] };
  }

  return { kind: "ignored", repositoryPath, sender, summary: event || "(no event header)", reason: `GitHub event "${event}" is not used.` };
}
