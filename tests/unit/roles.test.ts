import { describe, expect, it } from "vitest";
import { atLeast, can, canAssignRole, parseRole, POLICY, ROLES, type ProjectAction, type Role } from "@/lib/auth/roles";

// Who may do what, written out by hand (not derived from POLICY) so a changed rule shows up here.
const EXPECTED: Record<ProjectAction, Role[]> = {
  "project:read": ["GUEST", "REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:read": ["GUEST", "REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "member:read": ["GUEST", "REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:read_confidential": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:create": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:comment": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:internal_note": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:update_state": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:triage": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:participants": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue:link_change": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "customer:address": ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"],
  "issue_template:manage": ["DEVELOPER", "MAINTAINER", "OWNER"],
  "member:manage": ["MAINTAINER", "OWNER"],
  "member:email": ["MAINTAINER", "OWNER"],
  "project:settings": ["MAINTAINER", "OWNER"],
  "service_desk:address": ["MAINTAINER", "OWNER"],
  "code_host:manage": ["MAINTAINER", "OWNER"],
};

describe("can", () => {
  it("covers every action of POLICY", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(POLICY).sort());
  });

  const cases = (Object.keys(EXPECTED) as ProjectAction[]).flatMap((action) =>
    ROLES.map((role) => ({ action, role, allowed: EXPECTED[action].includes(role) })),
  );
  it.each(cases)("$role $action → $allowed", ({ action, role, allowed }) => {
    expect(can(role, action)).toBe(allowed);
  });

  it.each(Object.keys(EXPECTED) as ProjectAction[])("no role (non-member) may %s", (action) => {
    expect(can(null, action)).toBe(false);
    expect(can(undefined, action)).toBe(false);
  });
});

describe("atLeast", () => {
  it("orders the roles Guest < Reporter < Developer < Maintainer < Owner", () => {
    for (const [i, role] of ROLES.entries()) {
      for (const [j, minimum] of ROLES.entries()) expect(atLeast(role, minimum), `${role} ≥ ${minimum}`).toBe(i >= j);
    }
    expect(atLeast(null, "GUEST")).toBe(false);
  });
});

describe("canAssignRole", () => {
  it("lets an Owner grant, change and remove any role, Owner included", () => {
    expect(canAssignRole("OWNER", null, "OWNER")).toBe(true);
    expect(canAssignRole("OWNER", "OWNER", "GUEST")).toBe(true);
    expect(canAssignRole("OWNER", "OWNER", null)).toBe(true);
    expect(canAssignRole("OWNER", "GUEST", "MAINTAINER")).toBe(true);
  });

  it("lets a Maintainer manage roles up to Maintainer only", () => {
    expect(canAssignRole("MAINTAINER", null, "MAINTAINER")).toBe(true);
    expect(canAssignRole("MAINTAINER", "GUEST", "DEVELOPER")).toBe(true);
    expect(canAssignRole("MAINTAINER", "MAINTAINER", null)).toBe(true);
    expect(canAssignRole("MAINTAINER", null, "OWNER")).toBe(false);
    expect(canAssignRole("MAINTAINER", "DEVELOPER", "OWNER")).toBe(false);
    expect(canAssignRole("MAINTAINER", "OWNER", "GUEST")).toBe(false);
    expect(canAssignRole("MAINTAINER", "OWNER", null)).toBe(false);
  });

  it.each(["GUEST", "REPORTER", "DEVELOPER", null] as const)("gives %s no say over members", (actorRole) => {
    expect(canAssignRole(actorRole, null, "GUEST")).toBe(false);
    expect(canAssignRole(actorRole, "GUEST", "REPORTER")).toBe(false);
    expect(canAssignRole(actorRole, "GUEST", null)).toBe(false);
  });
});

describe("parseRole", () => {
  it.each([
    ["maintainer", "MAINTAINER"],
    ["Maintainer", "MAINTAINER"],
    ["OWNER", "OWNER"],
    ["  guest ", "GUEST"],
    ["rePorter", "REPORTER"],
    ["developer", "DEVELOPER"],
  ])("%j → %s", (input, role) => {
    expect(parseRole(input)).toBe(role);
  });

  it.each(["", "admin", "owners", "maint", "guest reporter", "40"])("rejects %j", (input) => {
    expect(parseRole(input)).toBeUndefined();
  });
});
