// The admin CLI as an operator runs it: a child process, against the embedded database (a temporary
// directory) in the PGlite project and against DATABASE_URL in the Postgres project.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";

const postgresUrl = process.env.DATABASE_URL || undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), "service-desk-cli-"));
const unique = Math.random().toString(36).slice(2, 8);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return cliOn(postgresUrl, ...args);
}

function cliOn(databaseUrl: string | undefined, ...args: string[]) {
  return runCli({ url: databaseUrl, pgliteDir: path.join(dataDir, "pglite") }, ...args);
}

describe(`admin CLI on ${postgresUrl ? "Postgres" : "the embedded database"}`, () => {
  const owner = `cli-owner-${unique}@example.com`;
  const project = `cli-${unique}/desk`;

  it("creates a user, a project owned by them and adds a member (role names case-insensitive)", async () => {
    const user = await cli("user:create", owner, "--name", "Cli Owner");
    expect(user.stderr).toBe("");
    expect(user).toMatchObject({ code: 0 });
    expect(user.stdout).toContain(`Created user ${owner}`);

    const created = await cli("project:create", project, "--owner", owner, "--service-desk");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created project ${project}`);

    const added = await cli("member:add", project, `helper-${unique}@example.com`, "MainTainer");
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("as Maintainer");
  }, 180_000);

  it("creates an API token and prints it as the last line", async () => {
    const created = await cli("token:create", owner, "--name", "ci", "--scope", "read_api");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^sdpat-[A-Za-z0-9_-]{32}$/);
    expect(created.stdout).toContain("read_api");

    const badScope = await cli("token:create", owner, "--scope", "root");
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain("api or read_api");
    const nobody = await cli("token:create", `nobody-${unique}@example.com`);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain("No user with email");
  }, 180_000);

  it("fails with a clear message and a non-zero exit code", async () => {
    const duplicate = await cli("user:create", owner);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("already");

    const noOwner = await cli("project:create", `cli-${unique}/other`, "--owner", `nobody-${unique}@example.com`);
    expect(noOwner.code).toBe(1);
    expect(noOwner.stderr).toContain("No user with email");

    const badPath = await cli("project:create", `Cli-${unique}/X`, "--owner", owner);
    expect(badPath.code).toBe(1);
    expect(badPath.stderr).toContain("must be lower-case");

    const badRole = await cli("member:add", project, `x-${unique}@example.com`, "boss");
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('Unknown role "boss"');

    const unknown = await cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  }, 180_000);

  it("refuses the embedded database while another live process holds it", async () => {
    // A live process that is not the CLI: this test worker's own pid stands in for a running dev server.
    writeFileSync(path.join(dataDir, "pglite.lock"), String(process.pid));
    try {
      const result = await cliOn(undefined, "user:create", `late-${unique}@example.com`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("is in use by another process");
      expect(result.stderr).toContain(`pid ${process.pid}`);
    } finally {
      rmSync(path.join(dataDir, "pglite.lock"), { force: true });
    }
  }, 180_000);
});
