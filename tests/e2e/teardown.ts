// Global teardown: remove the run's temporary embedded database.
import { rmSync } from "node:fs";

export default async function teardown() {
  if (process.env.E2E_DATA_DIR) rmSync(process.env.E2E_DATA_DIR, { recursive: true, force: true });
}
