// `@username` mentions in a note (code spans and blocks, quotes and e-mail addresses excluded), and whether the
// note starts by addressing someone (GitLab's "directly addressed").
import { proseOnly } from "@/lib/prose";

const MENTION = /(?<![\w@.+-])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,254})/g;

/** Lower-cased usernames mentioned in `body`, each once, in order (a trailing "." is punctuation). */
export function mentionedUsernames(body: string): string[] {
  const seen = new Set<string>();
  for (const m of proseOnly(body.slice(0, 65_536)).matchAll(MENTION)) seen.add(m[1].replace(/[.-]+$/, "").toLowerCase());
  return [...seen].filter(Boolean);
}

/** Usernames the note opens with (`@ana @bo please look`): those people are directly addressed. */
export function addressedUsernames(body: string): string[] {
  const lead = /^\s*((?:@[A-Za-z0-9_][A-Za-z0-9_.-]*[\s,]*)+)/.exec(proseOnly(body.slice(0, 4096)));
  return lead ? mentionedUsernames(lead[1]) : [];
}
