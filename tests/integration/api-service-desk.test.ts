// REST: GET|PUT /projects/:id/service_desk — Maintainer and up only (404 below, the address never leaks),
// GitLab field names, any subset on PUT, 400 with field messages for invalid values.
import { describe, expect, it } from "vitest";
import { GET, PUT } from "@/app/api/v1/projects/[id]/service_desk/route";
import { db } from "@/lib/db/client";
import { call, tokenFor } from "../support/api";
import { makeProjectWithMembers } from "./helpers";

describe("service_desk endpoint", () => {
  it("shows every field to Maintainers and 404 to everyone below", async () => {
    const { projectId, actors } = await makeProjectWithMembers();
    const got = await call(GET, { id: String(projectId) }, { token: await tokenFor(actors.maintainer) });
    expect(got.status).toBe(200);
    expect(Object.keys(got.json).sort()).toEqual(
      [
        "add_external_participants_from_cc",
        "alias_address",
        "email_on_close",
        "enabled",
        "issue_template_key",
        "outgoing_name",
        "project_key",
        "reopen_issue_on_external_participant_note",
        "send_thank_you_email",
        "service_desk_address",
        "tickets_confidential_by_default",
      ].sort(),
    );
    expect(got.json).toMatchObject({ enabled: false, tickets_confidential_by_default: true, send_thank_you_email: true, service_desk_address: expect.stringContaining("@") });
    for (const who of ["developer", "reporter", "guest", "nonMember"] as const) {
      const denied = await call(GET, { id: String(projectId) }, { token: await tokenFor(actors[who]) });
      expect(denied.status, who).toBe(404);
      expect(JSON.stringify(denied.json)).not.toContain("@");
    }
  });

  it("PUT changes the given subset, validates, and needs the api scope", async () => {
    const { projectId, actors } = await makeProjectWithMembers();
    const token = await tokenFor(actors.maintainer);
    const put = await call(PUT, { id: String(projectId) }, { token, method: "PUT", body: { enabled: true, outgoing_name: "Acme Support", email_on_close: "true" } });
    expect(put).toMatchObject({ status: 200, json: { enabled: true, outgoing_name: "Acme Support", email_on_close: true, send_thank_you_email: true } });
    expect(await db().serviceDeskSetting.findUniqueOrThrow({ where: { projectId } })).toMatchObject({ enabled: true, outgoingName: "Acme Support", emailOnClose: true });

    const bad = await call(PUT, { id: String(projectId) }, { token, method: "PUT", body: { project_key: "Not Valid!" } });
    expect(bad).toMatchObject({ status: 400, json: { message: { project_key: [expect.any(String)] } } });

    const readOnly = await tokenFor(actors.maintainer, ["read_api"]);
    expect((await call(PUT, { id: String(projectId) }, { token: readOnly, method: "PUT", body: { enabled: false } })).status).toBe(403);
    expect((await call(PUT, { id: String(projectId) }, { token: await tokenFor(actors.developer), method: "PUT", body: { enabled: false } })).status).toBe(404);
  });
});
