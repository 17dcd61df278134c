// The bare baseline for the intake measurement: plain Node http, the app's own multipart + MIME parsing
// (lib/mail/inbound) and one `pg` transaction that stores the raw mail, allocates the iid, inserts the issue
// and an outbox row. No framework, no ORM, no routing or guards: the practical limit on this machine.
// Run as its own process: `tsx bench/baseline-server.ts` with BENCH_BASELINE_PORT, BENCH_DATABASE_URL and
// BENCH_PROJECT_ID; prints "listening <port>" when ready.
import { randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";
import { parseSendGridBody } from "@/lib/mail/inbound/parse-sendgrid";

const port = Number(process.argv[2] ?? 0);
const [databaseUrl, projectId] = [process.argv[3], Number(process.argv[4])];
if (!databaseUrl || !Number.isInteger(projectId)) {
  console.error("usage: tsx bench/baseline-server.ts <port> <database url> <project id>");
  process.exit(2);
}

// The same pool size as @prisma/adapter-pg's default (pg's default of 10).
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

async function store(body: Buffer, contentType: string): Promise<{ iid: number }> {
  const message = await parseSendGridBody(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), contentType);
  const from = message.from?.address ?? "unknown@bench.example";
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const inboundId = randomUUID();
    await client.query(
      `INSERT INTO inbound_emails (id, payload, payload_content_type, size, status, message_id, from_address, subject, project_id, dedupe_key, processed_at)
       VALUES ($1, $2, $3, $4, 'created_issue', $5, $6, $7, $8, $9, now())`,
      [inboundId, body, contentType, body.byteLength, message.messageId ?? null, from, message.subject, projectId, `${projectId}:${message.messageId ?? inboundId}`],
    );
    const { rows } = await client.query<{ iid: number }>(
      "UPDATE projects SET last_issue_iid = last_issue_iid + 1 WHERE id = $1 RETURNING last_issue_iid AS iid",
      [projectId],
    );
    const iid = rows[0].iid;
    const issue = await client.query<{ id: number }>(
      `INSERT INTO issues (project_id, iid, title, description, confidential, author_id, external_author, external_message_id, awaiting_reply, updated_at)
       VALUES ($1, $2, $3, $4, true, 'support-bot', $5, $6, true, now()) RETURNING id`,
      [projectId, iid, message.subject || "(no subject)", message.text ?? "", from, message.messageId ?? null],
    );
    await client.query(
      `INSERT INTO outbound_emails (id, kind, "to", from_email, from_name, subject, text, html, headers, status, transport, issue_id)
       VALUES ($1, 'thank_you', $2, 'support@bench.example', 'Support', $3, $4, $5, '{}', 'pending', 'sendgrid', $6)`,
      [randomUUID(), from, `Re: ${message.subject} (#${iid})`, "Thank you", "<p>Thank you</p>", issue.rows[0].id],
    );
    await client.query("COMMIT");
    return { iid };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    store(Buffer.concat(chunks), req.headers["content-type"] ?? "").then(
      ({ iid }) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "created_issue", issueIid: iid }));
      },
      (error: unknown) => {
        console.error(error);
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "failed" }));
      },
    );
  });
});

server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : port}`);
});

const stop = () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
