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
  // GitLab's clients (gitbeaker, python-gitlab, glab) call <host>/api/v4/…: the same handlers as /api/v1, served
  // in place (a redirect would turn a client's POST into a GET). The marker tells lib/api/handler.ts which prefix
  // the client used, so Link headers point back at it.
  async rewrites() {
    return [{ source: "/api/v4/:path*", destination: "/api/v1/:path*?__api=v4" }];
  },
  // Security headers that need no per-request value. Pages get their CSP (with a nonce), X-Frame-Options and
  // HSTS from proxy.ts (lib/security-headers.ts); API routes skip the proxy, so their answers get theirs here.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        ],
      },
      {
        // Behind a TLS-terminating proxy; proxy.ts also sends it on pages when APP_URL is https.
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https(,.*)?" }],
        headers: [{ key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" }],
      },
      {
        // JSON and file downloads: nothing in them may run, load or be framed if a browser opens one.
        source: "/api/:path*",
        headers: [
          { key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
      {
        // The unsubscribe page (a route handler, outside the proxy): its own <style>, a form, and no script.
        source: "/unsubscribe/:path*",
        headers: [
          {
            key: "Content-Security-Policy",
            value: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
          },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
