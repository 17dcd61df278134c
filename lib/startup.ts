// What the server does before it takes requests (called from instrumentation.ts).
import { prepareEmbeddedDatabase } from "@/lib/db/bootstrap";
import { ConfigError, env } from "@/lib/env";

export async function startServer(): Promise<void> {
  try {
    env();
  } catch (error) {
    if (error instanceof ConfigError) {
      // One line naming the variable, then stop: a half-configured server must not take traffic.
      console.error(`Service Desk cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  try {
    await prepareEmbeddedDatabase();
  } catch (error) {
    console.error(`Service Desk cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
}
