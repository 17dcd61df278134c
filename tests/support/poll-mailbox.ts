// A separate poller process for tests (run with tsx): polls the IMAP mailbox described by its JSON argument,
// and after storing the first message — before the mailbox is told — says `stored <id>` on stdout and hangs,
// so the test can SIGKILL it exactly between store and move.
import { imapConnector, type ImapConfig } from "@/lib/mail/mailbox/imap";
import { pollMailbox } from "@/lib/mail/mailbox/poll";
import { db } from "@/lib/db/client";
import type { MailboxConnector } from "@/lib/mail/mailbox/types";

async function main() {
  const config = JSON.parse(process.argv[2]) as ImapConfig;
  const imap = imapConnector(config);
  const stalled: MailboxConnector = {
    source: imap.source,
    messages: (limit) => imap.messages(limit),
    waitForMail: (signal) => imap.waitForMail(signal),
    close: () => imap.close(),
    async markDone() {
      const row = await db().inboundEmail.findFirst({ where: { source: imap.source }, orderBy: { receivedAt: "desc" }, select: { id: true } });
      process.stdout.write(`stored ${row?.id}\n`);
      await new Promise(() => undefined); // wait for SIGKILL
    },
  };
  await pollMailbox(stalled, { limit: 10 });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
