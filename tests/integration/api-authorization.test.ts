// Authorization through the REST API, actor by actor: anonymous, a revoked token, a read_api token, Guest …
// Owner, another project's Maintainer and an instance admin. Whatever the response, a confidential Service
// Desk issue, its notes, the customer's address and the Service Desk address never reach those who may not
// see them.
import { beforeAll, describe, expect, it } from "vitest";
import { GET as inboundList } from "@/app/api/v1/admin/inbound_emails/route";
import { GET as notesGet, POST as notesPost } from "@/app/api/v1/projects/[id]/issues/[iid]/notes/route";
import { GET as issueGet, PUT as issuePut } from "@/app/api/v1/projects/[id]/issues/[iid]/route";
import { GET as issuesGet } from "@/app/api/v1/projects/[id]/issues/route";
import { GET as projectGet } from "@/app/api/v1/projects/[id]/route";
import { GET as serviceDeskGet } from "@/app/api/v1/projects/[id]/service_desk/route";
import { createAccessToken, revokeAccessToken } from "@/lib/data/access-tokens";
import { addNote } from "@/lib/data/notes";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { call, tokenFor } from "../support/api";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, makeUser, type ProjectFixture } from "./helpers";

type Who = "anon" | "revoked" | "readApiGuest" | "guest" | "reporter" | "developer" | "maintainer" | "owner" | "otherMaintainer" | "admin";
const CUSTOMER = "jake@customer.example";
const SECRET_NOTE = "internal: customer is on the legacy plan";

let fixture: ProjectFixture;
let id: string;
let address: string;
const tokens = {} as Record<Who, string | undefined>;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
  const { actors, fullPath, projectId } = fixture;
  id = String(projectId);
  await setServiceDeskEnabled(actors.owner, fullPath, true);
  const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
  address = `incoming+${projectKey(project)}@localhost`;
  await deliver(eml({ to: address, subject: "Confidential request" })); // issue #1
  await addNote(actors.reporter, fullPath, 1, { body: SECRET_NOTE, internal: true });

  const other = await makeProjectWithMembers();
  const revoked = await createAccessToken(actors.owner, { name: "old", scopes: ["api"] });
  await revokeAccessToken(actors.owner, revoked.id);
  Object.assign(tokens, {
    anon: undefined,
    revoked: revoked.token,
    readApiGuest: await tokenFor(actors.guest, ["read_api"]),
    guest: await tokenFor(actors.guest),
    reporter: await tokenFor(actors.reporter),
    developer: await tokenFor(actors.developer),
    maintainer: await tokenFor(actors.maintainer),
    owner: await tokenFor(actors.owner),
    otherMaintainer: await tokenFor(other.actors.maintainer),
    admin: await tokenFor(await makeUser("admin", { isAdmin: true })),
  });
});

// Expected status per endpoint and actor (GitLab's rules: 401 without a valid token, 404 for what one may not
// know exists, 403 for a known thing one may not change).
const EXPECTED: Record<string, Record<Who, number>> = {
  project: { anon: 401, revoked: 401, readApiGuest: 200, guest: 200, reporter: 200, developer: 200, maintainer: 200, owner: 200, otherMaintainer: 404, admin: 200 },
  issue: { anon: 401, revoked: 401, readApiGuest: 404, guest: 404, reporter: 200, developer: 200, maintainer: 200, owner: 200, otherMaintainer: 404, admin: 200 },
  notes: { anon: 401, revoked: 401, readApiGuest: 404, guest: 404, reporter: 200, developer: 200, maintainer: 200, owner: 200, otherMaintainer: 404, admin: 200 },
  postNote: { anon: 401, revoked: 401, readApiGuest: 403, guest: 403, reporter: 201, developer: 201, maintainer: 201, owner: 201, otherMaintainer: 404, admin: 201 },
  // PUT looks the issue up first (404 for a hidden one); POST notes checks the role first (403 whatever the
  // iid) — neither tells a Guest that the confidential issue exists.
  close: { anon: 401, revoked: 401, readApiGuest: 403, guest: 404, reporter: 200, developer: 200, maintainer: 200, owner: 200, otherMaintainer: 404, admin: 200 },
  serviceDesk: { anon: 401, revoked: 401, readApiGuest: 404, guest: 404, reporter: 404, developer: 404, maintainer: 200, owner: 200, otherMaintainer: 404, admin: 200 },
  inbound: { anon: 401, revoked: 401, readApiGuest: 404, guest: 404, reporter: 404, developer: 404, maintainer: 404, owner: 404, otherMaintainer: 404, admin: 200 },
};

const WHO = Object.keys(EXPECTED.project) as Who[];

describe.each(WHO)("%s", (who) => {
  it("gets exactly what their role allows, and nothing confidential leaks", async () => {
    const token = tokens[who];
    const answers = {
      project: await call(projectGet, { id }, { token }),
      issue: await call(issueGet, { id, iid: "1" }, { token }),
      notes: await call(notesGet, { id, iid: "1" }, { token }),
      list: await call(issuesGet, { id }, { token }),
      serviceDesk: await call(serviceDeskGet, { id }, { token }),
      inbound: await call(inboundList, {}, { token }),
      postNote: await call(notesPost, { id, iid: "1" }, { token, method: "POST", body: { body: `hello from ${who}`, internal: true } }),
      close: await call(issuePut, { id, iid: "1" }, { token, method: "PUT", body: { state_event: "reopen" } }),
    };
    for (const [name, expected] of Object.entries(EXPECTED)) expect(answers[name as keyof typeof answers].status, name).toBe(expected[who]);

    const seesConfidential = EXPECTED.issue[who] === 200;
    const everything = JSON.stringify(Object.values(answers).map((a) => a.json));
    if (!seesConfidential) {
      expect(everything).not.toContain(CUSTOMER);
      expect(everything).not.toContain("Confidential request");
      expect(everything).not.toContain(SECRET_NOTE);
    } else {
      expect(JSON.stringify(answers.notes.json)).toContain(SECRET_NOTE);
    }
    if (EXPECTED.serviceDesk[who] !== 200) expect(everything).not.toContain(address);
  });
});
