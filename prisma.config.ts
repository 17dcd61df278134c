// Prisma CLI configuration: the JS engine with an embedded PGlite adapter, so `prisma generate` and
// `prisma migrate dev` (used by `npm run db:migration`) need no native engine download.
import { defineConfig } from "prisma/config";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PGlite } from "@electric-sql/pglite";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPGlite(new PGlite(process.env.PGLITE_DATA_DIR ?? "./.data/pglite")),
});
