// The live pages' signals (lib/live/signals.ts): what is accepted from the channel, who may hear of what, and the
// browser's event — ids and names only, framed so that no data can break out of its event.
import { describe, expect, it } from "vitest";
import type { Role } from "@/lib/auth/roles";
import { frameEvent, parseLiveSignal, toLiveEvent, visibleTo, type LiveSignal } from "@/lib/live/signals";

const issue = (confidential: boolean, projectId = 1) => JSON.stringify({ t: "issue", p: projectId, i: 10, n: 3, c: confidential });
const presence = { t: "presence", p: 1, i: 10, n: 3, c: true, u: "u-dev", name: "Dev", s: "replying", x: "2026-12-04T10:00:00.000Z" };
const viewer = (roles: [number, Role][], isAdmin = false) => ({ userId: "u-me", isAdmin, roles: new Map(roles) });

describe("parseLiveSignal", () => {
  it("reads the triggers' payloads", () => {
    expect(parseLiveSignal(issue(true))).toEqual({ type: "issue", projectId: 1, issueId: 10, iid: 3, confidential: true });
    expect(parseLiveSignal(JSON.stringify({ t: "todos", u: "u-me" }))).toEqual({ type: "todos", userId: "u-me" });
    expect(parseLiveSignal(JSON.stringify(presence))).toEqual({
      type: "presence",
      projectId: 1,
      issueId: 10,
      iid: 3,
      confidential: true,
      userId: "u-dev",
      name: "Dev",
      state: "replying",
      expiresAt: "2026-12-04T10:00:00.000Z",
    });
  });

  it("drops anything else without throwing", () => {
    for (const bad of [
      undefined,
      "",
      "not json",
      "null",
      "[]",
      "42",
      JSON.stringify({ t: "issue", p: "1", i: 10, n: 3 }),
      JSON.stringify({ t: "issue", p: 1.5, i: 10, n: 3 }),
      JSON.stringify({ t: "todos" }),
      JSON.stringify({ ...presence, s: "typing" }),
      JSON.stringify({ ...presence, name: 7 }),
      JSON.stringify({ t: "drop table" }),
      "x".repeat(9000),
    ])
      expect(parseLiveSignal(bad), String(bad).slice(0, 40)).toBeNull();
  });

  it("counts anything but an explicit false as confidential (fails closed)", () => {
    for (const c of [true, "yes", 0, null, undefined]) expect(parseLiveSignal(JSON.stringify({ t: "issue", p: 1, i: 10, n: 3, c })), String(c)).toMatchObject({ confidential: true });
    expect(parseLiveSignal(issue(false))).toMatchObject({ confidential: false });
  });
});

describe("visibleTo", () => {
  const confidential = parseLiveSignal(issue(true))!;
  const open = parseLiveSignal(issue(false))!;
  const elsewhere = parseLiveSignal(issue(false, 2))!;
  const onSecret = parseLiveSignal(JSON.stringify(presence))!;

  it("follows the issue rules: members read open issues, Reporters and up confidential ones; admins everything", () => {
    const table: [string, ReturnType<typeof viewer>, boolean, boolean][] = [
      ["guest", viewer([[1, "GUEST"]]), true, false],
      ["reporter", viewer([[1, "REPORTER"]]), true, true],
      ["owner", viewer([[1, "OWNER"]]), true, true],
      ["member elsewhere", viewer([[2, "OWNER"]]), false, false],
      ["nobody", viewer([]), false, false],
      ["admin", viewer([], true), true, true],
    ];
    for (const [who, v, seesOpen, seesConfidential] of table) {
      expect(visibleTo(open, v), `${who}: open`).toBe(seesOpen);
      expect(visibleTo(confidential, v), `${who}: confidential`).toBe(seesConfidential);
      expect(visibleTo(onSecret, v), `${who}: presence on a confidential issue`).toBe(seesConfidential);
    }
    expect(visibleTo(elsewhere, viewer([[1, "OWNER"]]))).toBe(false);
  });

  it("gives To-Dos only to their owner, and a resync to everyone", () => {
    expect(visibleTo({ type: "todos", userId: "u-me" }, viewer([]))).toBe(true);
    expect(visibleTo({ type: "todos", userId: "u-other" }, viewer([], true))).toBe(false);
    expect(visibleTo({ type: "resync" }, viewer([]))).toBe(true);
  });
});

describe("the browser's event", () => {
  it("carries ids, not whether or why an issue is confidential", () => {
    expect(toLiveEvent(parseLiveSignal(issue(true))!)).toEqual({ event: "issue", data: { projectId: 1, iid: 3 } });
    const p = toLiveEvent(parseLiveSignal(JSON.stringify(presence))!);
    expect(p.event).toBe("presence");
    expect(Object.keys(p.data).sort()).toEqual(["expiresAt", "iid", "name", "projectId", "state", "userId"]);
  });

  it("is one frame whatever the name holds", () => {
    const signal: LiveSignal = { ...(parseLiveSignal(JSON.stringify(presence)) as Extract<LiveSignal, { type: "presence" }>), name: "Eve\n\nevent: todos\ndata: {}" };
    const frame = frameEvent(toLiveEvent(signal), 7);
    expect(frame.endsWith("\n\n")).toBe(true);
    expect(frame.slice(0, -2)).not.toContain("\n\n");
    expect(frame.split("\n").filter((line) => line.startsWith("event:"))).toEqual(["event: presence"]);
    expect(frame.startsWith("id: 7\n")).toBe(true);
  });
});
