// A separate sender process for tests (run with tsx): delivers the outbox rows whose ids are its arguments,
// so a test can kill it mid-drain without touching other tests' mail in a shared database.
import { closeDb } from "@/lib/db/client";
import { deliverOutbox } from "@/lib/mail/outbox";

async function main() {
  const ids = process.argv.slice(2);
  await deliverOutbox({ ids, limit: ids.length });
  await closeDb();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
