// Next.js configuration. PGlite loads its .wasm/.data files from node_modules at run time, so it (and its
// Prisma adapter) must not be bundled.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Self-hosting runs `.next/standalone/server.js` (npm start): the server plus only the node_modules it uses.
  // Vercel (which sets VERCEL=1 while building) packages functions its own way and needs no standalone folder.
  output: process.env.VERCEL ? undefined : "standalone",
  // Tests run a second dev server next to a developer's own; each needs its own build folder.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // The test harness (tests/support/production-server.ts) builds after `tsc --noEmit` has already checked the
  // same sources, so it skips the build's second type check; every other build keeps it.
  typescript: { ignoreBuildErrors: process.env.SERVICE_DESK_BUILD_SKIP_TYPECHECK === "1" },
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg"],
  // Read at run time: migrations (the start-up check, lib/startup.ts) and the default email templates.
  outputFileTracingIncludes: { "/**": ["./prisma/migrations/**/*", "./emails/**/*"] },
};

export default nextConfig;
