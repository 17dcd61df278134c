// Runs once when the server starts: refuses a production configuration that is unsafe, and prepares the
// embedded database (create, migrate, seed) so `npm run dev` needs no manual step.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServer } = await import("@/lib/startup");
  await startServer();
}
