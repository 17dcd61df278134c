// Next.js configuration. PGlite loads its .wasm/.data files from node_modules at run time, so it (and its
// Prisma adapter) must not be bundled.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Tests run a second dev server next to a developer's own; each needs its own build folder.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg"],
  // The server checks at start that the database has every migration (lib/startup.ts): ship the SQL files.
  outputFileTracingIncludes: { "/**": ["./prisma/migrations/**/*"] },
};

export default nextConfig;
