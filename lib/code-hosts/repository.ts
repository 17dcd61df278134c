// Where a linked repository lives: its host's base URL, its web address, the webhook URL the app gives out, and
// reading a pasted link (pull/merge request, issue, commit) of that repository.
import { env } from "@/lib/env";
import type { Provider } from "./types";
import { shortSha } from "./payload";

export const DEFAULT_BASE_URL: Record<Provider, string> = { github: "https://github.com", gitlab: "https://gitlab.com" };

/** The base URL as stored: the host's default when none is given, never a trailing slash. */
export function normalizeBaseUrl(provider: Provider, baseUrl: string | null | undefined): string {
  const value = baseUrl?.trim() ? baseUrl.trim() : DEFAULT_BASE_URL[provider];
  const url = new URL(value);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`.toLowerCase();
}

export interface RepositoryRef {
  id: number;
  provider: Provider;
  fullPath: string;
  baseUrl: string;
}

export function repositoryWebUrl(repository: Pick<RepositoryRef, "baseUrl" | "fullPath">): string {
  return `${repository.baseUrl}/${repository.fullPath}`;
}

/** The address the host posts deliveries to. */
export function webhookUrl(repository: Pick<RepositoryRef, "id" | "provider">): string {
  return `${env().APP_URL}/api/webhooks/${repository.provider}/${repository.id}`;
}

export interface PastedChange {
  kind: "merge_request" | "issue" | "commit";
  externalId: string;
  /** `!45`, `#45`, `a1b2c3d`: how the host writes it. */
  reference: string;
  url: string;
}

/**
 * A pasted link of `repository`: GitHub `/pull/N`, `/issues/N`, `/commit/SHA`; GitLab `/-/merge_requests/N`,
 * `/-/issues/N`, `/-/commit/SHA` (older links without `/-/` too). Null when it is not a link into this repository.
 */
export function parseChangeUrl(repository: Pick<RepositoryRef, "provider" | "baseUrl" | "fullPath">, pasted: string): PastedChange | null {
  let url: URL;
  try {
    url = new URL(pasted.trim());
  } catch {
    return null;
  }
  const prefix = new URL(repositoryWebUrl(repository)).pathname.toLowerCase();
  if (`${url.protocol}//${url.host}`.toLowerCase() !== new URL(repository.baseUrl).origin.toLowerCase()) return null;
  const path = url.pathname.replace(/\/+$/, "");
  if (!path.toLowerCase().startsWith(`${prefix}/`)) return null;
  const rest = path.slice(prefix.length + 1);
  const base = `${url.protocol}//${url.host}${path.slice(0, prefix.length)}`;
  const patterns =
    repository.provider === "github"
      ? ([
          [/^pull\/(\d{1,9})(?:\/\w+)?$/, "merge_request", "pull"],
          [/^issues\/(\d{1,9})$/, "issue", "issues"],
          [/^commit\/([0-9a-f]{7,64})$/i, "commit", "commit"],
        ] as const)
      : ([
          [/^(?:-\/)?merge_requests\/(\d{1,9})(?:\/\w+)?$/, "merge_request", "-/merge_requests"],
          [/^(?:-\/)?issues\/(\d{1,9})$/, "issue", "-/issues"],
          [/^(?:-\/)?commit\/([0-9a-f]{7,64})$/i, "commit", "-/commit"],
        ] as const);
  for (const [pattern, kind, segment] of patterns) {
    const match = pattern.exec(rest);
    if (!match) continue;
    const id = kind === "commit" ? match[1].toLowerCase() : match[1];
    const reference = kind === "commit" ? shortSha(id) : kind === "merge_request" && repository.provider === "gitlab" ? `!${id}` : `#${id}`;
    // The change's own page, whatever tab was pasted (`/pull/7/files` → `/pull/7`).
    return { kind, externalId: id, reference, url: `${base}/${segment}/${id}` };
  }
  return null;
}
