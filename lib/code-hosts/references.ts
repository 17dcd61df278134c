// Issue references in commit messages and pull/merge request descriptions, and which of them a closing keyword
// governs (GitLab's default issue_closing_pattern, which also covers GitHub's keywords). Pure and linear-time:
// the text comes from anyone who can push to a linked repository.
import { proseOnly as markdownProse } from "@/lib/prose";

/** One reference found in a text. `local` is a bare `#12`: the repository's own issue, never ours. */
export type IssueReference =
  | { kind: "path"; projectPath: string; iid: number; closing: boolean; text: string }
  | { kind: "url"; projectPath: string; iid: number; closing: boolean; text: string }
  | { kind: "key"; key: string; iid: number; closing: boolean; text: string }
  | { kind: "local"; iid: number; closing: boolean; text: string };

/** Only this much of a message is read: a closing reference sits in the first lines, not after 64 KB. */
export const MAX_SCANNED_CHARACTERS = 64 * 1024;

// Anchors, each found by a pattern that cannot backtrack far: URLs, `#<digits>` (ends every path reference and is
// a bare one on its own) and `KEY-<digits>`. A path is read backwards from its `#`, at most 255 characters.
const URL_REF = /https?:\/\/[^\s<>"'`()[\]{}]+/gi;
const HASH_REF = /#(\d{1,9})(?![\w#])/g;
const KEY_REF = /(?<![\w-])([A-Z][A-Z0-9_]{1,63})-(\d{1,9})(?![\w-])/g;
const PATH_CHAR = /[\w./-]/;
const PATH = /^[a-z0-9_][\w.-]*(?:\/[a-z0-9_][\w.-]*)+$/i;
const MAX_PATH = 255;

const KEYWORD = /\b(?:clos(?:e[sd]?|ing)|fix(?:e[sd]|ing)?|resolv(?:e[sd]?|ing)|implement(?:s|ed|ing)?)(?::?) +/gi;
const ISSUE_WORD = /issues? +/iy;
// Between two references of one list: `, `, ` and `, `, and `, or nothing but spaces (GitLab's separator).
// Spaces are taken once, up front: GitLab's ` *,? +and +| *,? *` backtracks quadratically over a long run of them.
const SEPARATOR = / *(?:,? *and +|,? *)/y;

/** The prose of a message (lib/prose.ts), of its first MAX_SCANNED_CHARACTERS only. */
export function proseOnly(text: string): string {
  return markdownProse(text.slice(0, MAX_SCANNED_CHARACTERS));
}

export interface ReferenceOptions {
  /** The app's public URL: only links to this app's issues are references (`<APP_URL>/<path>/issues/<iid>`). */
  appUrl: string;
}

/** The project path and iid of a link to one of this app's issues (`/<path>/issues/<iid>`, also `/-/issues/`). */
export function parseIssueUrl(candidate: string, appUrl: string): { projectPath: string; iid: number } | null {
  const base = appUrl.replace(/\/+$/, "");
  const url = candidate.replace(/[.,;:!?]+$/, "");
  if (url.slice(0, base.length).toLowerCase() !== base.toLowerCase()) return null;
  const match = /^\/([\w.-]+(?:\/[\w.-]+)+?)\/(?:-\/)?issues\/(\d{1,9})(?:[/?#]\S*)?$/.exec(url.slice(base.length));
  return match ? { projectPath: match[1].toLowerCase(), iid: Number(match[2]) } : null;
}

interface Hit {
  ref: IssueReference;
  start: number;
  end: number;
}

/** Every reference in `prose` by start offset. Linear in the text: each anchor looks back a bounded distance. */
function collectReferences(prose: string, options: ReferenceOptions): Map<number, Hit> {
  const hits: Hit[] = [];
  const urls: Hit[] = [];
  for (const m of prose.matchAll(URL_REF)) {
    const text = m[0].replace(/[.,;:!?]+$/, "");
    const parsed = parseIssueUrl(text, options.appUrl);
    // Another site's link is no reference of ours, but it still continues a list ("fixes <url>, acme/game#3").
    const ref: IssueReference = parsed ? { kind: "url", ...parsed, closing: false, text } : { kind: "local", iid: 0, closing: false, text };
    urls.push({ ref, start: m.index, end: m.index + text.length });
  }
  // Anchors come in order, so one forward pointer over the (ordered) URLs answers "inside a URL?" in linear time.
  const insideUrl = () => {
    let i = 0;
    return (at: number) => {
      while (i < urls.length && urls[i].end + 1 <= at) i++;
      return i < urls.length && at >= urls[i].start;
    };
  };
  let inUrl = insideUrl();
  for (const m of prose.matchAll(HASH_REF)) {
    const hash = m.index;
    if (inUrl(hash)) continue;
    let start = hash;
    while (start > 0 && hash - start <= MAX_PATH && PATH_CHAR.test(prose[start - 1])) start--;
    const iid = Number(m[1]);
    const end = hash + m[0].length;
    if (start === hash) {
      // `&#39;` is an HTML entity; `##1` is not a reference either.
      if (hash > 0 && /[&#]/.test(prose[hash - 1])) continue;
      hits.push({ ref: { kind: "local", iid, closing: false, text: m[0] }, start, end });
      continue;
    }
    const path = prose.slice(start, hash);
    // Cut off mid-word (a run longer than any path), part of an address (`git@host:a/b#1`), or not a path at all.
    const before = prose.slice(Math.max(0, start - MAX_PATH), start);
    if ((start > 0 && PATH_CHAR.test(prose[start - 1])) || /@$|@[\w.-]+:$/.test(before) || !PATH.test(path)) continue;
    hits.push({ ref: { kind: "path", projectPath: path.toLowerCase(), iid, closing: false, text: prose.slice(start, end) }, start, end });
  }
  inUrl = insideUrl();
  for (const m of prose.matchAll(KEY_REF)) {
    if (inUrl(m.index)) continue;
    hits.push({ ref: { kind: "key", key: m[1], iid: Number(m[2]), closing: false, text: m[0] }, start: m.index, end: m.index + m[0].length });
  }
  const found = new Map<number, Hit>();
  for (const hit of [...urls, ...hits].sort((a, b) => a.start - b.start)) found.set(hit.start, hit);
  return found;
}

/**
 * Every reference in `text` (code, quotes and comments excluded), in order, with `closing` set on those a
 * closing keyword governs: `Fixes acme/game#12, acme/game#13 and DESK-4`, `closes: <issue URL>`,
 * `Resolves issue acme/game#2`. Bare `#12` comes back as `local` (callers ignore it; it still continues a list).
 * An issue named twice comes back twice; resolveReferences merges them.
 */
export function findIssueReferences(text: string, options: ReferenceOptions): IssueReference[] {
  const prose = proseOnly(text);
  const found = collectReferences(prose, options);
  KEYWORD.lastIndex = 0;
  for (let k = KEYWORD.exec(prose); k; k = KEYWORD.exec(prose)) {
    let at = k.index + k[0].length;
    for (;;) {
      ISSUE_WORD.lastIndex = at;
      if (ISSUE_WORD.exec(prose)) at = ISSUE_WORD.lastIndex;
      const hit = found.get(at);
      if (!hit) break;
      hit.ref.closing = true;
      SEPARATOR.lastIndex = hit.end;
      SEPARATOR.exec(prose);
      at = SEPARATOR.lastIndex;
      if (at === hit.end && !found.has(at)) break;
    }
    KEYWORD.lastIndex = Math.max(KEYWORD.lastIndex, at);
  }
  return [...found.values()].map((hit) => hit.ref);
}

/** What a linked repository's project answers to: its full path and its optional key. */
export interface ReferenceTarget {
  fullPath: string;
  issueReferenceKey: string | null;
}

/**
 * The iids of `target`'s issues that `refs` name, each once, closing when any of its references is: references
 * to other projects, other sites and bare `#12` are dropped.
 */
export function resolveReferences(refs: readonly IssueReference[], target: ReferenceTarget): Map<number, { closing: boolean }> {
  const path = target.fullPath.toLowerCase();
  const issues = new Map<number, { closing: boolean }>();
  for (const ref of refs) {
    const ours =
      ref.kind === "path" || ref.kind === "url"
        ? ref.projectPath === path
        : ref.kind === "key"
          ? !!target.issueReferenceKey && ref.key === target.issueReferenceKey
          : false;
    if (!ours || ref.iid < 1) continue;
    const seen = issues.get(ref.iid);
    issues.set(ref.iid, { closing: (seen?.closing ?? false) || ref.closing });
  }
  return issues;
}
