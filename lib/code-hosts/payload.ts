// Safe reads from a webhook's JSON (payloads come from outside, so every field is checked before use), and what
// both hosts' payloads share: the default-branch rule and pushed commits.
import type { ChangeEvent } from "./types";

export type Json = Record<string, unknown>;

export const obj = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});
export const str = (value: unknown): string | null => (typeof value === "string" ? value : null);
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** The first line of a commit message: its title. */
export function firstLine(message: string): string {
  return message.split(/\r?\n/, 1)[0].trim().slice(0, 200) || "(no message)";
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** `refs/heads/main` → `main`; tags and anything else → null. */
export function branchOf(ref: string | null): string | null {
  return ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
}

/** Why a push does not count (it is not to the default branch), or null when it does. */
export function pushRefusal(branch: string | null, defaultBranch: string | null): string | null {
  if (!branch) return "Not a branch (a tag?): only the default branch counts.";
  if (!defaultBranch || branch !== defaultBranch) return `Pushed to ${branch}, not to the default branch${defaultBranch ? ` (${defaultBranch})` : ""}.`;
  return null;
}

/** Why a pull/merge request does not count (it targets another branch), or null when it does. */
export function targetRefusal(target: string | null, defaultBranch: string | null): string | null {
  if (!defaultBranch || target !== defaultBranch) return `Targets ${target ?? "an unknown branch"}, not the default branch${defaultBranch ? ` (${defaultBranch})` : ""}.`;
  return null;
}

/** The commits of a push, as changes: each message may close or mention issues. */
export function pushedCommits(commits: Json[]): ChangeEvent[] {
  const changes: ChangeEvent[] = [];
  for (const commit of commits) {
    const sha = str(commit.id);
    const message = str(commit.message) ?? str(commit.title) ?? "";
    if (!sha) continue;
    changes.push({ kind: "commit", externalId: sha, reference: shortSha(sha), title: firstLine(message), url: str(commit.url) ?? "", text: message, state: "pushed", closes: true });
  }
  return changes;
}
