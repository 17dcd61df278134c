// What GitLab's API clients call first, and how they authenticate (issue 24, first slice): GET /user and
// /version, GitLab's JSON 404 for paths no route serves, the private_token query parameter refused with the
// reason, Bearer tokens accepted, links built for a request that came in as /api/v4 keep /api/v4; project members
// (access levels, no emails) and labels (list, search, create, GitLab's 409 for a taken name).
import { beforeAll, describe, expect, it } from "vitest";
import { GET as unknownGet, POST as unknownPost, DELETE as unknownDelete } from "@/app/api/v1/[[...unknown]]/route";
import { GET as issuesGet } from "@/app/api/v1/projects/[id]/issues/route";
import { GET as labelsGet, POST as labelsPost } from "@/app/api/v1/projects/[id]/labels/route";
import { GET as membersAllGet } from "@/app/api/v1/projects/[id]/members/all/route";
import { GET as membersGet } from "@/app/api/v1/projects/[id]/members/route";
import { GET as userGet } from "@/app/api/v1/user/route";
import { GET as versionGet } from "@/app/api/v1/version/route";
import { clientUrl } from "@/lib/api/handler";
import { createIssue } from "@/lib/data/issues";
import { call, tokenFor } from "../support/api";
import { makeProjectWithMembers, makeUser, type ProjectFixture } from "./helpers";

let fx: ProjectFixture;
let token: string;

beforeAll(async () => {
  fx = await makeProjectWithMembers();
  token = await tokenFor(fx.actors.owner, ["read_api"]);
});

describe("GET /user", () => {
  it("is the token's user, GitLab-shaped", async () => {
    const answer = await call(userGet, {}, { token });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      id: fx.actors.owner.id,
      username: fx.actors.owner.username,
      name: "owner",
      state: "active",
      email: fx.actors.owner.email,
      is_admin: false,
      bot: false,
      avatar_url: null,
    });
    expect(answer.json.web_url).toMatch(/^https?:\/\//);
    expect(Date.parse(answer.json.created_at)).not.toBeNaN();
    const admin = await makeUser("admin", { isAdmin: true });
    expect((await call(userGet, {}, { token: await tokenFor(admin) })).json).toMatchObject({ id: admin.id, is_admin: true });
  });

  it("is 401 without a token, with a wrong one, or with the token in the query string (saying why)", async () => {
    expect(await call(userGet, {})).toMatchObject({ status: 401, json: { message: "401 Unauthorized" } });
    expect(await call(userGet, {}, { token: "sdpat-wrong" })).toMatchObject({ status: 401 });
    const query = await call(userGet, {}, { query: `private_token=${token}` });
    expect(query.status).toBe(401);
    expect(query.json.message).toMatch(/private_token query parameter is not accepted.*PRIVATE-TOKEN header.*Bearer/);
    // Even with a good header: a token in the URL is refused (it ends up in logs).
    expect((await call(userGet, {}, { token, query: `private_token=${token}` })).status).toBe(401);
  });

  it("takes the token as Authorization: Bearer, as clients send OAuth and personal tokens", async () => {
    const answer = await call(userGet, {}, { headers: { authorization: `Bearer ${token}` } });
    expect(answer).toMatchObject({ status: 200, json: { id: fx.actors.owner.id } });
  });
});

describe("GET /version", () => {
  it("says the GitLab API level followed and this app's version, to a signed-in client", async () => {
    const answer = await call(versionGet, {}, { token });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ version: "17.0.0", revision: expect.stringMatching(/^service-desk-\d+\.\d+\.\d+/), enterprise: false, service_desk: { version: answer.json.revision } });
    expect((await call(versionGet, {})).status).toBe(401);
  });
});

describe("paths no route serves", () => {
  it("answer GitLab's JSON 404 for every method", async () => {
    for (const route of [unknownGet, unknownPost, unknownDelete]) {
      const answer = await call(route, { unknown: ["projects", "1", "nothing-here"] }, { token, method: "POST" });
      expect(answer).toEqual({ status: 404, headers: answer.headers, json: { message: "404 Not Found" } });
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    }
  });
});

describe("a request that came in as /api/v4", () => {
  it("gets links under /api/v4, the marker gone; /api/v1 links stay /api/v1", async () => {
    expect(clientUrl(new Request("http://localhost/api/v1/projects/7/issues?page=2&__api=v4")).toString()).toBe("http://localhost/api/v4/projects/7/issues?page=2");
    expect(clientUrl(new Request("http://localhost/api/v1/projects/7/issues?page=2")).toString()).toBe("http://localhost/api/v1/projects/7/issues?page=2");
    expect(clientUrl(new Request("http://localhost/api/v1?__api=v4")).pathname).toBe("/api/v4");

    for (let i = 0; i < 3; i++) await createIssue(fx.actors.owner, fx.fullPath, { title: `Paged ${i}`, description: "" });
    const route = (query: string) =>
      issuesGet(new Request(`http://localhost/api/v1/projects/${fx.projectId}/issues?${query}`, { headers: { "private-token": token } }), {
        params: Promise.resolve({ id: String(fx.projectId) }),
      });
    const v4 = await route("per_page=1&__api=v4");
    expect(v4.status).toBe(200);
    expect(v4.headers.get("x-next-page")).toBe("2");
    const links = v4.headers.get("link")!;
    expect(links).toContain(`<http://localhost/api/v4/projects/${fx.projectId}/issues?per_page=1&page=2>; rel="next"`);
    expect(links).not.toContain("__api");
    expect((await route("per_page=1")).headers.get("link")).toContain(`/api/v1/projects/${fx.projectId}/issues?per_page=1&page=2>; rel="next"`);
  });
});

describe("GET /projects/:id/members and /members/all", () => {
  it("list every member with GitLab's access level and no email, to any member; paged", async () => {
    const id = { id: String(fx.projectId) };
    const guestToken = await tokenFor(fx.actors.guest, ["read_api"]);
    const answer = await call(membersGet, id, { token: guestToken });
    expect(answer.status).toBe(200);
    const levels = Object.fromEntries(answer.json.map((m: { username: string; access_level: number }) => [m.username, m.access_level]));
    expect(levels).toEqual({
      [fx.actors.owner.username]: 50,
      [fx.actors.maintainer.username]: 40,
      [fx.actors.developer!.username]: 30,
      [fx.actors.reporter!.username]: 20,
      [fx.actors.guest.username]: 10,
    });
    expect(JSON.stringify(answer.json)).not.toMatch(/@example\.test/);
    expect(answer.json[0]).toMatchObject({ id: expect.any(String), state: "active", expires_at: null });
    expect((await call(membersAllGet, id, { token: guestToken })).json).toEqual(answer.json);
    const page = await call(membersGet, id, { token: guestToken, query: "per_page=2&page=3" });
    expect(page.json).toHaveLength(1);
    expect(page.headers.get("x-total")).toBe("5");
    expect(page.headers.get("x-prev-page")).toBe("2");
    expect(page.headers.get("x-next-page")).toBe("");
    expect((await call(membersGet, id, { token: guestToken, query: "query=develop" })).json.map((m: { username: string }) => m.username)).toEqual([fx.actors.developer!.username]);
    expect((await call(membersGet, id, { token: await tokenFor(fx.actors.nonMember) })).status).toBe(404);
  });
});

describe("GET|POST /projects/:id/labels", () => {
  it("create a label (Reporter and up), list and search them; a taken name is 409, a bad one 400", async () => {
    const id = { id: String(fx.projectId) };
    const reporter = await tokenFor(fx.actors.reporter!);
    const created = await call(labelsPost, id, { token: reporter, method: "POST", body: { name: "Refund", color: "#FFEEAA", description: "Money back" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.any(Number), name: "Refund", color: "#ffeeaa", text_color: "#1F1E24", description: "Money back", is_project_label: true });
    const dark = await call(labelsPost, id, { token: reporter, method: "POST", body: { name: "Urgent", color: "#1F1E24" } });
    expect(dark.json).toMatchObject({ name: "Urgent", text_color: "#FFFFFF", description: null });
    expect(await call(labelsPost, id, { token: reporter, method: "POST", body: { name: "refund" } })).toMatchObject({ status: 409, json: { message: "Label already exists" } });
    const bad = await call(labelsPost, id, { token: reporter, method: "POST", body: { name: "" } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.message)).toEqual(["name"]);
    expect((await call(labelsPost, id, { token: await tokenFor(fx.actors.guest), method: "POST", body: { name: "Nope" } })).status).toBe(403);
    expect((await call(labelsPost, id, { token: await tokenFor(fx.actors.reporter!, ["read_api"]), method: "POST", body: { name: "Nope" } })).status).toBe(403);

    const guestToken = await tokenFor(fx.actors.guest, ["read_api"]);
    const list = await call(labelsGet, id, { token: guestToken });
    expect(list.json.map((l: { name: string }) => l.name)).toEqual(["Refund", "Urgent"]);
    expect((await call(labelsGet, id, { token: guestToken, query: "search=urg" })).json.map((l: { name: string }) => l.name)).toEqual(["Urgent"]);
  });
});

