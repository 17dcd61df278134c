// `npm run worker`: the self-hosted mailbox worker (IMAP IDLE / Graph polling, plus the outbox) until SIGTERM.
import { closeDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { runWorker } from "@/lib/mail/mailbox/worker";

async function main() {
  env(); // a bad configuration stops here, with the variable named
  const stop = new AbortController();
  // `on`, not `once`: under `npm run worker` a Ctrl-C reaches node twice (the terminal's and npm's forward);
  // a second signal must not fall through to the default handler and kill the poll half-way.
  for (const name of ["SIGTERM", "SIGINT"] as const)
    process.on(name, () => {
      if (stop.signal.aborted) return;
      console.log(`${new Date().toISOString()} ${name}: finishing the current poll, then stopping`);
      stop.abort();
    });
  await runWorker({ signal: stop.signal });
  await closeDb();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
