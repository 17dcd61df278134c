// REST API foundation: personal access tokens (hash only, once-shown secret, expiry, revocation, scopes), the
// request pipeline every route shares (401/403/404/413/429 shapes), and the first endpoints: projects, notes,
// admin inbound mail. Routes are called as Next calls them: a Request plus a params promise.
import { describe, expect, it } from "vitest";
import { POST as inboundReplay } from "@/app/api/v1/admin/inbound_emails/[id]/replay/route";
import { GET as inboundList } from "@/app/api/v1/admin/inbound_emails/route";
import { GET as notesGet, POST as notesPost } from "@/app/api/v1/projects/[id]/issues/[iid]/notes/route";
import { GET as projectGet } from "@/app/api/v1/projects/[id]/route";
import { GET as projectsGet } from "@/app/api/v1/projects/route";
import { REQUESTS_PER_MINUTE } from "@/lib/api/handler";
import { authenticateAccessToken, createAccessToken, listAccessTokens, revokeAccessToken } from "@/lib/data/access-tokens";
import { createIssue } from "@/lib/data/issues";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { call, tokenFor } from "../support/api";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, makeUser, outcome } from "./helpers";

describe("personal access tokens", () => {
  it("are shown once, stored as a hash, and resolve to their user until revoked", async () => {
    const user = await makeUser("tok");
    const created = await createAccessToken(user, { name: "CI", scopes: ["read_api"] });
    expect(created.token).toMatch(/^sdpat-[A-Za-z0-9_-]{32}$/);
    const row = await db().personalAccessToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect((await authenticateAccessToken(created.token))?.actor.id).toBe(user.id);
    expect((await listAccessTokens(user)).map((t) => t.name)).toEqual(["CI"]);

    await revokeAccessToken(user, created.id);
    expect(await authenticateAccessToken(created.token)).toBeNull();
    expect(await outcome(revokeAccessToken(await makeUser("other"), created.id))).toBe("not_found");
  });

  it("expire, and validate their input", async () => {
    const user = await makeUser("tok");
    expect(await outcome(createAccessToken(user, { name: "", scopes: [] }))).toBe("bad_request");
    expect(await outcome(createAccessToken(user, { name: "old", scopes: ["api"], expiresAt: "2001-01-01" }))).toBe("bad_request");
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const created = await createAccessToken(user, { name: "short", scopes: ["api"], expiresAt: tomorrow });
    expect(await authenticateAccessToken(created.token)).not.toBeNull();
    expect(await authenticateAccessToken(created.token, new Date(Date.now() + 3 * 86_400_000))).toBeNull();
    expect(await authenticateAccessToken("sdpat-not-a-token")).toBeNull();
  });
});

describe("request pipeline", () => {
  it("answers 401 JSON without, or with a bad, token; accepts PRIVATE-TOKEN and Bearer", async () => {
    expect(await call(projectsGet, {})).toMatchObject({ status: 401, json: { message: "401 Unauthorized" } });
    expect(await call(projectsGet, {}, { token: "sdpat-wrong" })).toMatchObject({ status: 401 });
    const token = await tokenFor(await makeUser());
    expect((await call(projectsGet, {}, { token })).status).toBe(200);
    expect((await call(projectsGet, {}, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("read_api tokens cannot write; bodies over 1 MB get 413; bad JSON 400", async () => {
    const { fullPath, actors } = await makeProjectWithMembers();
    await createIssue(actors.reporter, fullPath, { title: "One" });
    const id = encodeURIComponent(fullPath);
    const readOnly = await tokenFor(actors.reporter, ["read_api"]);
    expect((await call(notesGet, { id, iid: "1" }, { token: readOnly })).status).toBe(200);
    expect(await call(notesPost, { id, iid: "1" }, { token: readOnly, method: "POST", body: { body: "hi" } })).toMatchObject({ status: 403, json: { error: "insufficient_scope" } });

    const token = await tokenFor(actors.reporter);
    const big = { body: "x".repeat(1024 * 1024 + 10) };
    expect((await call(notesPost, { id, iid: "1" }, { token, method: "POST", body: big })).status).toBe(413);
    expect((await call(notesPost, { id, iid: "1" }, { token, method: "POST", body: "{not json" })).status).toBe(400);
    expect(await call(notesPost, { id, iid: "1" }, { token, method: "POST", body: { body: "" } })).toMatchObject({ status: 400, json: { message: { body: [expect.any(String)] } } });
  });

  it("limits each token to REQUESTS_PER_MINUTE, with Retry-After", async () => {
    const user = await makeUser();
    const token = await createAccessToken(user, { name: "busy", scopes: ["api"] });
    // Fill this minute's window (and the next, should the minute turn mid-test) as other processes would have.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    await db().rateLimitCounter.createMany({
      data: [minute, minute + 60_000].map((start) => ({ key: `api:token:${token.id}`, windowStart: new Date(start), count: REQUESTS_PER_MINUTE })),
    });
    const limited = await call(projectsGet, {}, { token: token.token });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("projects", () => {
  it("lists the user's projects and opens one by id or path; others get 404", async () => {
    const { fullPath, projectId, actors } = await makeProjectWithMembers();
    await setServiceDeskEnabled(actors.owner, fullPath, true);
    const token = await tokenFor(actors.guest);
    const list = await call(projectsGet, {}, { token });
    expect(list.json).toEqual([expect.objectContaining({ id: projectId, path_with_namespace: fullPath, service_desk_enabled: true })]);
    for (const id of [String(projectId), encodeURIComponent(fullPath)])
      expect((await call(projectGet, { id }, { token })).json).toMatchObject({ id: projectId, path_with_namespace: fullPath, name: expect.any(String) });
    const outsider = await tokenFor(actors.nonMember);
    expect(await call(projectGet, { id: String(projectId) }, { token: outsider })).toMatchObject({ status: 404, json: { message: "404 Project Not Found" } });
    expect((await call(projectGet, { id: "999999999" }, { token: outsider })).status).toBe(404);
  });
});

describe("notes", () => {
  it("a note posted through the API is emailed to the customer exactly like one from the web", async () => {
    const { fullPath, projectId, actors } = await makeProjectWithMembers();
    await setServiceDeskEnabled(actors.owner, fullPath, true);
    const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
    await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Broken" }));
    const token = await tokenFor(actors.developer);
    const posted = await call(notesPost, { id: String(projectId), iid: "1" }, { token, method: "POST", body: { body: "Fixed in **1.2**" } });
    expect(posted).toMatchObject({ status: 201, json: { body: "Fixed in **1.2**", internal: false, system: false, author: { username: actors.developer!.username }, external_author: null } });
    const mails = await db().outboundEmail.findMany({ where: { kind: "new_note", issue: { projectId } } });
    expect(mails).toEqual([expect.objectContaining({ to: "jake@customer.example", subject: "Re: Broken (#1)" })]);

    const internal = await call(notesPost, { id: String(projectId), iid: "1" }, { token, method: "POST", body: { body: "psst", internal: true } });
    expect(internal.json).toMatchObject({ internal: true });
    expect(await db().outboundEmail.count({ where: { kind: "new_note", issue: { projectId } } })).toBe(1);

    const notes = await call(notesGet, { id: String(projectId), iid: "1" }, { token });
    expect(notes.json.map((n: { body: string }) => n.body)).toEqual(expect.arrayContaining(["Fixed in **1.2**", "psst"]));
  });

  it("never shows a confidential issue's notes below Reporter, nor internal notes", async () => {
    const { fullPath, actors } = await makeProjectWithMembers();
    await createIssue(actors.reporter, fullPath, { title: "Secret", confidential: true });
    await createIssue(actors.reporter, fullPath, { title: "Public" });
    const reporterToken = await tokenFor(actors.reporter);
    await call(notesPost, { id: encodeURIComponent(fullPath), iid: "2" }, { token: reporterToken, method: "POST", body: { body: "internal only", internal: true } });
    const guest = await tokenFor(actors.guest);
    expect((await call(notesGet, { id: encodeURIComponent(fullPath), iid: "1" }, { token: guest })).status).toBe(404);
    expect((await call(notesGet, { id: encodeURIComponent(fullPath), iid: "2" }, { token: guest })).json).toEqual([]);
    expect((await call(notesPost, { id: encodeURIComponent(fullPath), iid: "2" }, { token: guest, method: "POST", body: { body: "hi" } })).status).toBe(403);
  });
});

describe("admin inbound mail", () => {
  it("is for instance admins only", async () => {
    const admin = await makeUser("admin", { isAdmin: true });
    expect((await call(inboundList, {}, { token: await tokenFor(admin) })).status).toBe(200);
    expect((await call(inboundList, {}, { token: await tokenFor(await makeUser()) })).status).toBe(404);
  });

  it("lists by status and replays a mail once its cause is fixed", async () => {
    const { fullPath, projectId, actors } = await makeProjectWithMembers();
    const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
    const early = await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Before Service Desk was on" }));
    expect(early.status).toBe("rejected");
    const token = await tokenFor(await makeUser("admin", { isAdmin: true }));
    const rejected = await call(inboundList, {}, { token, query: "status=rejected" });
    expect(rejected.json).toEqual(expect.arrayContaining([expect.objectContaining({ id: early.inboundEmailId, status: "rejected", subject: "Before Service Desk was on" })]));

    await setServiceDeskEnabled(actors.owner, fullPath, true);
    const replay = await call(inboundReplay, { id: early.inboundEmailId }, { token, method: "POST" });
    expect(replay).toMatchObject({ status: 200, json: { id: early.inboundEmailId, status: "created_issue", issue_iid: 1 } });
    expect((await call(inboundReplay, { id: early.inboundEmailId }, { token, method: "POST" })).status).toBe(409);
    expect((await call(inboundReplay, { id: early.inboundEmailId }, { token: await tokenFor(actors.owner), method: "POST" })).status).toBe(404);
  });
});
