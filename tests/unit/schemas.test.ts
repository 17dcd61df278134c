import { describe, expect, it } from "vitest";
import {
  addNoteSchema,
  createIssueSchema,
  createProjectSchema,
  emailSchema,
  pathSegmentError,
  RESERVED_NAMESPACES,
  roleSchema,
  splitFullPath,
} from "@/lib/schemas";

describe("pathSegmentError", () => {
  it.each(["a", "0", "support", "my-project", "my_project", "my.project", "a1b2", "x_", "v1.2.3", "a-b_c.d"])(
    "accepts %j",
    (segment) => {
      expect(pathSegmentError(segment, "Project")).toBeUndefined();
      expect(pathSegmentError(segment, "Group")).toBeUndefined();
    },
  );

  it.each([
    ["", /required/],
    ["x".repeat(256), /too long/],
    ["MyProject", /lower-case/],
    ["mY", /lower-case/],
    ["my project", /only lower-case letters/],
    ["my/project", /only lower-case letters/],
    ["émile", /only lower-case letters/],
    ["-lead", /start with a letter or digit/],
    [".hidden", /start with a letter or digit/],
    ["_under", /start with a letter or digit/],
    ["trail-", /not end with '-' or '.'/],
    ["trail.", /not end with '-' or '.'/],
    ["a--b", /consecutive special/],
    ["a._b", /consecutive special/],
    ["repo.git", /'\.git' or '\.atom'/],
    ["feed.atom", /'\.git' or '\.atom'/],
  ])("rejects %j", (segment, message) => {
    expect(pathSegmentError(segment, "Project")).toMatch(message);
  });

  it("allows 255 characters", () => {
    expect(pathSegmentError("x".repeat(255), "Project")).toBeUndefined();
  });

  it("names what is wrong (Group vs Project)", () => {
    expect(pathSegmentError("", "Group")).toBe("Group path is required.");
    expect(pathSegmentError("", "Project")).toBe("Project path is required.");
  });

  it.each(["admin", "api", "_next", "-", "dashboard", "projects", "users", "help", "sign-in"])(
    "reserves %j as a group but not as a project",
    (name) => {
      expect(RESERVED_NAMESPACES.has(name)).toBe(true);
      // `_next` and `-` fail the general rules already; the others are reserved only as groups.
      if (!pathSegmentError(name, "Project")) expect(pathSegmentError(name, "Group")).toMatch(/reserved/);
      else expect(pathSegmentError(name, "Group")).toBeDefined();
    },
  );

  it("does not reserve names that merely contain a reserved word", () => {
    expect(pathSegmentError("admins", "Group")).toBeUndefined();
    expect(pathSegmentError("my-api", "Group")).toBeUndefined();
  });
});

describe("createProjectSchema", () => {
  it("trims, defaults name/description and keeps valid paths", () => {
    const parsed = createProjectSchema.parse({ namespace: " acme ", path: "support " });
    expect(parsed).toEqual({ namespace: "acme", path: "support", name: "", description: "" });
  });

  it("reports each bad field under its own key", () => {
    const result = createProjectSchema.safeParse({ namespace: "admin", path: "Site.git", name: "n".repeat(256) });
    expect(result.success).toBe(false);
    const fields = new Set(result.error!.issues.map((i) => i.path.join(".")));
    expect(fields).toEqual(new Set(["namespace", "path", "name"]));
  });
});

describe("splitFullPath", () => {
  it("splits group/project and rejects other shapes", () => {
    expect(splitFullPath("acme/support")).toEqual({ namespace: "acme", path: "support" });
    expect(splitFullPath(" acme/support ")).toEqual({ namespace: "acme", path: "support" });
    expect(splitFullPath("acme")).toBeUndefined();
    expect(splitFullPath("a/b/c")).toBeUndefined();
  });
});

describe("other inputs", () => {
  it("normalises email addresses and rejects non-addresses", () => {
    expect(emailSchema.parse("  Alice@Example.COM ")).toBe("alice@example.com");
    expect(emailSchema.safeParse("not-an-email").success).toBe(false);
  });

  it("accepts only the five roles, upper-case", () => {
    expect(roleSchema.parse("MAINTAINER")).toBe("MAINTAINER");
    expect(roleSchema.safeParse("maintainer").success).toBe(false);
    expect(roleSchema.safeParse("ADMIN").success).toBe(false);
  });

  it("requires an issue title and a note body", () => {
    expect(createIssueSchema.safeParse({ projectPath: "a/b", title: "   " }).success).toBe(false);
    expect(createIssueSchema.parse({ projectPath: "a/b", title: " Hi " })).toMatchObject({ title: "Hi", confidential: false });
    expect(addNoteSchema.safeParse({ projectPath: "a/b", iid: 1, body: " " }).success).toBe(false);
    expect(addNoteSchema.safeParse({ projectPath: "a/b", iid: 0, body: "x" }).success).toBe(false);
  });
});
