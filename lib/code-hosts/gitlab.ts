// GitLab webhook payloads (`Push Hook`, `Merge Request Hook`) → what they mean for linked issues (types.ts).
import { branchOf, list, num, obj, pushedCommits, pushRefusal, str, targetRefusal, type Json } from "./payload";
import type { ChangeEvent, ReadDelivery } from "./types";

/** GitLab lists at most this many commits in a push; `total_commits_count` says how many there were. */
export const GITLAB_PUSH_COMMIT_LIMIT = 20;

export function readGitLabDelivery(event: string, payload: Json): ReadDelivery {
  const project = obj(payload.project);
  const repositoryPath = str(project.path_with_namespace);
  const defaultBranch = str(project.default_branch);

  if (event === "Push Hook") {
    const sender = str(payload.user_username) ?? str(payload.user_name);
    const ref = str(payload.ref);
    const branch = branchOf(ref);
    const commits = list(payload.commits).map(obj);
    const total = num(payload.total_commits_count) ?? commits.length;
    const summary = `push of ${total} commit${total === 1 ? "" : "s"} to ${branch ?? ref ?? "an unknown ref"}`;
    if (/^0+$/.test(str(payload.after) ?? "")) return { kind: "ignored", repositoryPath, sender, summary, reason: "A branch was deleted." };
    const refused = pushRefusal(branch, defaultBranch);
    if (refused) return { kind: "ignored", repositoryPath, sender, summary, reason: refused };
    const changes = pushedCommits(commits);
    const remarks =
      total > commits.length
        ? [
            `GitLab listed ${commits.length} of the push's ${total} commits (it sends at most ${GITLAB_PUSH_COMMIT_LIMIT}); the other ${total - commits.length} were not read: that would need an API token, which this link does not have. Reference issues from the merge request's description to be sure.`,
          ]
        : [];
    return { kind: "changes", repositoryPath, defaultBranch, sender, summary, changes, remarks };
  }

  if (event === "Merge Request Hook") {
    const sender = str(obj(payload.user).username);
    const mr = obj(payload.object_attributes);
    const action = str(mr.action) ?? "";
    const iid = num(mr.iid);
    const summary = `merge request !${iid ?? "?"} ${action === "merge" ? "merged" : action || "updated"}`;
    if (!["open", "reopen", "update", "close", "merge"].includes(action))
      return { kind: "ignored", repositoryPath, sender, summary, reason: `Merge request action "${action}" changes nothing here.` };
    if (iid === null) return { kind: "ignored", repositoryPath, sender, summary, reason: "The payload names no merge request iid." };
    const target = str(mr.target_branch);
    const refused = targetRefusal(target, defaultBranch);
    if (refused) return { kind: "ignored", repositoryPath, sender, summary, reason: refused };
    // From the merge request's state when given: an `update` of a merged one (labels, description) is still merged.
    const given = str(mr.state);
    const state = given === "merged" || action === "merge" ? "merged" : given === "closed" || given === "locked" || action === "close" ? "closed" : "opened";
    const title = str(mr.title) ?? `Merge request !${iid}`;
    const change: ChangeEvent = {
      kind: "merge_request",
      externalId: String(iid),
      reference: `!${iid}`,
      title,
      url: str(mr.url) ?? "",
      text: str(mr.description) ?? "",
      mentionText: title,
      state,
      closes: state === "merged",
    };
    return { kind: "changes", repositoryPath, defaultBranch, sender, summary, changes: [change], remarks: [] };
  }

  const sender = str(payload.user_username) ?? str(obj(payload.user).username);
  return { kind: "ignored", repositoryPath, sender, summary: event || "(no event header)", reason: `GitLab event "${event}" is not used.` };
}
