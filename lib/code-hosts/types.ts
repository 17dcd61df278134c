// What a code host's delivery means, once read from either host's payload shape (github.ts, gitlab.ts).

export type Provider = "github" | "gitlab";
export const PROVIDERS: readonly Provider[] = ["github", "gitlab"];
export const PROVIDER_NAMES: Record<Provider, string> = { github: "GitHub", gitlab: "GitLab" };

/** A commit or pull/merge request whose text may reference issues. */
export interface ChangeEvent {
  kind: "commit" | "merge_request";
  /** Full SHA, or the pull/merge request number. */
  externalId: string;
  /** `a1b2c3d`, `!45` (GitLab) or `#45` (GitHub), as people write it on that host. */
  reference: string;
  title: string;
  url: string;
  /** Read for closing keywords and references (commit message, PR/MR description). */
  text: string;
  /** Read for references only (a PR/MR title): a title never closes, as on both hosts. */
  mentionText?: string;
  state: "pushed" | "opened" | "merged" | "closed";
  /** Merged or pushed into the default branch: only then do closing keywords close. */
  closes: boolean;
}

export type ReadDelivery =
  | {
      kind: "changes";
      /** The repository the payload says it is about (`owner/repo`), checked against the link. */
      repositoryPath: string | null;
      defaultBranch: string | null;
      sender: string | null;
      summary: string;
      changes: ChangeEvent[];
      /** Said in the delivery record, e.g. that a push listed only 20 of its commits. */
      remarks: string[];
    }
  | { kind: "ping"; repositoryPath: string | null; sender: string | null; summary: string; remarks: string[] }
  | { kind: "ignored"; repositoryPath: string | null; sender: string | null; summary: string; reason: string };
