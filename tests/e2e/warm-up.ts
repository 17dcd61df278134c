// Global setup: starts the local SendGrid-compatible server the dev server sends mail to (for the whole run;
// the function returned stops it), then compiles the main routes: the dev server compiles each route on its
// first request (tens of seconds on a 2-core CI machine), which would otherwise eat the tests' own timeouts.
import type { FullConfig } from "@playwright/test";
import { startFakeSendGrid } from "../support/sendgrid-server";

const ROUTES = [
  "/sign-in",
  "/api/auth/csrf",
  "/api/auth/providers",
  "/api/auth/session",
  "/dev/mailbox",
  "/",
  "/projects/new",
  "/demo/support/issues",
  "/demo/support/issues/1",
  "/demo/support/service-desk",
];

export default async function warmUp(config: FullConfig) {
  const url = new URL(process.env.E2E_SENDGRID_URL!);
  const sendgrid = await startFakeSendGrid(process.env.E2E_SENDGRID_API_KEY, { port: Number(url.port), inspect: true });
  console.log(`local SendGrid server: ${sendgrid.url}`);

  const baseURL = config.projects[0].use.baseURL!;
  for (const route of ROUTES) {
    const started = Date.now();
    const response = await fetch(`${baseURL}${route}`, { redirect: "manual", signal: AbortSignal.timeout(180_000) });
    console.log(`warm-up ${route}: ${response.status} in ${Date.now() - started} ms`);
  }
  return () => sendgrid.close();
}
