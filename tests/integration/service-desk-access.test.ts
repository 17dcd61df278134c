// Who may see and change a project's Service Desk, and who may download a file that came with customer mail:
// the internal address is never shown below Maintainer, and attachments are as private as their issue.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { getAttachment } from "@/lib/data/attachments";
import { getServiceDesk, setServiceDeskEnabled } from "@/lib/data/service-desk";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, outcome, type ActorName, type ProjectFixture, ALL_ACTORS, MAINTAINER_ONLY } from "./helpers";

const ACTORS = ALL_ACTORS;

let fixture: ProjectFixture;
let attachmentId: string;

beforeAll(async () => {
  fixture = await makeProjectWithMembers();
  await setServiceDeskEnabled(fixture.actors.owner, fixture.fullPath, true);
  const address = `incoming+${projectKey({ id: fixture.projectId, fullPath: fixture.fullPath })}@localhost`;
  const result = await deliver(
    eml({ to: address, attachment: { filename: "screenshot.png", contentType: "image/png", content: Buffer.from("not really a png") } }),
  );
  expect(result.status).toBe("created_issue");
  attachmentId = (await db().attachment.findFirstOrThrow({ where: { issue: { projectId: fixture.projectId } } })).id;
});

describe("Service Desk settings", () => {
  const canToggle = MAINTAINER_ONLY;
  it.each(ACTORS)("turning it on or off as %s", async (name) => {
    expect(await outcome(setServiceDeskEnabled(fixture.actors[name], fixture.fullPath, true))).toBe(canToggle[name]);
  });

  it.each(ACTORS)("the address is shown to %s only from Maintainer up", async (name) => {
    const result = await getServiceDesk(fixture.actors[name], fixture.fullPath).catch((e: { code: string }) => e.code);
    if (name === "anon") return expect(result).toBe("unauthorized");
    if (name === "nonMember") return expect(result).toBe("not_found");
    const view = result as Awaited<ReturnType<typeof getServiceDesk>>;
    expect(view.enabled).toBe(true);
    if (name === "maintainer" || name === "owner") expect(view.address).toMatch(/-issue-@localhost$/);
    else expect(view.address).toBeNull();
  });
});

describe("attachments of a confidential Service Desk issue", () => {
  const canDownload: Record<ActorName, string> = {
    anon: "unauthorized",
    nonMember: "not_found",
    guest: "not_found",
    reporter: "ok",
    developer: "ok",
    maintainer: "ok",
    owner: "ok",
  };
  it.each(ACTORS)("download as %s", async (name) => {
    expect(await outcome(getAttachment(fixture.actors[name], attachmentId))).toBe(canDownload[name]);
  });

  it("returns the stored bytes", async () => {
    const file = await getAttachment(fixture.actors.reporter, attachmentId);
    expect(file.filename).toBe("screenshot.png");
    expect(Buffer.from(file.data).toString()).toBe("not really a png");
  });

  it("is not found for an unknown id", async () => {
    expect(await outcome(getAttachment(fixture.actors.owner, "nope"))).toBe("not_found");
  });
});
