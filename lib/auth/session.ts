// The signed-in actor for server components, server actions and route handlers (one query per request).
import { getServerSession } from "next-auth";
import { cookies } from "next/headers";
import { cache } from "react";
import { findActorById } from "@/lib/data/users";
import type { Actor } from "./actor";
import { authOptions } from "./options";

export const getActor = cache(async (): Promise<Actor | null> => {
  // The request first: when `next build` tries to prerender a page, this ends the attempt before
  // authOptions() opens the database (a build must not touch one — a dev server may own the embedded one).
  await cookies();
  const session = await getServerSession(authOptions());
  const id = (session?.user as { id?: string } | undefined)?.id;
  return id ? findActorById(id) : null;
});
