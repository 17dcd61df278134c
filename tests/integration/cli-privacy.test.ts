// customer:export and customer:erase as an operator runs them: a child process against the embedded database
// (a temporary directory) in the PGlite project and against DATABASE_URL in the Postgres project. The rows are
// written with plain SQL on the same database between runs (the CLI holds the embedded one only while it runs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectEmbedded, connectPostgres, type RawConnection } from "@/lib/db/connect";
import { runCli } from "../support/cli";

const postgresUrl = process.env.DATABASE_URL || undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), "service-desk-cli-privacy-"));
const pgliteDir = path.join(dataDir, "pglite");
const unique = Math.random().toString(36).slice(2, 8);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli({ url: postgresUrl, pgliteDir }, ...args);

/** Runs `work` on the CLI's database, then lets go of it so the next CLI run can open it. */
async function onCliDatabase<T>(work: (conn: RawConnection) => Promise<T>): Promise<T> {
  const conn = postgresUrl ? await connectPostgres(postgresUrl) : await connectEmbedded(pgliteDir);
  try {
    return await work(conn);
  } finally {
    await conn.close();
    if (!postgresUrl) rmSync(`${pgliteDir}.lock`, { force: true });
  }
}

describe(`customer:export and customer:erase on ${postgresUrl ? "Postgres" : "the embedded database"}`, () => {
  const address = `cli-cust-${unique}@customer.example`;

  it("exports, erases, and says so when there is nothing (left) to erase", async () => {
    // The first run also migrates the empty embedded database.
    const empty = await cli("customer:export", address);
    expect(empty.stderr).toBe("");
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ email: address, issues: [], mails_received_from_them: [] });
    const nothing = await cli("customer:erase", address);
    expect(nothing).toMatchObject({ code: 0 });
    expect(nothing.stdout).toContain("no data is held");

    await onCliDatabase(async (conn) => {
      const [project] = (
        await conn.query<{ id: number }>(
          `INSERT INTO projects (namespace, path, full_path, name, updated_at) VALUES ($1, 'desk', $2, 'Desk', now()) RETURNING id`,
          [`cli-${unique}`, `cli-${unique}/desk`],
        )
      ).rows;
      const [issue] = (
        await conn.query<{ id: number }>(
          `INSERT INTO issues (project_id, iid, title, author_id, external_author, confidential, updated_at)
           VALUES ($1, 1, 'Printer', 'support-bot', $2, true, now()) RETURNING id`,
          [project.id, address],
        )
      ).rows;
      await conn.query(`INSERT INTO notes (issue_id, external_author, body, updated_at) VALUES ($1, $2, 'still broken', now())`, [issue.id, address]);
      await conn.query(`INSERT INTO issue_email_participants (issue_id, email) VALUES ($1, $2)`, [issue.id, address]);
      await conn.query(
        `INSERT INTO inbound_emails (id, payload, payload_content_type, size, status, from_address, subject, project_id, issue_id)
         VALUES ($1, convert_to($2, 'UTF8'), 'message/rfc822', 10, 'created_issue', $3, 'Printer', $4, $5)`,
        [`in-${unique}`, `From: ${address}\r\nSubject: Printer\r\n\r\nhelp`, address, project.id, issue.id],
      );
      await conn.query(
        `INSERT INTO outbound_emails (id, kind, "to", from_email, subject, text, html, status, transport, issue_id)
         VALUES ($1, 'thank_you', $2, 'support@localhost', 'Re: Printer', 'thanks', '<p>thanks</p>', 'dev', 'dev', $3)`,
        [`out-${unique}`, address, issue.id],
      );
    });

    const exported = await cli("customer:export", address.toUpperCase());
    expect(exported.code).toBe(0);
    const doc = JSON.parse(exported.stdout);
    expect(doc.issues).toEqual([expect.objectContaining({ reference: `cli-${unique}/desk#1`, relation: "author" })]);
    expect(doc.mails_received_from_them[0].raw.text).toContain("Subject: Printer");
    expect(doc.mails_sent_to_them).toEqual([expect.objectContaining({ kind: "thank_you", text: "thanks" })]);

    const erased = await cli("customer:erase", address);
    expect(erased.stderr).toBe("");
    expect(erased.code).toBe(0);
    expect(erased.stdout).toMatch(/^Erased: the address is now erased-[0-9a-f]{20}@erased\.invalid \(.*issues: 1/);

    const left = await onCliDatabase(async (conn) => ({
      author: (await conn.query<{ external_author: string }>(`SELECT external_author FROM issues WHERE title = 'Printer' AND external_author LIKE 'erased-%'`)).rows,
      payload: (await conn.query<{ n: number }>(`SELECT octet_length(payload)::int AS n FROM inbound_emails WHERE id = $1`, [`in-${unique}`])).rows[0].n,
      audit: (await conn.query<{ actor_id: string }>(`SELECT actor_id FROM customer_erasures ORDER BY id DESC LIMIT 1`)).rows[0].actor_id,
    }));
    expect(left.author.length).toBeGreaterThanOrEqual(1);
    expect(left.payload).toBe(0);
    expect(left.audit).toBe("cli");

    const again = await cli("customer:erase", address);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already erased");

    const bad = await cli("customer:erase", "not-an-address");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Enter an email address");
    const usage = await cli("customer:export");
    expect(usage.code).toBe(2);
  }, 240_000);
});
