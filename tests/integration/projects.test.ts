import { describe, expect, it } from "vitest";
import { createIssue, setIssueState } from "@/lib/data/issues";
import { addMember } from "@/lib/data/members";
import { createProject, getProject, listMyProjects } from "@/lib/data/projects";
import { appError, makeUser, membershipRole, sleep, uid, uniqueProjectPath } from "./helpers";

describe("createProject", () => {
  it("creates the project with its creator as Owner and the path as default name", async () => {
    const owner = await makeUser("creator");
    const input = uniqueProjectPath();
    const project = await createProject(owner, { ...input, description: "  Customer support  " });
    expect(project.fullPath).toBe(`${input.namespace}/${input.path}`);
    expect(project.name).toBe(input.path);
    expect(await membershipRole(project.id, owner.id)).toBe("OWNER");
    const view = await getProject(owner, project.fullPath);
    expect(view).toMatchObject({ role: "OWNER", description: "Customer support", name: input.path });
    expect(Object.values(view.permissions).every(Boolean)).toBe(true);
  });

  it("keeps a given name", async () => {
    const owner = await makeUser("creator");
    const project = await createProject(owner, { ...uniqueProjectPath(), name: "  Help Desk " });
    expect(project.name).toBe("Help Desk");
  });

  it("requires a signed-in user", async () => {
    expect((await appError(createProject(null, uniqueProjectPath()))).code).toBe("unauthorized");
  });

  it.each([
    [{ namespace: "acme", path: "Support" }, ["path"], /lower-case/],
    [{ namespace: "acme", path: "site.git" }, ["path"], /\.git/],
    [{ namespace: "acme", path: "-x" }, ["path"], /start with a letter or digit/],
    [{ namespace: "admin", path: "x" }, ["namespace"], /reserved/],
    [{ namespace: "", path: "" }, ["namespace", "path"], /required/],
    [{ namespace: "my group", path: "a b" }, ["namespace", "path"], /only lower-case letters/],
  ])("rejects %j with field errors %j", async (input, fields, message) => {
    const owner = await makeUser("creator");
    const error = await appError(createProject(owner, input));
    expect(error.code).toBe("bad_request");
    expect(Object.keys(error.fieldErrors ?? {}).sort()).toEqual(fields);
    for (const field of fields) expect(error.fieldErrors![field]).toMatch(message);
    // Nothing was created.
    expect((await listMyProjects(owner)).length).toBe(0);
  });

  it("rejects a name that is too long, under `name`", async () => {
    const owner = await makeUser("creator");
    const error = await appError(createProject(owner, { ...uniqueProjectPath(), name: "n".repeat(256) }));
    expect(error.code).toBe("bad_request");
    expect(error.fieldErrors).toEqual({ name: expect.stringMatching(/too long/) });
  });

  it("refuses a taken full path with a conflict on `path`, whoever asks", async () => {
    const first = await makeUser("first");
    const second = await makeUser("second");
    const input = uniqueProjectPath();
    await createProject(first, input);
    for (const actor of [first, second]) {
      const error = await appError(createProject(actor, { ...input, name: "Another" }));
      expect(error.code).toBe("conflict");
      expect(error.fieldErrors?.path).toContain(`${input.namespace}/${input.path}`);
    }
    expect((await listMyProjects(second)).length).toBe(0);
  });

  it("allows the same project path in another group", async () => {
    const owner = await makeUser("creator");
    const path = `shared-${uid()}`;
    const a = await createProject(owner, { namespace: `g-${uid()}`, path });
    const b = await createProject(owner, { namespace: `g-${uid()}`, path });
    expect(a.fullPath).not.toBe(b.fullPath);
  });
});

describe("getProject", () => {
  it("finds a project whatever the case of the address", async () => {
    const owner = await makeUser("creator");
    const project = await createProject(owner, uniqueProjectPath());
    expect((await getProject(owner, project.fullPath.toUpperCase())).id).toBe(project.id);
  });

  it("gives each role its permissions", async () => {
    const owner = await makeUser("creator");
    const project = await createProject(owner, uniqueProjectPath());
    const guest = await makeUser("guest");
    await addMember(owner, project.fullPath, guest.email, "GUEST");
    const view = await getProject(guest, project.fullPath);
    expect(view.role).toBe("GUEST");
    expect(view.permissions).toMatchObject({
      "project:read": true,
      "issue:read": true,
      "issue:read_confidential": false,
      "issue:create": false,
      "member:manage": false,
    });
  });

  it("gives a 404 for an unknown project", async () => {
    const user = await makeUser("someone");
    expect((await appError(getProject(user, `nobody-${uid()}/nothing`))).code).toBe("not_found");
  });
});

describe("listMyProjects", () => {
  it("lists the actor's projects with role and open issues, most recently active first", async () => {
    const alice = await makeUser("alice");
    const bob = await makeUser("bob");
    const older = await createProject(alice, uniqueProjectPath("old"));
    await sleep(15);
    const newer = await createProject(bob, uniqueProjectPath("new"));
    await addMember(bob, newer.fullPath, alice.email, "DEVELOPER");
    await createProject(bob, uniqueProjectPath("bobs")); // alice is not a member

    let mine = await listMyProjects(alice);
    expect(mine.map((p) => [p.fullPath, p.role, p.openIssues])).toEqual([
      [newer.fullPath, "DEVELOPER", 0],
      [older.fullPath, "OWNER", 0],
    ]);

    // Activity (a new issue) moves a project to the top; closed issues are not counted as open.
    await sleep(15);
    await createIssue(alice, older.fullPath, { title: "one" });
    const two = await createIssue(alice, older.fullPath, { title: "two" });
    await setIssueState(alice, older.fullPath, two.iid, "close");
    mine = await listMyProjects(alice);
    expect(mine.map((p) => [p.fullPath, p.openIssues])).toEqual([
      [older.fullPath, 1],
      [newer.fullPath, 0],
    ]);
  });

  it("is empty for a user without memberships", async () => {
    expect(await listMyProjects(await makeUser("loner"))).toEqual([]);
  });

  it("does not count confidential issues for a Guest", async () => {
    const owner = await makeUser("owner");
    const guest = await makeUser("guest");
    const project = await createProject(owner, uniqueProjectPath());
    await addMember(owner, project.fullPath, guest.email, "GUEST");
    await createIssue(owner, project.fullPath, { title: "public" });
    await createIssue(owner, project.fullPath, { title: "secret", confidential: true });
    expect((await listMyProjects(guest)).map((p) => p.openIssues)).toEqual([1]);
    expect((await listMyProjects(owner)).map((p) => p.openIssues)).toEqual([2]);
  });
});
