// globalSetup of the `production` vitest project: the standalone build is made (or reused) once, before any
// test's clock starts, and the Postgres server the tests need is named up front.
import { ensureProductionBuild } from "../support/production-server";
import { adminUrl } from "./helpers";

export default async function setup() {
  adminUrl();
  const started = Date.now();
  const { dir } = await ensureProductionBuild();
  console.log(`[production] standalone build ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${dir}`);
  // The test files (other processes) start servers from this build, even if a source changes meanwhile.
  process.env.SERVICE_DESK_REUSE_BUILD = "1";
}
