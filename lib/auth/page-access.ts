// Page helpers: turn the data layer's errors into what a page should do (sign-in redirect or 404).
import { notFound, redirect } from "next/navigation";
import { AppError } from "@/lib/errors";
import type { Actor } from "./actor";
import { getActor } from "./session";

/** The signed-in actor, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireActor(returnTo: string): Promise<Actor> {
  const actor = await getActor();
  if (!actor) redirect(`/sign-in?callbackUrl=${encodeURIComponent(returnTo)}`);
  return actor;
}

/** Runs a data call for a page: not_found and forbidden both render the 404 page (nothing is revealed). */
export async function orNotFound<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AppError && (error.code === "not_found" || error.code === "forbidden")) notFound();
    if (error instanceof AppError && error.code === "unauthorized") redirect("/sign-in");
    throw error;
  }
}
