// Safe reads from a webhook's JSON: payloads come from outside, so every field is checked before use.

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
