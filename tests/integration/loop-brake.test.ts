// The loop brake: past LOOP_BRAKE_MAILS_PER_HOUR Service Desk mails to one address on one issue within an hour,
// further mail is held (not sent), the team gets one internal note, and a Maintainer can release it.
import { describe, expect, it } from "vitest";
import { addNote } from "@/lib/data/notes";
import { listOutboundMail, requeueOutboundMail } from "@/lib/data/mail-log";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { projectKey } from "@/lib/service-desk/address";
import { deliver, eml } from "../support/mail";
import { makeProjectWithMembers, outcome } from "./helpers";

describe("loop brake", () => {
  it("holds the sixth mail of the hour to one address on one issue, notes it once, and lets a Maintainer release it", async () => {
    const { fullPath, projectId, actors } = await makeProjectWithMembers();
    await setServiceDeskEnabled(actors.owner, fullPath, true);
    const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
    await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Loop?" })); // thank-you: mail 1
    for (let i = 2; i <= 5; i++) await addNote(actors.reporter, fullPath, 1, { body: `answer ${i}` });
    const mails = () => db().outboundEmail.findMany({ where: { issue: { projectId } }, orderBy: { createdAt: "asc" } });
    expect((await mails()).map((m) => m.status)).toEqual(["dev", "dev", "dev", "dev", "dev"]);

    await addNote(actors.reporter, fullPath, 1, { body: "answer 6" });
    await addNote(actors.reporter, fullPath, 1, { body: "answer 7" });
    expect((await mails()).map((m) => m.status)).toEqual(["dev", "dev", "dev", "dev", "dev", "held", "held"]);
    const notes = await db().note.findMany({ where: { issue: { projectId }, system: true, body: { startsWith: "held mail" } } });
    expect(notes).toHaveLength(1);
    expect(notes[0].internal).toBe(true);

    const held = (await listOutboundMail(actors.maintainer, { projectPath: fullPath }, { status: "held" })).mails;
    expect(held).toHaveLength(2);
    expect(held.every((m) => m.releasable)).toBe(true);
    expect(await outcome(requeueOutboundMail(actors.developer, held[0].id, "held"))).toBe("not_found");
    await requeueOutboundMail(actors.maintainer, held[0].id, "held");
    expect((await db().outboundEmail.findUniqueOrThrow({ where: { id: held[0].id } })).status).toBe("dev");
    expect(await outcome(requeueOutboundMail(actors.maintainer, held[0].id, "held"))).toBe("conflict");
  });

  it("counts per address: another participant still gets mail", async () => {
    const { fullPath, projectId, actors } = await makeProjectWithMembers();
    await setServiceDeskEnabled(actors.owner, fullPath, true);
    const project = await db().project.findUniqueOrThrow({ where: { id: projectId } });
    await deliver(eml({ to: `incoming+${projectKey(project)}@localhost`, subject: "Loop?" }));
    for (let i = 2; i <= 6; i++) await addNote(actors.reporter, fullPath, 1, { body: `answer ${i}` });
    const issue = await db().issue.findFirstOrThrow({ where: { projectId } });
    await db().issueEmailParticipant.create({ data: { issueId: issue.id, email: "colleague@customer.example" } });
    await addNote(actors.reporter, fullPath, 1, { body: "to both" });
    const last = await db().outboundEmail.findMany({ where: { issueId: issue.id, kind: "new_note" }, orderBy: { createdAt: "desc" }, take: 2 });
    expect(Object.fromEntries(last.map((m) => [m.to, m.status]))).toEqual({ "jake@customer.example": "held", "colleague@customer.example": "dev" });
  });
});
