// Global setup: the dev server compiles each route on its first request (tens of seconds on a 2-core CI
// machine); compiling the routes here keeps the test's own timeouts meaningful.
import type { FullConfig } from "@playwright/test";

const ROUTES = ["/sign-in", "/api/auth/csrf", "/api/auth/providers", "/api/auth/session", "/dev/mailbox", "/", "/projects/new", "/demo/support/issues"];

export default async function warmUp(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  for (const route of ROUTES) {
    const started = Date.now();
    const response = await fetch(`${baseURL}${route}`, { redirect: "manual", signal: AbortSignal.timeout(180_000) });
    console.log(`warm-up ${route}: ${response.status} in ${Date.now() - started} ms`);
  }
}
