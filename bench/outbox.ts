// Outbox measurement: mails/s drained from the outbox to a local SendGrid-compatible server, against the
// same number of raw @sendgrid/mail calls with no database (same payloads, same server, same process).
import { createRequire } from "node:module";
import { Client } from "@sendgrid/client";
import type sgMail from "@sendgrid/mail";
import type { FakeSendGrid } from "@/tests/support/sendgrid-server";
import { timed } from "./stats";

const TEXT = "Thank you for your support request! We are tracking your request as ticket #42.\n\n".repeat(12);
const HTML = `<p>${TEXT.replace(/\n\n/g, "</p><p>")}</p>`;

function message(n: number, tag: string) {
  return {
    to: `customer-${tag}-${n}@bench.example`,
    subject: `Re: Bench request ${n} (#${n})`,
    text: TEXT,
    html: HTML,
    headers: { "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Message-ID": `<out-${tag}-${n}@bench.example>` },
  };
}

/** Writes `count` rows to the outbox, then drains it the way cron and the CLI do; mails/s of the drain. */
export async function outboxRun(count: number, tag: string): Promise<number> {
  const { enqueueMail, deliverOutbox } = await import("@/lib/mail/outbox");
  for (let n = 0; n < count; n++) await enqueueMail({ kind: "bench", ...message(n, tag) });
  const { ms } = await timed(async () => {
    let sent = 0;
    while (sent < count) {
      const result = await deliverOutbox({ limit: 200 });
      if (result.sent + result.failed + result.retrying === 0) throw new Error(`outbox drain stalled after ${sent} of ${count}`);
      if (result.failed || result.retrying) throw new Error(`outbox drain failed: ${Object.values(result.errors)[0]}`);
      sent += result.sent;
    }
  });
  return count / (ms / 1000);
}

/** The same mails straight through @sendgrid/mail, `concurrency` at a time (as many as the outbox sends at once). */
export async function rawSdkRun(server: FakeSendGrid, count: number, tag: string, concurrency: number): Promise<number> {
  const client = new Client();
  // A MailService of its own (the package exports only a singleton, which the app's transport configures).
  const MailService = createRequire(`${process.cwd()}/package.json`)("@sendgrid/mail/src/classes/mail-service") as new () => typeof sgMail;
  const mail = new MailService();
  mail.setClient(client);
  mail.setApiKey(server.apiKey);
  client.setDefaultRequest("baseUrl", server.url);
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const n = next++;
          await mail.send({ from: { email: "support@bench.example", name: "Service Desk" }, customArgs: { outbound_email_id: `raw-${n}` }, ...message(n, tag) });
        }
      }),
    ),
  );
  return count / (ms / 1000);
}
