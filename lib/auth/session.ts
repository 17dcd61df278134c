// The signed-in actor for server components, server actions and route handlers (one query per request).
import { getServerSession } from "next-auth";
import { cache } from "react";
import { findActorById } from "@/lib/data/users";
import type { Actor } from "./actor";
import { authOptions } from "./options";

export const getActor = cache(async (): Promise<Actor | null> => {
  const session = await getServerSession(authOptions());
  const id = (session?.user as { id?: string } | undefined)?.id;
  return id ? findActorById(id) : null;
});
