// Next.js configuration. PGlite loads its .wasm/.data files from node_modules at run time, so it (and its
// Prisma adapter) must not be bundled.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Tests run a second dev server next to a developer's own; each needs its own build folder.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg"],
  // Read at run time: migrations (the start-up check, lib/startup.ts) and the default email templates.
  outputFileTracingIncludes: { "/**": ["./prisma/migrations/**/*", "./emails/**/*"] },
};

export default nextConfig;
