// Raw SQL connections for the migration runner and scripts, to the same database the app would use.
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { openPGlite } from "./client";
import type { SqlConnection } from "./migrate";

export interface RawConnection extends SqlConnection {
  close(): Promise<void>;
  description: string;
}

export async function connectPostgres(url: string): Promise<RawConnection> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    query: async (sql, params) => ({ rows: (await client.query(sql, params as unknown[])).rows }),
    exec: (sql) => client.query(sql),
    close: () => client.end(),
    description: `Postgres ${new URL(url).host}${new URL(url).pathname}`,
  };
}

/** Wraps an open PGlite (the app's own instance, or a fresh one) as a runner connection. */
export function pgliteConnection(pglite: PGlite, description: string, owned: boolean): RawConnection {
  return {
    query: async (sql, params) => ({ rows: (await pglite.query(sql, params)).rows as never[] }),
    exec: (sql) => pglite.exec(sql),
    close: async () => {
      if (owned) await pglite.close();
    },
    description,
  };
}

export async function connectEmbedded(dir: string): Promise<RawConnection> {
  const pglite = openPGlite(dir);
  await pglite.waitReady;
  return pgliteConnection(pglite, `embedded PGlite ${dir}`, true);
}
