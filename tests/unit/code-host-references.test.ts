// Closing-reference matcher (lib/code-hosts/references.ts): which Service Desk issues a commit message or PR/MR body closes or mentions.
import { describe, expect, it } from "vitest";
import { findIssueReferences, MAX_SCANNED_CHARACTERS, parseIssueUrl, proseOnly, resolveReferences, type ReferenceTarget } from "@/lib/code-hosts/references";

const APP_URL = "https://desk.example.com";
const GAME: ReferenceTarget = { fullPath: "acme/game", issueReferenceKey: "DESK" };
const NO_KEY: ReferenceTarget = { fullPath: "acme/game", issueReferenceKey: null };
const SUBGROUP: ReferenceTarget = { fullPath: "group/sub/proj", issueReferenceKey: null };

interface Case {
  text: string;
  /** iid → closing, for the target's issues only. */
  expected: Record<number, boolean>;
  target?: ReferenceTarget;
  appUrl?: string;
}

function resolved(text: string, target: ReferenceTarget = GAME, appUrl = APP_URL): Record<number, boolean> {
  const issues = resolveReferences(findIssueReferences(text, { appUrl }), target);
  return Object.fromEntries([...issues].map(([iid, { closing }]) => [iid, closing]));
}

const table = (cases: Case[]) => cases.map((c) => [JSON.stringify(c.text).slice(0, 120), c] as const);

// GitHub's keywords are case-insensitive; GitLab-only forms (closing, fixing, resolving, implement…) vary only their first letter.
const GITHUB_KEYWORDS = ["close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved"];
const GITLAB_ONLY_KEYWORDS = ["closing", "fixing", "resolving", "implement", "implements", "implemented", "implementing"];
const capitalised = (word: string) => word[0].toUpperCase() + word.slice(1);
const keywordCasings = [
  ...GITHUB_KEYWORDS.flatMap((k) => [k, capitalised(k), k.toUpperCase()]),
  ...GITLAB_ONLY_KEYWORDS.flatMap((k) => [k, capitalised(k)]),
];

describe("closing keywords", () => {
  it.each(keywordCasings.flatMap((keyword) => [`${keyword} acme/game#12`, `${keyword}: acme/game#12`, `Some work. ${keyword} issue acme/game#12`]))(
    "%j closes acme/game#12",
    (text) => {
      expect(resolved(text)).toEqual({ 12: true });
    },
  );

  it.each(keywordCasings.map((keyword) => `${keyword} DESK-7, https://desk.example.com/acme/game/-/issues/8 and acme/game#9`))(
    "%j closes a key, a URL and a path",
    (text) => {
      expect(resolved(text)).toEqual({ 7: true, 8: true, 9: true });
    },
  );
});

describe("lists and mixed references", () => {
  it.each(
    table([
      { text: "Fixes acme/game#1, acme/game#2, and acme/game#3 and acme/game#4", expected: { 1: true, 2: true, 3: true, 4: true } },
      { text: "Fixes acme/game#1,acme/game#2", expected: { 1: true, 2: true } },
      { text: "Closes acme/game#1 acme/game#2", expected: { 1: true, 2: true } },
      { text: "Closes acme/game#1 ,  and  acme/game#2", expected: { 1: true, 2: true } },
      { text: "Closes issues acme/game#1 and acme/game#2", expected: { 1: true, 2: true } },
      { text: "Fixes acme/game#1, issue acme/game#2 and issues acme/game#3", expected: { 1: true, 2: true, 3: true } },
      { text: "Fixes acme/game#1, #3, acme/game#4", expected: { 1: true, 4: true } },
      { text: "Fixes #3 and acme/game#4", expected: { 4: true } },
      { text: "Resolves other/proj#2 and acme/game#5", expected: { 5: true } },
      { text: "Fixes acme/game#1, other/proj#9, #2, acme/game#4", expected: { 1: true, 4: true } },
      { text: "Fixes https://gitlab.example.com/acme/game/-/issues/7, acme/game#8", expected: { 8: true } },
      { text: "Fixes https://desk.example.com/other/proj/issues/7 and acme/game#8", expected: { 8: true } },
      { text: "Fixes OTHER-1, DESK-2 and acme/game#3", expected: { 2: true, 3: true } },
      { text: "Fixes acme/game#1 because acme/game#2 crashed", expected: { 1: true, 2: false } },
      { text: "Fixes acme/game#1 and closes acme/game#2", expected: { 1: true, 2: true } },
      { text: "Fixes acme/game#1.\n\nCloses acme/game#2\nSee acme/game#3", expected: { 1: true, 2: true, 3: false } },
      { text: "Fixes fixes acme/game#1", expected: { 1: true } },
    ]),
  )("%s", (_name, { text, expected }) => {
    expect(resolved(text)).toEqual(expected);
  });
});

describe("URLs", () => {
  it.each(
    table([
      { text: "Closes https://desk.example.com/acme/game/issues/12.", expected: { 12: true } },
      { text: "Closes https://desk.example.com/acme/game/issues/12, https://desk.example.com/acme/game/-/issues/13!", expected: { 12: true, 13: true } },
      { text: "Fixes https://desk.example.com/acme/game/issues/14?tab=activity", expected: { 14: true } },
      { text: "Fixes https://desk.example.com/acme/game/-/issues/15#note_3.", expected: { 15: true } },
      { text: "Fixes https://desk.example.com/acme/game/issues/16/", expected: { 16: true } },
      { text: "(fixes https://desk.example.com/acme/game/issues/17)", expected: { 17: true } },
      { text: "See <https://desk.example.com/acme/game/issues/18>", expected: { 18: false } },
      { text: "Fixes HTTPS://Desk.Example.com/Acme/Game/issues/19", expected: { 19: true } },
      { text: "See https://desk.example.com/acme/game/issues/20", expected: { 20: false } },
      { text: "Fixes https://gitlab.example.com/acme/game/issues/21", expected: {} },
      { text: "Fixes https://desk.example.com.evil.test/acme/game/issues/22", expected: {} },
      { text: "Fixes https://desk.example.com@evil.test/acme/game/issues/23", expected: {} },
      { text: "Fixes https://desk.example.com:8443/acme/game/issues/24", expected: {} },
      { text: "Fixes https://desk.example.com/other/proj/issues/25", expected: {} },
      { text: "Fixes https://desk.example.com/acme/game/issues/26abc", expected: {} },
      { text: "Fixes https://desk.example.com/acme/game/merge_requests/27", expected: {} },
      { text: "Fixes https://desk.example.com/group/sub/proj/-/issues/4", expected: { 4: true }, target: SUBGROUP },
      { text: "Fixes https://desk.example.com/support/acme/game/issues/30", expected: { 30: true }, appUrl: "https://desk.example.com/support" },
      { text: "Fixes https://desk.example.com/support/acme/game/-/issues/31", expected: { 31: true }, appUrl: "https://desk.example.com/support/" },
      { text: "Fixes https://desk.example.com/acme/game/issues/32", expected: {}, appUrl: "https://desk.example.com/support" },
      { text: "Fixes https://desk.example.com/supportx/acme/game/issues/33", expected: {}, appUrl: "https://desk.example.com/support" },
    ]),
  )("%s", (_name, { text, expected, target, appUrl }) => {
    expect(resolved(text, target, appUrl)).toEqual(expected);
  });

  it("parseIssueUrl reads the path and iid of this app's issue links only", () => {
    expect(parseIssueUrl("https://desk.example.com/Acme/Game/-/issues/12).", APP_URL)).toBeNull();
    expect(parseIssueUrl("https://desk.example.com/Acme/Game/-/issues/12.", APP_URL)).toEqual({ projectPath: "acme/game", iid: 12 });
    expect(parseIssueUrl("https://desk.example.com/group/sub/proj/issues/4?x=1#y", `${APP_URL}/`)).toEqual({ projectPath: "group/sub/proj", iid: 4 });
    expect(parseIssueUrl("https://desk.example.com/support/acme/game/issues/5", `${APP_URL}/support`)).toEqual({ projectPath: "acme/game", iid: 5 });
    expect(parseIssueUrl("https://desk.example.com/game/issues/5", APP_URL)).toBeNull();
    expect(parseIssueUrl("https://desk.example.com/acme/game/issues/", APP_URL)).toBeNull();
    expect(parseIssueUrl("https://elsewhere.example.com/acme/game/issues/5", APP_URL)).toBeNull();
  });
});

describe("project keys", () => {
  it.each(
    table([
      { text: "Fixes DESK-12", expected: { 12: true } },
      { text: "See DESK-3 for context", expected: { 3: false } },
      { text: "Fixes DESK-12", expected: {}, target: NO_KEY },
      { text: "Fixes DESK-12", expected: {}, target: { fullPath: "acme/game", issueReferenceKey: "GAME" } },
      { text: "Fixes desk-12", expected: {} },
      { text: "Fixes Desk-12", expected: {} },
      { text: "Fixes OTHER-12", expected: {} },
      { text: "Fixes MYDESK-12", expected: {} },
      { text: "Fixes PRE-DESK-12", expected: {} },
      { text: "Fixes DESK-12a", expected: {} },
      { text: "Fixes DESK_2-5", expected: { 5: true }, target: { fullPath: "acme/game", issueReferenceKey: "DESK_2" } },
      { text: "Fixes https://desk.example.com/acme/game/issues/DESK-9", expected: {} },
    ]),
  )("%s", (_name, { text, expected, target }) => {
    expect(resolved(text, target)).toEqual(expected);
  });
});

describe("what is not one of ours", () => {
  it.each(
    table([
      { text: "Fixes #12", expected: {} },
      { text: "Fixes other/proj#12", expected: {} },
      { text: "Fixes acme/game-old#12", expected: {} },
      { text: "Fixes xacme/game#12", expected: {} },
      { text: "Fixes acme/game/sub#12", expected: {} },
      { text: "Fixes group/sub/proj#4", expected: { 4: true }, target: SUBGROUP },
      { text: "Fixes group/sub/proj#4", expected: {} },
      { text: "Fixes group/sub/proj#4", expected: {}, target: { fullPath: "sub/proj", issueReferenceKey: null } },
      { text: "Fixes Acme/Game#6", expected: { 6: true } },
    ]),
  )("%s", (_name, { text, expected, target }) => {
    expect(resolved(text, target)).toEqual(expected);
  });

  it("returns a bare #12 as the repository's own (local) reference, which resolveReferences drops", () => {
    const refs = findIssueReferences("Fixes #12", { appUrl: APP_URL });
    expect(refs).toEqual([{ kind: "local", iid: 12, closing: true, text: "#12" }]);
    expect(resolveReferences(refs, GAME).size).toBe(0);
  });
});

describe("code, quotes and comments", () => {
  it.each(
    table([
      { text: "```\nFixes acme/game#1\n```\nFixes acme/game#2", expected: { 2: true } },
      { text: "~~~js\nfixes acme/game#1\n~~~\nsee acme/game#2", expected: { 2: false } },
      { text: "   ```sh\nfixes acme/game#1\n   ```\nfixes acme/game#2", expected: { 2: true } },
      { text: "````\n```\nfixes acme/game#1\n```\nfixes acme/game#3\n````\nFixes acme/game#2", expected: { 2: true } },
      { text: "~~~\n```\nfixes acme/game#1\n~~~\nFixes acme/game#2", expected: { 2: true } },
      { text: "Notes\n```\nfixes acme/game#1 (never closed)", expected: {} },
      { text: "```\r\nfixes acme/game#1\r\n```\r\nfixes acme/game#2", expected: { 2: true } },
      { text: "Run `fixes acme/game#1` to test; fixes acme/game#2", expected: { 2: true } },
      { text: "Fixes `acme/game#1`", expected: {} },
      { text: "Fixes ``a ` acme/game#1``", expected: {} },
      { text: "Fixes ` acme/game#1", expected: { 1: false } },
      { text: "> Fixes acme/game#1\nFixes acme/game#2", expected: { 2: true } },
      { text: "Thanks!\n   > > fixes acme/game#1", expected: {} },
      { text: "<!-- Fixes acme/game#1 -->\nFixes acme/game#2", expected: { 2: true } },
      { text: "Summary <!--\nTemplate: write `Fixes acme/game#1` here\n--> done, fixes acme/game#2", expected: { 2: true } },
      { text: "Fixes acme/game#2 <!-- fixes acme/game#1 (unclosed comment", expected: { 2: true } },
    ]),
  )("%s", (_name, { text, expected }) => {
    expect(resolved(text)).toEqual(expected);
  });

  it("proseOnly keeps prose lines and blanks code, quotes and comments", () => {
    const prose = proseOnly("a `b` c\n```\nd\n```\n> e\nf <!-- g --> h");
    expect(prose).toMatch(/^a +c\nf +h$/);
    expect(proseOnly("x".repeat(MAX_SCANNED_CHARACTERS + 10))).toHaveLength(MAX_SCANNED_CHARACTERS);
  });
});

describe("near misses", () => {
  it.each(
    table([
      { text: "prefix acme/game#9", expected: { 9: false } },
      { text: "fixes:acme/game#1", expected: { 1: false } },
      { text: "unfixed acme/game#1", expected: { 1: false } },
      { text: "fix-up acme/game#1", expected: { 1: false } },
      { text: "closest acme/game#1", expected: { 1: false } },
      { text: "Fixes\nacme/game#1", expected: { 1: false } },
      { text: "closes acme/game#12abc", expected: {} },
      { text: "closes acme/game#12#13", expected: {} },
      { text: "Fixes git@host:acme/game#1", expected: {} },
      { text: "Fixes git@gitlab.example.com:acme/game#1", expected: {} },
      { text: "Fixes acme/game#0", expected: {} },
      { text: "Related to acme/game#5 and DESK-6, https://desk.example.com/acme/game/issues/7", expected: { 5: false, 6: false, 7: false } },
      { text: "See acme/game#7. Fixes acme/game#7.", expected: { 7: true } },
      { text: "Fixes acme/game#7. See also acme/game#7 and DESK-7", expected: { 7: true } },
      { text: "Fixes the crash that was first described in acme/game#8", expected: { 8: false } },
      { text: "Fixes: the crash (acme/game#8)", expected: { 8: false } },
    ]),
  )("%s", (_name, { text, expected }) => {
    expect(resolved(text)).toEqual(expected);
  });

  it("reads no reference in an HTML entity such as &#39;", () => {
    const refs = findIssueReferences("Fixes &#39;quoted&#39; and it&#39;s fine, closes &#39;", { appUrl: APP_URL });
    expect(refs).toEqual([]);
  });
});

// Hostile inputs of about 64 KB: each must come back with the right answer inside vitest's default timeout
// (5 s; the project config raises it to 30 s for the database tests, which would hide a quadratic matcher).
describe("hostile inputs", { timeout: 5_000 }, () => {
  it("a long run of path characters", () => {
    const text = `${"a/".repeat(30000)}#1 fixes acme/game#2`;
    expect(findIssueReferences(text, { appUrl: APP_URL }).map((r) => r.text)).toEqual(["acme/game#2"]);
    expect(resolved(text)).toEqual({ 2: true });
  });

  it("a long run of capitals before a dash", () => {
    expect(resolved(`${"A".repeat(60000)}-1 fixes DESK-2`)).toEqual({ 2: true });
  });

  it("thousands of #1 glued together", () => {
    expect(findIssueReferences("#1".repeat(30000), { appUrl: APP_URL })).toEqual([]);
    expect(resolved(`Fixes acme/game#2 ${"#1".repeat(30000)}`)).toEqual({ 2: true });
  });

  it("one keyword governing a list of five thousand references", () => {
    const refs = findIssueReferences(`fixes ${"acme/game#1, ".repeat(5000)}`, { appUrl: APP_URL });
    expect(refs).toHaveLength(5000);
    expect(refs.every((r) => r.closing)).toBe(true);
    expect(resolved(`fixes ${"acme/game#1, ".repeat(5000)}`)).toEqual({ 1: true });
  });

  it("many keywords before one reference", () => {
    expect(resolved(`${"fixes ".repeat(10000)}acme/game#1`)).toEqual({ 1: true });
    expect(resolved(`fixes ${"issue ".repeat(10000)}acme/game#1`)).toEqual({ 1: false });
  });

  it("100k characters of https:// fragments", () => {
    expect(findIssueReferences("https://".repeat(12500), { appUrl: APP_URL })).toHaveLength(1);
    expect(resolved(`fixes acme/game#1 ${"https:// ".repeat(11000)}`)).toEqual({ 1: true });
    expect(resolved(`fixes acme/game#1 ${"https://a #2 ".repeat(7700)}`)).toEqual({ 1: true });
    expect(resolved(`fixes acme/game#1 ${"http://x AB-3 ".repeat(7000)}`)).toEqual({ 1: true });
  });

  it("a link to this app with thousands of path segments", () => {
    const refs = findIssueReferences(`Fixes ${APP_URL}/${"a/".repeat(30000)}issues/4`, { appUrl: APP_URL });
    expect(refs).toEqual([expect.objectContaining({ kind: "url", iid: 4, closing: true, projectPath: `${"a/".repeat(29999)}a` })]);
  });

  it("a reference followed by a long run of spaces", () => {
    expect(resolved(`fixes acme/game#1${" ".repeat(60000)}acme/game#2`)).toEqual({ 1: true, 2: true });
  });

  it("a reference followed by spaces, a comma and spaces", () => {
    expect(resolved(`fixes acme/game#1${" ".repeat(60000)},${" ".repeat(3000)}see acme/game#2`)).toEqual({ 1: true, 2: false });
  });

  it("backtick runs, comment openers and fence markers", () => {
    expect(resolved(`fixes acme/game#1 ${"`".repeat(60000)}`)).toEqual({ 1: true });
    expect(resolved(`fixes acme/game#1 ${"<!--".repeat(15000)}`)).toEqual({ 1: true });
    expect(resolved(`fixes acme/game#1\n${"```\n~~~\n".repeat(7000)}`)).toEqual({ 1: true });
  });
});
